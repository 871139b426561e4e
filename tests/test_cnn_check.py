"""The CNN check (q4_quality) accepts the networks a student would reasonably write and nothing else.

Only the architecture crosses from the student's side; weights, arrays, frozen layers, code-running
layers and networks too big to train affordably are refused from the config alone, before anything
is built, with a message that says why. Training itself is replaced here by a sentinel (the full
check runs in the slow grading tests), so these tests take seconds.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")


class Trained(Exception):
    """Raised instead of training: the config was accepted and the network built."""


@pytest.fixture(scope="module")
def check(project):
    from optgrade.probe_check import SANDBOX_DIR

    sys.path.insert(0, str(SANDBOX_DIR))  # as checker.py does: the checks import optgrade_checks from there
    namespace: dict = {}
    exec(compile((project.hardened_dir / "checks.py").read_text(), "checks.py", "exec"), namespace)
    yield namespace["test_q4_quality_balanced_accuracy"]
    sys.path.remove(str(SANDBOX_DIR))


@pytest.fixture
def no_training(monkeypatch, project):
    monkeypatch.chdir(project.assignment_dir)  # data/ for the check

    def fit(self, *args, **kwargs):
        raise Trained(self.count_params())

    monkeypatch.setattr(keras.Model, "fit", fit)


L = keras.layers


def sequential(*layers) -> str:
    return keras.Sequential([keras.Input((15, 15, 1)), *layers]).to_json()


REFERENCE = lambda: sequential(L.Conv2D(64, 3, activation="relu"), L.Conv2D(128, 3, activation="relu"),
                               L.MaxPooling2D((2, 2)), L.Flatten(), L.Dense(128, activation="relu"),
                               L.Dropout(0.1), L.Dense(1, activation="sigmoid"))
FAIR = {
    "reference": REFERENCE,
    "global-max-pooling": lambda: sequential(
        L.Conv2D(32, 3, activation="relu"), L.Conv2D(64, 3, activation="relu"), L.Conv2D(64, 3, activation="relu"),
        L.GlobalMaxPooling2D(), L.Dense(64, activation="relu"), L.Dense(1, activation="sigmoid")),
    "leaky-relu-average-pooling": lambda: sequential(
        L.Rescaling(2.0, offset=-1.0), L.Conv2D(32, 3, padding="same"), L.LeakyReLU(0.1), L.AveragePooling2D(2),
        L.SpatialDropout2D(0.1), L.Conv2D(64, 3), L.ReLU(), L.GlobalAveragePooling2D(), L.Dense(1),
        L.Activation("sigmoid")),
    "regularized-batch-norm": lambda: sequential(
        L.Conv2D(16, 3, kernel_regularizer=keras.regularizers.L2(1e-4), kernel_constraint=keras.constraints.MaxNorm(3),
                 kernel_initializer=keras.initializers.HeNormal(seed=1)),
        L.BatchNormalization(momentum=0.9), L.ELU(), L.SeparableConv2D(32, 3), L.PReLU(), L.MaxPooling2D(),
        L.Flatten(), L.GaussianNoise(0.05), L.Dense(32, activation="tanh"), L.Dropout(0.2),
        L.Dense(1, activation="sigmoid", bias_initializer=keras.initializers.Constant(-0.5))),
}


@pytest.mark.parametrize("name", FAIR)
def test_fair_networks_are_rebuilt_and_trained(check, no_training, name):
    with pytest.raises(Trained):
        check(FAIR[name]())


def weights_as(value):
    return sequential(L.Flatten(), L.Dense(1, activation="sigmoid", kernel_initializer=keras.initializers.Constant(value)))


def edited(text: str, edit) -> str:
    model = json.loads(text)
    edit(model["config"]["layers"])
    return json.dumps(model)


def frozen(layers):
    for layer in layers[1:]:
        layer["config"]["trainable"] = False


def huge_build_config(layers):
    layers[-1]["build_config"] = {"input_shape": [None, 1_100_000]}


REFUSED = {
    "weights-as-lists": (lambda: weights_as([[0.01]] * 225), "no arrays|scalar parameters"),
    "weights-as-numpy": (lambda: weights_as(np.full((225, 1), 0.01)), "scalar parameters|not allowed"),
    "frozen-layers": (lambda: edited(REFERENCE(), frozen), "trainable"),
    "lambda-layer": (lambda: sequential(L.Lambda(lambda x: x * 0), L.Flatten(), L.Dense(1, activation="sigmoid")),
                     "Lambda is not allowed"),
    "slow-same-padded-stack": (lambda: sequential(*[L.Conv2D(256, 3, padding="same", activation="relu") for _ in range(6)],
                                                  L.Flatten(), L.Dense(1, activation="sigmoid")), "multiply-adds"),
    "too-many-parameters": (lambda: sequential(L.Flatten(), L.Dense(1024), L.Dense(1024), L.Dense(1024), L.Dense(1024),
                                               L.Dense(1)), "parameters"),
    "two-outputs": (lambda: sequential(L.Flatten(), L.Dense(2, activation="softmax")), "one value per patch"),
    "functional": (lambda: json.dumps({**json.loads(REFERENCE()), "class_name": "Functional"}), "keras.Sequential"),
    "huge-build-config": (lambda: edited(sequential(L.Flatten(), L.Dense(1, activation="sigmoid")), huge_build_config),
                          "stored input shape"),
    "custom-activation": (lambda: edited(REFERENCE(), lambda layers: layers[-1]["config"].update(
        activation={"module": "builtins", "class_name": "eval", "config": {}})), "not allowed"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_smuggled_weights_and_unaffordable_networks_are_refused_before_building(check, no_training, monkeypatch, name):
    make, message = REFUSED[name]
    text = make()
    built = []
    monkeypatch.setattr(keras.saving, "deserialize_keras_object", lambda *a, **k: built.append(1))
    with pytest.raises(AssertionError, match=message):
        check(text)
    assert not built, "the network was built before it was refused"


def test_stored_input_shapes_must_match_the_network(check, no_training):
    # the reference's own build_config entries are consistent, so it is accepted (see above)
    text = edited(sequential(L.Flatten(), L.Dense(1, activation="sigmoid")),
                  lambda layers: layers[-1].update(build_config={"input_shape": [None, 225]}))
    with pytest.raises(Trained) as trained:
        check(text)
    assert trained.value.args[0] == 226
