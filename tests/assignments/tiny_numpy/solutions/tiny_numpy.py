# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [raw]
# # ASSIGNMENT CONFIG
# name: tiny_numpy
# requirements: requirements.txt
# python_version: "3.11"
# run_tests: false
# strip_solutions_from_all_cells: true
# tests:
#   files: true
#   ok_format: false
# export_cell:
#   pdf: false
#   instructions: "Upload the zip file this cell writes."
# generate:
#   show_stdout: false
#   show_hidden: false
#   pdf: false

# %% [markdown]
# # Tiny numpy exercises
#
# A small assignment that tests optgrade itself.

# %%
import numpy as np

# %% [raw]
# # BEGIN QUESTION
# name: q1_softmax

# %% [markdown]
# **Question 1.** Write `softmax(z)`: the softmax of a 1-d array, numerically stable for large values.

# %% [raw]
# # BEGIN SOLUTION

# %%
def softmax(z):
    z = np.asarray(z, dtype=float)  # SOLUTION
    e = np.exp(z - z.max())  # SOLUTION
    return e / e.sum()  # SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
points: 0
""" # END TEST CONFIG
def test_q1_softmax_shape(softmax, np):
    out = np.asarray(softmax(np.array([1.0, 2.0, 3.0])))
    assert out.shape == (3,), "softmax must return an array of the input's shape"

# %%
""" # BEGIN TEST CONFIG
hidden: true
points: 2
failure_message: "softmax is wrong: it must sum to 1, keep the order of the inputs and survive large values"
""" # END TEST CONFIG
def test_q1_softmax_values(softmax, np):
    import json

    def probe():
        return [[float(v) for v in np.asarray(softmax(np.array(z, dtype=float)), dtype=float).ravel()]
                for z in ([1.0, 2.0, 3.0], [0.0, 0.0], [1000.0, 1001.0])]

    def check(values):
        expected = [[0.09003057317038046, 0.24472847105479764, 0.6652409557748219], [0.5, 0.5],
                    [0.2689414213699951, 0.7310585786300049]]
        assert isinstance(values, list) and len(values) == 3
        for got, want in zip(values, expected):
            assert isinstance(got, list) and np.allclose(got, want, atol=1e-9)

    check(json.loads(json.dumps(probe())))

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q2_mse

# %% [markdown]
# **Question 2.** Write `mse(y, y_hat)`: the mean squared error of two arrays of the same shape.

# %% [raw]
# # BEGIN SOLUTION

# %%
def mse(y, y_hat):
    return float(np.mean((np.asarray(y, dtype=float) - np.asarray(y_hat, dtype=float)) ** 2))  # SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
points: 0
""" # END TEST CONFIG
def test_q2_mse_number(mse, np):
    assert np.isscalar(mse(np.zeros(2), np.zeros(2))), "mse must return one number"

# %%
""" # BEGIN TEST CONFIG
hidden: true
points: 1
failure_message: "mse is wrong: average the squared differences"
""" # END TEST CONFIG
def test_q2_mse_values(mse, np):
    from optgrade_probes import probed
    values = probed([float(mse(np.array(y, dtype=float), np.array(h, dtype=float)))
                     for y, h in (([1.0, 2.0], [1.0, 4.0]), ([[1.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]))])
    assert isinstance(values, list) and np.allclose(values, [2.0, 0.5])

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q3_explain
# manual: true
# points: 1

# %% [markdown]
# **Question 3.** Why subtract the maximum in `softmax`?

# %% [raw]
# # BEGIN SOLUTION

# %% [markdown]
# exp of a large number overflows; subtracting the maximum leaves the result unchanged and keeps
# every exponent at most 0.

# %% [raw]
# # END SOLUTION

# %% [raw]
# # END QUESTION
