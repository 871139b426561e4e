#!/usr/bin/env python3
"""Write the independent corpus of student submissions for assignment 5.

Every notebook in ``examples/corpus/submissions/`` is built from the *student template*
``assignment/a5_optimization.ipynb`` (read at run time) by filling its placeholder cells with code
written for this corpus (not derived from the reference solution) and, for some students, by
inserting extra cells.  Cells are located by the function / variable they define, by the question
their ``grader.check`` call names, or by the text of a question prompt -- never by index -- and the
script fails loudly when something it needs is missing (or a placeholder stays unfilled).

The points each sample deserves were fixed by reading the rubric, before any grading run; they
live in ``SAMPLES`` below and are written to ``examples/corpus/expected.csv``.

The output is deterministic (no randomness, no timestamps): rerunning the script after an
unchanged template gives byte-identical files.

    python examples/corpus/make_corpus.py            # write submissions/ and expected.csv
    python examples/corpus/make_corpus.py --check    # fail if the files on disk differ
"""

from __future__ import annotations

import argparse
import ast
import copy
import csv
import io
import json
import pathlib
import re
import sys
import textwrap

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TEMPLATE = ROOT / "assignment" / "a5_optimization.ipynb"
OUT_DIR = HERE / "submissions"
CSV_PATH = HERE / "expected.csv"

QUESTIONS = {  # autograded question -> points (rubric, 27 in all)
    "q1_1": 2, "q2_2": 2, "q3_loss": 1, "q3_sgd": 4, "q3_momentum": 4, "q3_stuck": 1,
    "q4_read_data": 1, "q4_patches": 3, "q4_balance": 2, "q4_net": 3, "q4_quality": 4,
}
CSV_COLUMNS = ["file", *QUESTIONS, "total", "status", "kind", "reason"]


class CorpusError(RuntimeError):
    pass


def code(text: str) -> str:
    """Dedent a code snippet and strip the surrounding blank lines."""
    return textwrap.dedent(text).strip("\n")


def swap(text: str, old: str, new: str, count: int = 1) -> str:
    """A student's edit of another snippet: `old` must occur exactly `count` times."""
    found = text.count(old)
    if found != count:
        raise CorpusError(f"edit expected {count} match(es) of {old!r}, found {found}")
    return text.replace(old, new)


# ----------------------------------------------------------------------------------------------
# Question 1.1 / 2.2 / 3.1 answers
# ----------------------------------------------------------------------------------------------

Q1_PLAIN = 'q1_1_labels = {"A": "high", "B": "low", "C": "very high", "D": "good"}'
Q1_CAPS = code('''
    q1_1_labels = {
        "A": "High",
        "B": "Low",
        "C": "Very High",   # leaves the plot after one epoch -> diverges
        "D": "Good",
    }
''')
Q1_ZIP = 'q1_1_labels = dict(zip("ABCD", ["high", "low", "very high", "good"]))'
Q1_ODD_SPELLING = 'q1_1_labels = {"a": " high", "b": "LOW", "c": "very_high", "d": "Good "}'
Q1_DASH = "q1_1_labels = {'A': 'high', 'B': 'low', 'C': 'Very-High', 'D': 'good'}"
Q1_SWAPPED_AD = 'q1_1_labels = {"A": "good", "B": "low", "C": "very high", "D": "high"}'

Q2_SET = 'q2_2_true_statements = {"C", "D"}'
Q2_LIST = 'q2_2_true_statements = ["C", "D"]'
Q2_STRING = 'q2_2_true_statements = "CD"'
Q2_TUPLE_LOWER = "q2_2_true_statements = ('c', 'd')"
Q2_NUMPY = 'q2_2_true_statements = np.array(["C", "D"])'
Q2_SET_CALL = 'q2_2_true_statements = set("DC")'
Q2_ONLY_C = 'q2_2_true_statements = {"C"}'

STUCK_TRUE = "q3_gd_gets_stuck = True"
STUCK_NUMPY = "q3_gd_gets_stuck = sgd_hist[-1][1] < 0   # it ends left of 0, in the local minimum"
STUCK_COMPARE = "q3_gd_gets_stuck = len(sgd_hist) > 0 and sgd_hist[-1][1] < momentum_hist[-1][1]"
STUCK_YES = 'q3_gd_gets_stuck = "yes"'

# ----------------------------------------------------------------------------------------------
# loss / grad
# ----------------------------------------------------------------------------------------------

LOSS_WHERE = code('''
    def loss(theta):
        theta = np.asarray(theta, dtype=float)
        inside = (theta >= -1) & (theta <= 2)
        return np.where(inside, theta * np.cos(np.pi * theta), 1e10)


    def grad(theta):
        theta = np.asarray(theta, dtype=float)
        g = np.cos(np.pi * theta) - np.pi * theta * np.sin(np.pi * theta)
        g = np.where(theta < -1, -1e10, g)
        g = np.where(theta > 2, 1e10, g)
        return g
''')

LOSS_SCALAR_LOOP = code('''
    def _loss_one(t):
        if t < -1.0 or t > 2.0:
            return 1e10
        return t * np.cos(np.pi * t)


    def _grad_one(t):
        if t < -1.0:
            return -1e10
        if t > 2.0:
            return 1e10
        return np.cos(np.pi * t) - np.pi * t * np.sin(np.pi * t)


    def loss(theta):
        if np.ndim(theta) == 0:
            return _loss_one(float(theta))
        values = [_loss_one(t) for t in np.ravel(theta)]
        return np.array(values).reshape(np.shape(theta))


    def grad(theta):
        if np.ndim(theta) == 0:
            return _grad_one(float(theta))
        values = [_grad_one(t) for t in np.ravel(theta)]
        return np.array(values).reshape(np.shape(theta))
''')

LOSS_MASK = code('''
    def loss(theta):
        t = np.array(theta, dtype=np.float64)   # copy, works for scalars too
        out = np.array(t * np.cos(np.pi * t))
        out[(t < -1) | (t > 2)] = 1e10
        return out[()]


    def grad(theta):
        t = np.array(theta, dtype=np.float64)
        out = np.array(np.cos(np.pi * t) - np.pi * t * np.sin(np.pi * t))
        out[t < -1] = -1e10   # wall on the left pushes to the right
        out[t > 2] = 1e10     # wall on the right pushes to the left
        return out[()]
''')

LOSS_PIECEWISE = code('''
    def loss(theta):
        theta = np.asarray(theta, dtype=float)
        return np.piecewise(theta, [theta < -1, theta > 2],
                            [1e10, 1e10, lambda t: t * np.cos(np.pi * t)])


    def grad(theta):
        theta = np.asarray(theta, dtype=float)
        return np.piecewise(theta, [theta < -1, theta > 2],
                            [-1e10, 1e10,
                             lambda t: np.cos(np.pi * t) - np.pi * t * np.sin(np.pi * t)])
''')

LOSS_FLOAT32 = code('''
    PI32 = np.float32(np.pi)
    WALL = np.float32(1e10)


    def loss(theta):
        t = np.asarray(theta, dtype=np.float32)
        value = t * np.cos(PI32 * t)
        return np.where((t < -1) | (t > 2), WALL, value).astype(np.float32)


    def grad(theta):
        t = np.asarray(theta, dtype=np.float32)
        value = np.cos(PI32 * t) - PI32 * t * np.sin(PI32 * t)
        value = np.where(t < -1, -WALL, value)
        value = np.where(t > 2, WALL, value)
        return value.astype(np.float32)
''')

LOSS_SELECT = code('''
    def loss(theta):
        theta = np.asarray(theta, dtype=float)
        return np.select([theta < -1, theta > 2], [1e10, 1e10], default=theta * np.cos(np.pi * theta))


    def grad(theta):
        theta = np.asarray(theta, dtype=float)
        d = np.cos(np.pi * theta) - np.pi * theta * np.sin(np.pi * theta)
        return np.select([theta < -1, theta > 2], [-1e10, 1e10], default=d)
''')

# mistake: no walls in the loss (the gradient is right)
LOSS_NO_WALLS = code('''
    def loss(theta):
        return theta * np.cos(np.pi * theta)


    def grad(theta):
        theta = np.asarray(theta, dtype=float)
        g = np.cos(np.pi * theta) - np.pi * theta * np.sin(np.pi * theta)
        g = np.where(theta < -1, -1e10, g)
        g = np.where(theta > 2, 1e10, g)
        return g
''')

# mistake: the gradient walls have the wrong sign (+1e10 below -1, -1e10 above 2)
LOSS_GRAD_WALL_SIGN = code('''
    def loss(theta):
        theta = np.asarray(theta, dtype=float)
        return np.where((theta < -1) | (theta > 2), 1e10, theta * np.cos(np.pi * theta))


    def grad(theta):
        theta = np.asarray(theta, dtype=float)
        g = np.cos(np.pi * theta) - np.pi * theta * np.sin(np.pi * theta)
        # outside the interval the loss is huge, so the gradient is huge too
        g = np.where(theta < -1, 1e10, g)
        g = np.where(theta > 2, -1e10, g)
        return g
''')

# ----------------------------------------------------------------------------------------------
# sgd
# ----------------------------------------------------------------------------------------------

SGD_HEAD = code('''
    def sgd(init, loss, grad, learning_rate=0.01,
            converge_tol=1e-6, max_iter=10000, callbacks=[]):
''')

SGD_CLASSIC = SGD_HEAD + "\n" + textwrap.indent(code('''
    x = init
    cur_iter = 0
    update = np.inf
    history = []
    while abs(update) > converge_tol and cur_iter < max_iter:
        cur_iter += 1
        cur_loss = loss(x)
        cur_grad = grad(x)
        update = learning_rate * cur_grad
        x = x - update
        for func in callbacks:
            func(iter=cur_iter, x=x, loss=cur_loss, grad=cur_grad)
        history.append((cur_iter, x, cur_loss, cur_grad))
    return history
'''), "    ")

SGD_INPLACE = SGD_HEAD + "\n" + textwrap.indent(code('''
    x = init
    update = float("inf")
    cur_iter = 0
    history = []
    while abs(update) > converge_tol and cur_iter < max_iter:
        cur_grad = grad(x)
        cur_loss = loss(x)
        update = learning_rate * cur_grad
        x -= update
        cur_iter += 1
        for callback in callbacks:
            callback(iter=cur_iter, x=x, loss=cur_loss, grad=cur_grad)
        history.append((cur_iter, x, cur_loss, cur_grad))
    return history
'''), "    ")

SGD_FOR_BREAK = SGD_HEAD + "\n" + textwrap.indent(code('''
    history = []
    x = init
    for it in range(1, max_iter + 1):
        g = grad(x)
        l = loss(x)
        step = learning_rate * g
        x = x - step
        for cb in callbacks:
            cb(iter=it, x=x, loss=l, grad=g)
        history.append((it, x, l, g))
        if abs(step) <= converge_tol:   # converged: this was the last step
            break
    return history
'''), "    ")

SGD_WHILE_TRUE = SGD_HEAD + "\n" + textwrap.indent(code('''
    x, k, hist = init, 0, []
    while True:
        if k >= max_iter:
            break
        k += 1
        current_grad = grad(x)
        current_loss = loss(x)
        update = learning_rate * current_grad
        x -= update
        for f in callbacks:
            f(iter=k, x=x, loss=current_loss, grad=current_grad)
        hist.append((k, x, current_loss, current_grad))
        if not abs(update) > converge_tol:
            break
    return hist
'''), "    ")

SGD_FLOAT32 = SGD_HEAD + "\n" + textwrap.indent(code('''
    # everything in single precision, like on a GPU
    x = np.float32(init)
    lr = np.float32(learning_rate)
    update = np.float32(np.inf)
    cur_iter = 0
    history = []
    while abs(update) > converge_tol and cur_iter < max_iter:
        cur_iter += 1
        cur_loss = np.float32(loss(x))
        cur_grad = np.float32(grad(x))
        update = lr * cur_grad
        x = np.float32(x - update)
        for func in callbacks:
            func(iter=cur_iter, x=x, loss=cur_loss, grad=cur_grad)
        history.append((cur_iter, x, cur_loss, cur_grad))
    return history
'''), "    ")

SGD_LISTS_NUMPY = SGD_HEAD + "\n" + textwrap.indent(code('''
    x = np.float64(init)
    history = []
    for i in np.arange(1, max_iter + 1):
        l, g = np.float64(loss(x)), np.float64(grad(x))
        update = learning_rate * g
        x = x - update
        entry = [i, x, l, g]
        for func in callbacks:
            func(iter=i, x=x, loss=l, grad=g)
        history.append(entry)
        if np.abs(update) <= converge_tol:
            break
    return history
'''), "    ")

# loss and gradient recorded at the NEW x (after the step): the history entry describes the point
SGD_NEW_X = SGD_HEAD + "\n" + textwrap.indent(code('''
    x = init
    cur_iter = 0
    cur_grad = grad(x)
    update = np.inf
    history = []
    while abs(update) > converge_tol and cur_iter < max_iter:
        update = learning_rate * cur_grad
        x = x - update
        cur_iter += 1
        cur_loss = loss(x)      # loss and gradient at the point we just moved to
        cur_grad = grad(x)
        for func in callbacks:
            func(iter=cur_iter, x=x, loss=cur_loss, grad=cur_grad)
        history.append((cur_iter, x, cur_loss, cur_grad))
    return history
'''), "    ")

# loss at the new x, gradient = the one used for the step
SGD_POST_LOSS = SGD_HEAD + "\n" + textwrap.indent(code('''
    x = init
    history = []
    cur_iter = 0
    update = np.inf
    while abs(update) > converge_tol and cur_iter < max_iter:
        cur_grad = grad(x)
        update = learning_rate * cur_grad
        x = x - update
        cur_iter += 1
        cur_loss = loss(x)   # loss after the step, so that (x, loss) is a point on the curve
        for func in callbacks:
            func(iter=cur_iter, x=x, loss=cur_loss, grad=cur_grad)
        history.append((cur_iter, x, cur_loss, cur_grad))
    return history
'''), "    ")

# mistake: gradient ascent
SGD_SIGN = swap(SGD_INPLACE, "        x -= update\n", "        x += update\n")

# mistake: checks the tolerance before stepping, so the last (small) step is never taken
SGD_EARLY_STOP = SGD_HEAD + "\n" + textwrap.indent(code('''
    x = init
    history = []
    for cur_iter in range(1, max_iter + 1):
        cur_grad = grad(x)
        cur_loss = loss(x)
        update = learning_rate * cur_grad
        if abs(update) <= converge_tol:
            break
        x = x - update
        for func in callbacks:
            func(iter=cur_iter, x=x, loss=cur_loss, grad=cur_grad)
        history.append((cur_iter, x, cur_loss, cur_grad))
    return history
'''), "    ")

# mistake: the iteration limit is hard-coded (max_iter is ignored)
SGD_IGNORES_MAX_ITER = swap(SGD_CLASSIC, "cur_iter < max_iter", "cur_iter < 10000")

# the first version of the student who fixes sgd later: appends only once, after the loop
SGD_APPEND_AFTER_LOOP = SGD_HEAD + "\n" + textwrap.indent(code('''
    x = init
    cur_iter = 0
    update = np.inf
    history = []
    while abs(update) > converge_tol and cur_iter < max_iter:
        cur_iter += 1
        cur_loss = loss(x)
        cur_grad = grad(x)
        update = learning_rate * cur_grad
        x = x - update
        for func in callbacks:
            func(iter=cur_iter, x=x, loss=cur_loss, grad=cur_grad)
    history.append((cur_iter, x, cur_loss, cur_grad))
    return history
'''), "    ")

# ----------------------------------------------------------------------------------------------
# sgd_momentum
# ----------------------------------------------------------------------------------------------

MOM_HEAD = code('''
    def sgd_momentum(init, loss, grad, learning_rate=0.01, momentum_factor=0.6,
                     initial_momentum=1.,
                     converge_tol=1e-6, max_iter=10000, callbacks=[]):
''')

MOM_CLASSIC = MOM_HEAD + "\n" + textwrap.indent(code('''
    x = init
    momentum = initial_momentum
    cur_iter = 0
    update = np.inf
    history = []
    while abs(update) > converge_tol and cur_iter < max_iter:
        cur_iter += 1
        cur_loss = loss(x)
        cur_grad = grad(x)
        update = learning_rate * cur_grad
        momentum = momentum_factor * momentum - update
        x = x + momentum
        for func in callbacks:
            func(iter=cur_iter, x=x, momentum=momentum, loss=cur_loss, grad=cur_grad)
        history.append((cur_iter, x, momentum, cur_loss, cur_grad))
    return history
'''), "    ")

MOM_INPLACE = MOM_HEAD + "\n" + textwrap.indent(code('''
    x = init
    momentum = initial_momentum
    update = float("inf")
    cur_iter = 0
    history = []
    while abs(update) > converge_tol and cur_iter < max_iter:
        cur_grad = grad(x)
        cur_loss = loss(x)
        update = learning_rate * cur_grad
        momentum = momentum_factor * momentum - update
        x += momentum
        cur_iter += 1
        for callback in callbacks:
            callback(iter=cur_iter, x=x, momentum=momentum, loss=cur_loss, grad=cur_grad)
        history.append((cur_iter, x, momentum, cur_loss, cur_grad))
    return history
'''), "    ")

MOM_FOR_BREAK = MOM_HEAD + "\n" + textwrap.indent(code('''
    history = []
    x = init
    v = initial_momentum
    for it in range(1, max_iter + 1):
        g = grad(x)
        l = loss(x)
        step = learning_rate * g
        v = momentum_factor * v - step
        x = x + v
        for cb in callbacks:
            cb(iter=it, x=x, momentum=v, loss=l, grad=g)
        history.append((it, x, v, l, g))
        if abs(step) <= converge_tol:
            break
    return history
'''), "    ")

MOM_WHILE_TRUE = MOM_HEAD + "\n" + textwrap.indent(code('''
    x, k, hist = init, 0, []
    momentum = initial_momentum
    while True:
        if k >= max_iter:
            break
        k += 1
        current_grad = grad(x)
        current_loss = loss(x)
        update = learning_rate * current_grad
        momentum = momentum_factor * momentum - update
        x += momentum
        for f in callbacks:
            f(iter=k, x=x, momentum=momentum, loss=current_loss, grad=current_grad)
        hist.append((k, x, momentum, current_loss, current_grad))
        if not abs(update) > converge_tol:
            break
    return hist
'''), "    ")

MOM_FLOAT32 = MOM_HEAD + "\n" + textwrap.indent(code('''
    x = np.float32(init)
    lr = np.float32(learning_rate)
    beta = np.float32(momentum_factor)
    momentum = np.float32(initial_momentum)
    update = np.float32(np.inf)
    cur_iter = 0
    history = []
    while abs(update) > converge_tol and cur_iter < max_iter:
        cur_iter += 1
        cur_loss = np.float32(loss(x))
        cur_grad = np.float32(grad(x))
        update = lr * cur_grad
        momentum = beta * momentum - update
        x = np.float32(x + momentum)
        for func in callbacks:
            func(iter=cur_iter, x=x, momentum=momentum, loss=cur_loss, grad=cur_grad)
        history.append((cur_iter, x, momentum, cur_loss, cur_grad))
    return history
'''), "    ")

MOM_LISTS_NUMPY = MOM_HEAD + "\n" + textwrap.indent(code('''
    x = np.float64(init)
    m = np.float64(initial_momentum)
    history = []
    for i in np.arange(1, max_iter + 1):
        l, g = np.float64(loss(x)), np.float64(grad(x))
        update = learning_rate * g
        m = momentum_factor * m - update
        x = x + m
        for func in callbacks:
            func(iter=i, x=x, momentum=m, loss=l, grad=g)
        history.append([i, x, m, l, g])
        if np.abs(update) <= converge_tol:
            break
    return history
'''), "    ")

MOM_NEW_X = MOM_HEAD + "\n" + textwrap.indent(code('''
    x = init
    momentum = initial_momentum
    cur_iter = 0
    cur_grad = grad(x)
    update = np.inf
    history = []
    while abs(update) > converge_tol and cur_iter < max_iter:
        update = learning_rate * cur_grad
        momentum = momentum_factor * momentum - update
        x = x + momentum
        cur_iter += 1
        cur_loss = loss(x)
        cur_grad = grad(x)
        for func in callbacks:
            func(iter=cur_iter, x=x, momentum=momentum, loss=cur_loss, grad=cur_grad)
        history.append((cur_iter, x, momentum, cur_loss, cur_grad))
    return history
'''), "    ")

MOM_POST_LOSS = MOM_HEAD + "\n" + textwrap.indent(code('''
    x = init
    momentum = initial_momentum
    history = []
    cur_iter = 0
    update = np.inf
    while abs(update) > converge_tol and cur_iter < max_iter:
        cur_grad = grad(x)
        update = learning_rate * cur_grad
        momentum = momentum_factor * momentum - update
        x = x + momentum
        cur_iter += 1
        cur_loss = loss(x)
        for func in callbacks:
            func(iter=cur_iter, x=x, momentum=momentum, loss=cur_loss, grad=cur_grad)
        history.append((cur_iter, x, momentum, cur_loss, cur_grad))
    return history
'''), "    ")

# mistake: history entries without the momentum (4-tuples); callbacks are right
MOM_FOUR_TUPLES = swap(MOM_CLASSIC, 
    "history.append((cur_iter, x, momentum, cur_loss, cur_grad))",
    "history.append((cur_iter, x, cur_loss, cur_grad))")

# mistake: momentum = factor * momentum + update
MOM_PLUS_UPDATE = swap(MOM_INPLACE, 
    "momentum = momentum_factor * momentum - update",
    "momentum = momentum_factor * momentum + update")

# ----------------------------------------------------------------------------------------------
# read_data
# ----------------------------------------------------------------------------------------------

READ_STD = code('''
    def read_data(img_file_path, gt_file_path):
        img = skimage.util.img_as_float(skimage.io.imread(img_file_path, as_gray=True))
        img = img[:, :, np.newaxis]
        gt = skimage.util.img_as_float(skimage.io.imread(gt_file_path, as_gray=True))
        return img, gt
''')

READ_RESHAPE = code('''
    def read_data(img_file_path, gt_file_path):
        page = skimage.io.imread(img_file_path, as_gray=True)
        img = skimage.util.img_as_float(page).reshape(page.shape[0], page.shape[1], 1)
        gt = (skimage.io.imread(gt_file_path, as_gray=True) > 0).astype(np.uint8)
        return img, gt
''')

READ_FLOAT32 = code('''
    def read_data(img_file_path, gt_file_path):
        img = skimage.util.img_as_float32(skimage.io.imread(img_file_path, as_gray=True))
        img = np.expand_dims(img, axis=-1)
        gt = skimage.io.imread(gt_file_path) // 255     # 0 = separator, 1 = background
        return img, gt
''')

# mistake: gt is returned as read from the PNG (0 / 255)
READ_GT_255 = code('''
    def read_data(img_file_path, gt_file_path):
        img = skimage.io.imread(img_file_path, as_gray=True)
        img = skimage.util.img_as_float(img)[..., None]
        gt = skimage.io.imread(gt_file_path)
        return img, gt
''')

# ----------------------------------------------------------------------------------------------
# get_images
# ----------------------------------------------------------------------------------------------

IMAGES_WHILE = code('''
    def get_images(img_data, gt_img_data, h, w, thresh):
        height, width = img_data.shape[0], img_data.shape[1]
        X, y = [], []
        y_pos = 0
        while y_pos + h < height:
            x_pos = 0
            while x_pos + w < width:
                X.append(img_data[y_pos:y_pos + h, x_pos:x_pos + w])
                gt_patch = gt_img_data[y_pos:y_pos + h, x_pos:x_pos + w]
                share = np.sum(gt_patch == 0) / (h * w)
                y.append(1 if share > thresh else 0)
                x_pos += w
            y_pos += h
        return np.array(X), np.array(y)
''')

IMAGES_RANGE = code('''
    def get_images(img_data, gt_img_data, h, w, thresh):
        rows = range(0, img_data.shape[0] - h, h)   # r + h < height
        cols = range(0, img_data.shape[1] - w, w)   # c + w < width
        patches, labels = [], []
        for r in rows:
            for c in cols:
                patches.append(img_data[r:r + h, c:c + w, :])
                separator_share = np.count_nonzero(gt_img_data[r:r + h, c:c + w] == 0) / (h * w)
                labels.append(int(separator_share > thresh))
        return np.array(patches), np.array(labels)
''')

IMAGES_RESHAPE = code('''
    def get_images(img_data, gt_img_data, h, w, thresh):
        H, W, C = img_data.shape
        n_rows = (H - 1) // h      # y + h < H  <=>  (y/h + 1) * h <= H - 1
        n_cols = (W - 1) // w
        img = img_data[:n_rows * h, :n_cols * w]
        X = img.reshape(n_rows, h, n_cols, w, C).transpose(0, 2, 1, 3, 4).reshape(-1, h, w, C)
        sep = gt_img_data[:n_rows * h, :n_cols * w] == 0
        share = sep.reshape(n_rows, h, n_cols, w).mean(axis=(1, 3)).ravel()
        y = (share > thresh).astype(int)
        return X, y
''')

IMAGES_STRIDES = code('''
    from numpy.lib.stride_tricks import sliding_window_view


    def get_images(img_data, gt_img_data, h, w, thresh):
        starts_r = np.arange(0, img_data.shape[0] - h, h)
        starts_c = np.arange(0, img_data.shape[1] - w, w)
        windows = sliding_window_view(img_data, (h, w), axis=(0, 1))   # (H-h+1, W-w+1, C, h, w)
        X = windows[starts_r][:, starts_c]                              # (rows, cols, C, h, w)
        X = np.moveaxis(X, 2, -1).reshape(-1, h, w, img_data.shape[2])
        sep_windows = sliding_window_view(gt_img_data == 0, (h, w))
        share = sep_windows[starts_r][:, starts_c].mean(axis=(2, 3)).ravel()
        return X, (share > thresh).astype(np.int64)
''')

IMAGES_LISTS = code('''
    def get_images(img_data, gt_img_data, h, w, thresh):
        """Cut the page into h x w patches, row by row; returns two lists."""
        X, y = [], []
        top = 0
        while top + h < img_data.shape[0]:
            left = 0
            while left + w < img_data.shape[1]:
                X.append(img_data[top:top + h, left:left + w])
                n_sep = (gt_img_data[top:top + h, left:left + w] == 0).sum()
                y.append(bool(n_sep / (h * w) > thresh))
                left += w
            top += h
        return X, y
''')

# mistake: `<=` edge rule (takes a patch that ends exactly on the edge)
IMAGES_EDGE_LE = swap(swap(IMAGES_WHILE, "while y_pos + h < height", "while y_pos + h <= height"),
                      "while x_pos + w < width", "while x_pos + w <= width")

# mistake: column-major order (top to bottom, then left to right)
IMAGES_COLUMN_MAJOR = code('''
    def get_images(img_data, gt_img_data, h, w, thresh):
        height, width = img_data.shape[:2]
        X, y = [], []
        col = 0
        while col + w < width:
            row = 0
            while row + h < height:
                X.append(img_data[row:row + h, col:col + w])
                share = np.mean(gt_img_data[row:row + h, col:col + w] == 0)
                y.append(int(share > thresh))
                row += h
            col += w
        return np.array(X), np.array(y)
''')

# mistake: `>=` threshold
IMAGES_THRESH_GE = swap(IMAGES_RANGE, "separator_share > thresh", "separator_share >= thresh")

# ----------------------------------------------------------------------------------------------
# balance
# ----------------------------------------------------------------------------------------------

BALANCE_RANDOM = code('''
    def balance(X, y):
        y = np.asarray(y)
        pos_idx = list(np.where(y == 1)[0])
        neg_idx = list(np.where(y == 0)[0])
        n = min(len(pos_idx), len(neg_idx))
        keep = random.sample(pos_idx, n) + random.sample(neg_idx, n)
        random.shuffle(keep)
        X = np.asarray(X)
        return X[keep], y[keep]
''')

BALANCE_NP_CHOICE = code('''
    def balance(X, y):
        X, y = np.asarray(X), np.asarray(y)
        sep = np.flatnonzero(y == 1)
        other = np.flatnonzero(y == 0)
        if len(sep) <= len(other):
            minority, majority = sep, other
        else:
            minority, majority = other, sep
        picked = np.random.choice(majority, size=len(minority), replace=False)
        idx = np.random.permutation(np.concatenate([minority, picked]))
        return X[idx], y[idx]
''')

BALANCE_RNG_MASK = code('''
    def balance(X, y):
        rng = np.random.default_rng(42)
        labels = np.asarray(y)
        classes = labels.astype(int)
        n = np.bincount(classes, minlength=2).min()
        keep = np.zeros(len(labels), dtype=bool)
        for cls in (0, 1):
            idx = np.flatnonzero(classes == cls)
            keep[rng.choice(idx, size=n, replace=False)] = True
        order = rng.permutation(np.flatnonzero(keep))
        return np.asarray(X)[order], labels[order]
''')

BALANCE_SHUFFLE_PAIRS = code('''
    def balance(X, y):
        pairs = list(zip(X, y))
        random.shuffle(pairs)
        seps = [p for p in pairs if p[1] == 1]
        rest = [p for p in pairs if p[1] != 1]
        n = min(len(seps), len(rest))
        chosen = seps[:n] + rest[:n]
        random.shuffle(chosen)
        if not chosen:
            return np.empty((0,) + np.shape(X)[1:]), np.empty((0,))
        X_new, y_new = zip(*chosen)
        return np.array(X_new), np.array(y_new)
''')

BALANCE_LISTS = code('''
    def balance(X, y):
        pos = [i for i, label in enumerate(y) if label == 1]
        neg = [i for i, label in enumerate(y) if label == 0]
        n = min(len(pos), len(neg))
        chosen = random.sample(pos, n) + random.sample(neg, n)
        random.shuffle(chosen)
        return [X[i] for i in chosen], [y[i] for i in chosen]
''')

# mistake: samples with replacement (np.random.choice's default), for both classes
BALANCE_REPLACEMENT = code('''
    def balance(X, y):
        X, y = np.asarray(X), np.asarray(y)
        pos = np.where(y == 1)[0]
        neg = np.where(y == 0)[0]
        n = min(len(pos), len(neg))
        idx = np.concatenate([np.random.choice(pos, n), np.random.choice(neg, n)])
        np.random.shuffle(idx)
        return X[idx], y[idx]
''')

# mistake: shuffles but never cuts the majority class
BALANCE_NO_CUT = code('''
    def balance(X, y):
        y = np.asarray(y)
        tr = [i for i in range(len(y)) if y[i] == 1]
        fa = [i for i in range(len(y)) if y[i] == 0]
        random.shuffle(tr)
        random.shuffle(fa)
        idx = tr + fa
        random.shuffle(idx)
        return np.asarray(X)[idx], y[idx]
''')

# ----------------------------------------------------------------------------------------------
# get_net / get_compiled_model
# ----------------------------------------------------------------------------------------------

NET_HEAD = code('''
    def get_net(weight_init, bias_init, batch_norm=False, bn_momentum=0.99, img_h=15, img_w=15,
                channels=1, kernels=3, init_size=64, dropout=0.1, dense_size=128):
''')

COMPILE_PLAIN = code('''
    def get_compiled_model(optimizer, weight_init='glorot_uniform', bias_init='zeros', batch_norm=False,
                           bn_momentum=0.99):
        model = get_net(weight_init, bias_init, batch_norm=batch_norm, bn_momentum=bn_momentum)
        model.compile(loss='binary_crossentropy', optimizer=optimizer, metrics=['accuracy'])
        return model
''')

COMPILE_OBJECTS = code('''
    def get_compiled_model(optimizer, weight_init='glorot_uniform', bias_init='zeros', batch_norm=False,
                           bn_momentum=0.99):
        net = get_net(weight_init, bias_init, batch_norm, bn_momentum)
        net.compile(optimizer=keras.optimizers.get(optimizer),
                    loss=keras.losses.BinaryCrossentropy(),
                    metrics=['accuracy'])
        return net
''')

COMPILE_MSE = swap(COMPILE_PLAIN, "loss='binary_crossentropy'", "loss='mse'")

NET_ADD = NET_HEAD + "\n" + textwrap.indent(code('''
    model = keras.Sequential()
    model.add(keras.Input(shape=(img_h, img_w, channels)))
    model.add(keras.layers.Conv2D(init_size, kernels, activation='relu',
                                  kernel_initializer=weight_init, bias_initializer=bias_init))
    if batch_norm:
        model.add(keras.layers.BatchNormalization(momentum=bn_momentum))
    model.add(keras.layers.Conv2D(2 * init_size, kernels, activation='relu',
                                  kernel_initializer=weight_init, bias_initializer=bias_init))
    if batch_norm:
        model.add(keras.layers.BatchNormalization(momentum=bn_momentum))
    model.add(keras.layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(dense_size, activation='relu',
                                 kernel_initializer=weight_init, bias_initializer=bias_init))
    if batch_norm:
        model.add(keras.layers.BatchNormalization(momentum=bn_momentum))
    model.add(keras.layers.Dropout(dropout))
    if batch_norm:
        model.add(keras.layers.Dense(1, kernel_initializer=weight_init, bias_initializer=bias_init))
        model.add(keras.layers.BatchNormalization(momentum=bn_momentum))
        model.add(keras.layers.Activation('sigmoid'))
    else:
        model.add(keras.layers.Dense(1, activation='sigmoid',
                                     kernel_initializer=weight_init, bias_initializer=bias_init))
    return model
'''), "    ") + "\n\n\n" + COMPILE_PLAIN

NET_LIST = NET_HEAD + "\n" + textwrap.indent(code('''
    from keras import layers
    init = {'kernel_initializer': weight_init, 'bias_initializer': bias_init}

    def bn():
        return [layers.BatchNormalization(momentum=bn_momentum)] if batch_norm else []

    stack = [keras.Input(shape=(img_h, img_w, channels))]
    stack += [layers.Conv2D(init_size, (kernels, kernels), activation='relu', **init)] + bn()
    stack += [layers.Conv2D(init_size * 2, (kernels, kernels), activation='relu', **init)] + bn()
    stack += [layers.MaxPooling2D((2, 2)), layers.Flatten()]
    stack += [layers.Dense(dense_size, activation='relu', **init)] + bn()
    stack += [layers.Dropout(dropout)]
    if batch_norm:
        stack += [layers.Dense(1, **init), layers.BatchNormalization(momentum=bn_momentum),
                  layers.Activation('sigmoid')]
    else:
        stack += [layers.Dense(1, activation='sigmoid', **init)]
    return keras.Sequential(stack)
'''), "    ") + "\n\n\n" + COMPILE_PLAIN

NET_FROM_IMPORT = "from keras.layers import (Activation, BatchNormalization, Conv2D, Dense, Dropout,\n" \
    "                          Flatten, MaxPooling2D)\n\n\n" + NET_HEAD + "\n" + textwrap.indent(code('''
    def maybe_bn(net):
        if batch_norm:
            net.add(BatchNormalization(momentum=bn_momentum))

    inits = dict(kernel_initializer=weight_init, bias_initializer=bias_init)
    net = keras.Sequential(name="separator_cnn")
    net.add(keras.Input(shape=(img_h, img_w, channels)))
    net.add(Conv2D(filters=init_size, kernel_size=kernels, activation="relu", **inits))
    maybe_bn(net)
    net.add(Conv2D(filters=2 * init_size, kernel_size=kernels, activation="relu", **inits))
    maybe_bn(net)
    net.add(MaxPooling2D(pool_size=2))
    net.add(Flatten())
    net.add(Dense(dense_size, activation="relu", **inits))
    maybe_bn(net)
    net.add(Dropout(dropout))
    net.add(Dense(1, activation=None if batch_norm else "sigmoid", **inits))
    if batch_norm:
        net.add(BatchNormalization(momentum=bn_momentum))
        net.add(Activation("sigmoid"))
    return net
'''), "    ") + "\n\n\n" + COMPILE_OBJECTS

# own network 1: three convolutions with LeakyReLU, global max pooling, 5 weighted layers
NET_OWN_LEAKY_GMP = NET_HEAD + "\n" + textwrap.indent(code('''
    # My own, smaller network: a separator is a thin line somewhere in the patch, so a global
    # max pooling over the last feature maps should be enough to find it.
    from keras import layers
    init = dict(kernel_initializer=weight_init, bias_initializer=bias_init)
    net = keras.Sequential(name="leaky_gmp")
    net.add(keras.Input(shape=(img_h, img_w, channels)))
    for filters in (32, 64, 64):
        net.add(layers.Conv2D(filters, kernels, **init))
        if batch_norm:
            net.add(layers.BatchNormalization(momentum=bn_momentum))
        net.add(layers.LeakyReLU(negative_slope=0.1))
    net.add(layers.GlobalMaxPooling2D())
    net.add(layers.Dense(dense_size // 2, **init))
    if batch_norm:
        net.add(layers.BatchNormalization(momentum=bn_momentum))
    net.add(layers.LeakyReLU(negative_slope=0.1))
    net.add(layers.Dropout(dropout))
    if batch_norm:
        net.add(layers.Dense(1, **init))
        net.add(layers.BatchNormalization(momentum=bn_momentum))
        net.add(layers.Activation('sigmoid'))
    else:
        net.add(layers.Dense(1, activation='sigmoid', **init))
    return net
'''), "    ") + "\n\n\n" + COMPILE_PLAIN

# own network 2: average pooling, padding='same', 5 weighted layers
NET_OWN_AVGPOOL = NET_HEAD + "\n" + textwrap.indent(code('''
    L = keras.layers
    kw = {'kernel_initializer': weight_init, 'bias_initializer': bias_init}

    def bn():
        return [L.BatchNormalization(momentum=bn_momentum)] if batch_norm else []

    layer_list = [keras.Input(shape=(img_h, img_w, channels))]
    layer_list += [L.Conv2D(32, kernels, padding='same', activation='relu', **kw)] + bn()
    layer_list += [L.Conv2D(32, kernels, activation='relu', **kw)] + bn()
    layer_list += [L.AveragePooling2D(pool_size=2)]
    layer_list += [L.Conv2D(64, kernels, activation='relu', **kw)] + bn()
    layer_list += [L.Flatten(), L.Dense(64, activation='relu', **kw)] + bn()
    layer_list += [L.Dropout(dropout)]
    if batch_norm:
        layer_list += [L.Dense(1, **kw), L.BatchNormalization(momentum=bn_momentum),
                       L.Activation('sigmoid')]
    else:
        layer_list += [L.Dense(1, activation='sigmoid', **kw)]
    return keras.Sequential(layer_list)
'''), "    ")

# own network 3: ELU, pooling between the convolutions (used by the late re-definition)
NET_OWN_ELU_BODY = textwrap.indent(code('''
    layers = keras.layers
    model = keras.Sequential()
    model.add(keras.Input(shape=(img_h, img_w, channels)))
    model.add(layers.Conv2D(init_size, kernels, activation='elu',
                            kernel_initializer=weight_init, bias_initializer=bias_init))
    if batch_norm:
        model.add(layers.BatchNormalization(momentum=bn_momentum))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(init_size, kernels, activation='elu',
                            kernel_initializer=weight_init, bias_initializer=bias_init))
    if batch_norm:
        model.add(layers.BatchNormalization(momentum=bn_momentum))
    model.add(layers.Flatten())
    model.add(layers.Dense(dense_size // 2, activation='elu',
                           kernel_initializer=weight_init, bias_initializer=bias_init))
    if batch_norm:
        model.add(layers.BatchNormalization(momentum=bn_momentum))
    model.add(layers.Dropout(0.2))
    if batch_norm:
        model.add(layers.Dense(1, kernel_initializer=weight_init, bias_initializer=bias_init))
        model.add(layers.BatchNormalization(momentum=bn_momentum))
        model.add(layers.Activation('sigmoid'))
    else:
        model.add(layers.Dense(1, activation='sigmoid',
                               kernel_initializer=weight_init, bias_initializer=bias_init))
    return model
'''), "    ")

# mistake: kernel initializer hard-coded (weight_init ignored)
NET_HARDCODED_GLOROT = swap(NET_ADD, "kernel_initializer=weight_init",
                            "kernel_initializer='glorot_uniform'", count=5)

# mistake: BatchNormalization with its default momentum (bn_momentum ignored)
NET_BN_DEFAULT = swap(swap(NET_LIST,
    "def bn():\n        return [layers.BatchNormalization(momentum=bn_momentum)] if batch_norm else []",
    "def bn():\n        return [layers.BatchNormalization()] if batch_norm else []"),
    "layers.BatchNormalization(momentum=bn_momentum),", "layers.BatchNormalization(),")

# mistake: compiled with the mean squared error
NET_MSE = swap(NET_ADD, COMPILE_PLAIN, COMPILE_MSE)

# mistake: far too weak a model (logistic regression on the pixels)
NET_LINEAR = NET_HEAD + "\n" + textwrap.indent(code('''
    # start simple: a logistic regression on the pixels (TODO: the CNN)
    model = keras.Sequential()
    model.add(keras.Input(shape=(img_h, img_w, channels)))
    model.add(keras.layers.Flatten())
    if batch_norm:
        model.add(keras.layers.Dense(1, kernel_initializer=weight_init, bias_initializer=bias_init))
        model.add(keras.layers.BatchNormalization(momentum=bn_momentum))
        model.add(keras.layers.Activation('sigmoid'))
    else:
        model.add(keras.layers.Dense(1, activation='sigmoid',
                                     kernel_initializer=weight_init, bias_initializer=bias_init))
    return model
'''), "    ") + "\n\n\n" + COMPILE_PLAIN

# ----------------------------------------------------------------------------------------------
# run_experiment bodies (the template's cell keeps OPTIMIZERS and TimeHistory)
# ----------------------------------------------------------------------------------------------

RUN_EARLY_STOP = code('''
    model = get_compiled_model(OPTIMIZERS[optimizer_name](), **model_options)
    timer = TimeHistory()
    stop = keras.callbacks.EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True)
    model.fit(np.asarray(X_train_bal), np.asarray(y_train_bal), epochs=100, batch_size=32,
              validation_split=0.1, callbacks=[timer, stop], verbose=0)
    y_pred = (model.predict(np.asarray(X_test), verbose=0).ravel() > 0.5).astype(int)
    acc = np.mean(y_pred == np.asarray(y_test))
    bal = balanced_accuracy_score(y_test, y_pred)
    print(f"{optimizer_name:8s} {model_options}: {len(timer.times)} epochs, "
          f"{np.mean(timer.times):.2f} s/epoch, test acc {acc:.3f}, balanced acc {bal:.3f}")
    return model
''')

RUN_REPORT = code('''
    optimizer = OPTIMIZERS[optimizer_name]()
    model = get_compiled_model(optimizer, **model_options)
    time_callback = TimeHistory()
    early_stopping = keras.callbacks.EarlyStopping(patience=5)
    history = model.fit(X_train_bal, y_train_bal, batch_size=32, epochs=100,
                        validation_split=0.1, shuffle=True,
                        callbacks=[time_callback, early_stopping], verbose=0)
    _, test_acc = model.evaluate(X_test, y_test, verbose=0)
    predictions = model.predict(X_test, verbose=0).ravel() > 0.5
    print(optimizer_name, model_options)
    print("  epochs:", len(history.history['loss']))
    print("  mean time per epoch: %.2f s" % np.mean(time_callback.times))
    print("  test accuracy: %.4f" % test_acc)
    print("  balanced accuracy: %.4f" % balanced_accuracy_score(y_test, predictions))
    print(confusion_matrix(y_test, predictions))
    return {'epochs': len(time_callback.times), 'time': np.mean(time_callback.times),
            'acc': test_acc}
''')

RUN_SHORT = code('''
    t0 = time.time()
    net = get_compiled_model(OPTIMIZERS[optimizer_name](), **model_options)
    times = TimeHistory()
    net.fit(np.array(X_train_bal), np.array(y_train_bal), epochs=100, batch_size=32, verbose=0,
            validation_split=0.1,
            callbacks=[times, keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)])
    pred = net.predict(np.array(X_test), verbose=0)[:, 0] > 0.5
    print(f"{optimizer_name} {model_options} -> epochs={len(times.times)} "
          f"time/epoch={np.mean(times.times):.2f}s total={time.time() - t0:.0f}s")
    print(classification_report(y_test, pred, digits=3))
''')

# ----------------------------------------------------------------------------------------------
# written answers (graded by hand; they only have to be plausible)
# ----------------------------------------------------------------------------------------------

ANSWERS_1 = {
    "1.1 (explanation)": "C goes up and leaves the plot right after the first epoch, so the steps are "
        "far too large and training diverges: very high. A drops fast but then jumps up and down "
        "around 1, it overshoots the minimum all the time: high. B decreases slowly and steadily and "
        "is still far from the others after 30 epochs: low. D decreases fast and then stays flat at "
        "the lowest loss: good.",
    "1.2": "(i) Exploding gradients: the very high learning rate. Every update overshoots, the weights "
        "grow, and the gradients grow with them until the loss blows up. (ii) Vanishing gradients are "
        "more likely with the low learning rate: the updates are tiny, the weights stay in a region "
        "where the gradients are small and training almost stops.",
    "1.3": "The step in the steep direction is much larger than in the flat one. A learning rate small "
        "enough for the steep direction makes progress in the flat direction very slow; a larger one "
        "makes the optimiser oscillate / diverge along the steep direction (zig-zag path).",
    "2.1": "Each update is much cheaper (only a few samples), so we update many times per epoch; the "
        "batch fits in (GPU) memory; the noise of the gradient estimate can help to escape saddle "
        "points and shallow local minima and acts as a regulariser; vectorised batches are still "
        "efficient compared with pure SGD.",
    "2.2 (explanation)": "A false: the main goal is to stabilise / speed up training, the regularising "
        "effect is a side effect. B false: it allows larger learning rates, not only smaller ones. "
        "C true: forcing mean 0 and std 1 restricts what the unit can represent, which is why BN "
        "learns gamma and beta. D true: the inputs stay in the non-saturated range of the sigmoid.",
    "2.3": "It saturates for large |x| so the gradient vanishes; its maximum derivative is only 0.25, "
        "so gradients shrink layer after layer; the output is not zero-centred (always positive), "
        "which makes the updates zig-zag; exp is relatively expensive.",
    "2.4": "For positive inputs the derivative of ReLU is exactly 1, so the gradient is passed back "
        "without being shrunk, however deep the network. Other advantages: very cheap to compute, "
        "sparse activations, faster convergence in practice.",
    "3.1 (explanation)": "Plain gradient descent stops after 164 steps at theta = -0.27387 (loss "
        "-0.1786): the local minimum closest to the start, so yes, it gets stuck. With momentum "
        "(initial momentum 1, factor 0.6) the first step is large and the optimiser rolls over the "
        "bump; it stops after 40 steps at theta = 1.09046, loss -1.0467, the global minimum.",
    "4.1": "Adam and RMSProp reached about 0.97 balanced accuracy after 10-20 epochs; AdaGrad with "
        "lr 0.01 needed more epochs and ended slightly lower. Time per epoch is almost the same for "
        "all three (the optimizer is cheap compared with the convolutions), so the total time is "
        "mostly decided by the number of epochs until early stopping.",
    "4.2": "With random-uniform initialisation (small range, all positive-ish) training starts slower "
        "and needs more epochs, and with AdaGrad it did not reach the same accuracy. Glorot scales "
        "the weights by the fan-in/fan-out, so the activations keep their variance and training "
        "converges faster. Time per epoch does not change.",
    "4.3": "With batch normalization each epoch is a bit slower (extra layers), but fewer epochs were "
        "needed and the validation loss was less noisy. The test accuracy was similar (a bit better "
        "for AdaGrad). The momentum 0.9 controls how fast the running mean/variance follow the "
        "batches.",
}

ANSWERS_2 = {
    "1.1 (explanation)": "very high = C (loss explodes at once), high = A (noisy, bounces around), "
        "good = D (smooth and lowest), low = B (almost a straight slow decline on the log plot).",
    "1.2": "Exploding gradients come with too high learning rates (C and A): big steps make the "
        "weights and therefore the gradients bigger and bigger. Vanishing gradients: the low "
        "learning rate (B) barely changes the weights, so if gradients are small they stay small.",
    "1.3": "The optimiser oscillates in the direction with the large gradient and moves slowly in the "
        "other direction; we have to pick the learning rate for the worst direction. That is what "
        "adaptive methods (AdaGrad, RMSProp, Adam) fix with a per-parameter learning rate.",
    "2.1": "Faster updates, less memory, can use parallel hardware well, noise helps generalisation.",
    "2.2 (explanation)": "A: no, regularisation is a side effect. B: no, it allows higher learning "
        "rates. C: yes, the normalisation limits the unit, gamma/beta give the expressiveness "
        "back. D: yes, with normalised inputs sigmoid/tanh are used in their linear part.",
    "2.3": "Vanishing gradients because of saturation, not zero-centred, computationally costly.",
    "2.4": "Its gradient is 1 for all positive inputs so it does not vanish. Also cheap and sparse.",
    "3.1 (explanation)": "Gradient descent: 164 steps, ends near -0.274, a local minimum, stuck. "
        "Momentum: 40 steps, ends near 1.090 with loss -1.047, the global minimum of the interval.",
    "4.1": "adagrad: 31 epochs, 1.9 s/epoch, acc 0.962; adam: 14 epochs, 2.0 s/epoch, acc 0.975; "
        "rmsprop: 12 epochs, 1.9 s/epoch, acc 0.971. Adam/RMSProp converge faster.",
    "4.2": "random_uniform: more epochs for all optimizers and a lower accuracy (AdaGrad 0.93). "
        "Xavier is better because it keeps the variance of the activations constant across layers.",
    "4.3": "Batch norm: about 20% more time per epoch, converges in fewer epochs, accuracy about the "
        "same (0.97). Training was more stable.",
}

ANSWERS_3 = dict(ANSWERS_1)
ANSWERS_3.update({
    "2.1": "Minibatches give a good estimate of the gradient for a fraction of the cost, so for the "
        "same computation we get many more parameter updates. They fit into memory, use vectorised "
        "code/GPUs, and the gradient noise helps to escape sharp minima.",
    "4.1": "I ran the three optimizers with early stopping (patience 5). AdaGrad: 38 epochs, 2.3 s per "
        "epoch, test accuracy 0.958 (balanced 0.95). Adam: 17 epochs, 2.4 s, 0.972 (0.97). RMSProp: "
        "15 epochs, 2.3 s, 0.969 (0.96). Adam and RMSProp are clearly faster to train.",
})

ANSWER_11_SWAPPED = ("C explodes, so very high. D goes down quickly at first and then wiggles a "
                     "bit, I think that is the high one, and A is the good one. B is slow: low.")
ANSWER_22_ONLY_C = ("A false (regularisation is only a side effect). B false (BN allows larger "
                    "learning rates). C true: normalising restricts the unit. D false: BN is about "
                    "internal covariate shift, it does not make sigmoid usable.")

# ----------------------------------------------------------------------------------------------
# students
# ----------------------------------------------------------------------------------------------

BASE = {
    "q1_1_labels": Q1_PLAIN, "q2_2_true_statements": Q2_SET, "loss": LOSS_WHERE, "sgd": SGD_CLASSIC,
    "sgd_momentum": MOM_CLASSIC, "q3_gd_gets_stuck": STUCK_TRUE, "read_data": READ_STD,
    "get_images": IMAGES_WHILE, "balance": BALANCE_RANDOM, "get_net": NET_ADD,
    "run_experiment": RUN_EARLY_STOP, "answers": ANSWERS_1,
}

FULL = dict(QUESTIONS)


def pts(**lost):
    """Points per question: the full marks with the given questions replaced."""
    out = dict(FULL)
    for key, value in lost.items():
        if key not in out:
            raise CorpusError(f"unknown question {key}")
        out[key] = value
    return out


def md(text):
    return ("markdown", code(text))


def cc(text, tags=None):
    return ("code", code(text), tags)


SAMPLES = [
    # ------------------------------------------------------------------------------------- fair
    dict(name="fair-classic-loops", student=("Lena Fischer", "4821093"), kind="fair",
         fill={}, points=pts(),
         reason="while loops everywhere (2019 style), random.sample balance, reference CNN: all correct"),
    dict(name="fair-vectorised-reshape", student=("Tomasz Nowak", "4821117"), kind="fair",
         fill=dict(q1_1_labels=Q1_ZIP, q2_2_true_statements=Q2_STRING, loss=LOSS_PIECEWISE,
                   sgd=SGD_INPLACE, sgd_momentum=MOM_INPLACE, read_data=READ_RESHAPE,
                   get_images=IMAGES_RESHAPE, balance=BALANCE_NP_CHOICE, get_net=NET_LIST,
                   run_experiment=RUN_REPORT, answers=ANSWERS_2),
         points=pts(),
         reason="np.piecewise loss, in-place x -= update, get_images by reshape/transpose, balance "
                "with np.random.choice(replace=False); q2_2 as the string 'CD': all correct"),
    dict(name="fair-stride-tricks", student=("Amira Haddad", "4821150"), kind="fair",
         fill=dict(q1_1_labels=Q1_CAPS, q2_2_true_statements=Q2_TUPLE_LOWER, loss=LOSS_MASK,
                   sgd=SGD_WHILE_TRUE, sgd_momentum=MOM_WHILE_TRUE, get_images=IMAGES_STRIDES,
                   balance=BALANCE_RNG_MASK, get_net=NET_FROM_IMPORT, run_experiment=RUN_SHORT,
                   answers=ANSWERS_3),
         points=pts(),
         reason="sliding_window_view patches, default_rng balance, `while True` optimisers, masked "
                "loss returning numpy scalars, labels 'Very High', ('c','d'), BinaryCrossentropy() "
                "object and keras.optimizers.get: all correct"),
    dict(name="fair-for-break", student=("Jonas Berg", "4821178"), kind="fair",
         fill=dict(q2_2_true_statements=Q2_LIST, loss=LOSS_SELECT, sgd=SGD_FOR_BREAK,
                   sgd_momentum=MOM_FOR_BREAK, get_images=IMAGES_RANGE,
                   balance=BALANCE_SHUFFLE_PAIRS, answers=ANSWERS_2),
         points=pts(),
         reason="for-loops over range(1, max_iter + 1) with break after the converged step, "
                "range(0, H - h, h) patches, zip/shuffle balance: all correct"),
    dict(name="fair-float32", student=("Mei Chen", "4821202"), kind="fair",
         fill=dict(q1_1_labels=Q1_DASH, loss=LOSS_FLOAT32, sgd=SGD_FLOAT32, sgd_momentum=MOM_FLOAT32,
                   read_data=READ_FLOAT32, get_images=IMAGES_RESHAPE, balance=BALANCE_NP_CHOICE,
                   answers=ANSWERS_3),
         points=pts(),
         reason="float32 everywhere (np.float32 init, float32 loss/grad/history, img_as_float32); "
                "'Very-High' label: all correct (rubric accepts float32)"),
    dict(name="fair-lists-numpy-scalars", student=("Diego Ramirez", "4821236"), kind="fair",
         fill=dict(q1_1_labels=Q1_CAPS, q2_2_true_statements=Q2_LIST, loss=LOSS_WHERE,
                   sgd=SGD_LISTS_NUMPY, sgd_momentum=MOM_LISTS_NUMPY, q3_gd_gets_stuck=STUCK_NUMPY,
                   get_images=IMAGES_LISTS, balance=BALANCE_LISTS, run_experiment=RUN_EARLY_STOP),
         points=pts(),
         reason="history entries are lists of numpy scalars (np.int64 iter), get_images/balance "
                "return Python lists with bool labels, q3 answer is a numpy bool (sgd_hist[-1][1] < 0), "
                "q2_2 a list: all correct"),
    dict(name="fair-answer-spellings", student=("Sofia Rossi", "4821259"), kind="fair",
         fill=dict(q1_1_labels=Q1_ODD_SPELLING, q2_2_true_statements=Q2_NUMPY,
                   q3_gd_gets_stuck=STUCK_COMPARE, loss=LOSS_SCALAR_LOOP, get_images=IMAGES_RANGE,
                   answers=ANSWERS_2),
         points=pts(),
         reason="keys 'a'..'d', values ' high'/'LOW'/'very_high'/'Good ', q2_2 a numpy array, q3 a "
                "numpy bool from a comparison, scalar-loop loss: all accepted by the rubric"),
    dict(name="fair-extra-cells", student=("Oskar Lindqvist", "4821283"), kind="fair",
         fill=dict(q2_2_true_statements=Q2_SET_CALL, get_images=IMAGES_RESHAPE,
                   balance=BALANCE_NP_CHOICE, run_experiment=RUN_REPORT, answers=ANSWERS_3),
         extra="extra_cells", points=pts(),
         reason="own plots, prints, helpers and re-definitions (loss/grad and balance redefined "
                "equivalently after their checks), an extra otter_ignore experiment: all correct"),
    dict(name="fair-fixed-sgd-recheck", student=("Hannah Weber", "4821307"), kind="fair",
         fill=dict(sgd=SGD_APPEND_AFTER_LOOP, answers=ANSWERS_2), extra="fixed_sgd",
         points=pts(),
         reason="first sgd appends only once (its check fails); fixed in a later cell and "
                "grader.check('q3_sgd') re-run there: the last check counts, full q3_sgd"),
    dict(name="fair-comment-above-sgd", student=("Ravi Patel", "4821331"), kind="fair",
         fill=dict(loss=LOSS_PIECEWISE, sgd=SGD_FOR_BREAK, sgd_momentum=MOM_FOR_BREAK,
                   answers=ANSWERS_3),
         extra="comment_above_sgd", points=pts(),
         reason="a comment '# re-run grader.check(\"q3_sgd\") after editing' in a cell above the "
                "sgd definition: a comment is not a call, nothing changes"),
    dict(name="fair-check-loop-at-end", student=("Chloe Martin", "4821355"), kind="fair",
         fill=dict(q1_1_labels=Q1_SWAPPED_AD, balance=BALANCE_RNG_MASK, get_net=NET_LIST,
                   answers=ANSWERS_1),
         extra="check_loop", points=pts(),
         reason="q1_1 first swapped A/D (checked), corrected near the end, then "
                "`for q in [...]: grader.check(q)`: the loop's check is the last one, full q1_1"),
    dict(name="fair-loss-at-new-x", student=("Kwame Mensah", "4821379"), kind="fair",
         fill=dict(sgd=SGD_NEW_X, sgd_momentum=MOM_NEW_X, answers=ANSWERS_2), points=pts(),
         reason="history/callback loss and grad are evaluated at the new x (the point the entry "
                "names); x trajectory, step count, stop rule all as specified: full marks "
                "(the prompt does not say where cur_loss/cur_grad are taken)"),
    dict(name="fair-post-step-loss", student=("Ines Duarte", "4821403"), kind="fair",
         fill=dict(sgd=SGD_POST_LOSS, sgd_momentum=MOM_POST_LOSS, get_images=IMAGES_RANGE,
                   balance=BALANCE_SHUFFLE_PAIRS, answers=ANSWERS_3), points=pts(),
         reason="loss recorded after the step (so (x, loss) lies on the curve, as plot_steps "
                "assumes), grad = the gradient used for the step: full marks"),
    dict(name="fair-own-cnn-leaky-gmp", student=("Yuki Tanaka", "4821427"), kind="fair",
         fill=dict(get_net=NET_OWN_LEAKY_GMP, answers=ANSWERS_1), points=pts(q4_net=2),
         reason="own CNN (3 Conv2D + LeakyReLU, GlobalMaxPooling2D, 2 Dense) honouring "
                "weight_init/bias_init/batch_norm/bn_momentum: only the architecture point lost; "
                "balanced accuracy 0.979 by the rubric recipe"),
    dict(name="fair-own-cnn-avgpool", student=("Fatima Zahra Benali", "4821451"), kind="fair",
         fill=dict(get_net=NET_OWN_AVGPOOL + "\n\n\n" + COMPILE_OBJECTS, get_images=IMAGES_RESHAPE,
                   answers=ANSWERS_2), points=pts(q4_net=2),
         reason="own CNN (5 weighted layers, AveragePooling2D, padding='same') honouring every "
                "option: only the architecture point lost; balanced accuracy 0.973 by the recipe"),
    dict(name="fair-late-get-net-redefinition", student=("Lukas Novak", "4821475"), kind="fair",
         fill=dict(answers=ANSWERS_3), extra="late_get_net", points=pts(),
         reason="reference CNN checked by grader.check('q4_net'); later an own ELU CNN redefines "
                "get_net (q4_quality is scored at the end with it: 0.942 by the recipe): full marks"),
    # ---------------------------------------------------------------------------------- mistakes
    dict(name="mistake-sgd-sign", student=("Mateo Silva", "4821499"), kind="mistake",
         fill=dict(sgd=SGD_SIGN, answers=ANSWERS_1), points=pts(q3_sgd=1.5),
         reason="sgd does x += update (gradient ascent): fails update rule (1), local minimum (1), "
                "stop rule (0.5); keeps history/callbacks (1) and max_iter counts (0.5) as the "
                "rubric words them"),
    dict(name="mistake-sgd-early-stop", student=("Aino Virtanen", "4821523"), kind="mistake",
         fill=dict(sgd=SGD_EARLY_STOP, sgd_momentum=MOM_FOR_BREAK, answers=ANSWERS_2),
         points=pts(q3_sgd=3.5),
         reason="sgd tests the tolerance before stepping: 163 steps instead of 164 and 0 steps for "
                "converge_tol=1.0: loses the stop rule (0.5) only (end point differs by < 1e-6)"),
    dict(name="mistake-sgd-ignores-max-iter", student=("Noah Schmidt", "4821547"), kind="mistake",
         fill=dict(sgd=SGD_IGNORES_MAX_ITER, answers=ANSWERS_3), points=pts(q3_sgd=3.5),
         reason="sgd's loop limit is hard-coded to 10000: max_iter=7 / 0 still give 164 steps: "
                "loses the max_iter test (0.5) only"),
    dict(name="mistake-momentum-4-tuples", student=("Zeynep Yilmaz", "4821571"), kind="mistake",
         fill=dict(sgd_momentum=MOM_FOUR_TUPLES, answers=ANSWERS_1), points=pts(q3_momentum=3),
         reason="momentum history entries lack the momentum field (4-tuples; callbacks are right): "
                "loses the history-format test (1) only"),
    dict(name="mistake-momentum-plus-update", student=("Liam O'Connor", "4821595"), kind="mistake",
         fill=dict(sgd=SGD_INPLACE, sgd_momentum=MOM_PLUS_UPDATE, answers=ANSWERS_2),
         points=pts(q3_momentum=1),
         reason="momentum = factor*momentum + update: wrong update rule (1), no escape to 1.09 "
                "(1.5), not 40 steps (0.5); history format and callbacks still right (1)"),
    dict(name="mistake-loss-no-walls", student=("Emma Dubois", "4821619"), kind="mistake",
         fill=dict(loss=LOSS_NO_WALLS, answers=ANSWERS_3), points=pts(q3_loss=0.5),
         reason="loss has no 1e10 walls (grad is right): loses the loss-values half (0.5)"),
    dict(name="mistake-grad-wall-sign", student=("Arjun Sharma", "4821643"), kind="mistake",
         fill=dict(loss=LOSS_GRAD_WALL_SIGN, get_images=IMAGES_RANGE, answers=ANSWERS_1),
         points=pts(q3_loss=0.5),
         reason="grad walls with the wrong sign (+1e10 below -1, -1e10 above 2): loses the "
                "grad-values half (0.5); the default runs never leave [-1, 2]"),
    dict(name="mistake-patches-edge-le", student=("Olivia Brown", "4821667"), kind="mistake",
         fill=dict(get_images=IMAGES_EDGE_LE, answers=ANSWERS_2), points=pts(q4_patches=2),
         reason="get_images loops with <=: only the edge-rule test (1) sees a difference; the page "
                "(1600x1210, 15x15) and the 16x61 threshold page give the same patches"),
    dict(name="mistake-patches-column-major", student=("Pedro Alves", "4821691"), kind="mistake",
         fill=dict(get_images=IMAGES_COLUMN_MAJOR, balance=BALANCE_NP_CHOICE, answers=ANSWERS_3),
         points=pts(q4_patches=1),
         reason="patches taken column by column: fails the row-major order test (1) and the page "
                "test (1, same patches in the wrong order); the 16x61 threshold page has one row"),
    dict(name="mistake-patches-threshold-ge", student=("Nina Petrova", "4821715"), kind="mistake",
         fill=dict(get_images=IMAGES_THRESH_GE, answers=ANSWERS_1), points=pts(q4_patches=2),
         reason="label 1 when share >= thresh: fails the threshold-boundary test (1) only (on the "
                "page k/225 never equals 0.1)"),
    dict(name="mistake-balance-with-replacement", student=("Samuel Okafor", "4821739"),
         kind="mistake", fill=dict(balance=BALANCE_REPLACEMENT, answers=ANSWERS_2),
         points=pts(q4_balance=1),
         reason="np.random.choice without replace=False for both classes: counts right (1), but "
                "duplicates and missing minority patches fail 'keeps samples & labels' (1)"),
    dict(name="mistake-balance-no-cut", student=("Julia Kowalczyk", "4821763"), kind="mistake",
         fill=dict(balance=BALANCE_NO_CUT, get_images=IMAGES_RANGE, answers=ANSWERS_3),
         points=pts(q4_balance=1),
         reason="balance shuffles but keeps the whole majority class: counts fail (1); every "
                "returned patch is an input patch, none twice, labels right (1 kept)"),
    dict(name="mistake-net-hardcoded-glorot", student=("Ahmed Hassan", "4821787"), kind="mistake",
         fill=dict(get_net=NET_HARDCODED_GLOROT, answers=ANSWERS_1), points=pts(q4_net=2),
         reason="kernel_initializer='glorot_uniform' hard-coded in get_net: fails the initializers test (1); "
                "get_compiled_model itself is right (it builds the student's own get_net), so by one mistake, "
                "one deduction the compile test passes (expectation corrected from 1.5 after review: the "
                "rubric's 'passes weight_init through' was ambiguous)"),
    dict(name="mistake-bn-default-momentum", student=("Clara Jensen", "4821811"), kind="mistake",
         fill=dict(get_net=NET_BN_DEFAULT, answers=ANSWERS_2), points=pts(q4_net=2.5),
         reason="BatchNormalization() with its default momentum, bn_momentum ignored: fails the "
                "batch-norm test (0.5) only"),
    dict(name="mistake-compile-mse", student=("Viktor Horvath", "4821835"), kind="mistake",
         fill=dict(get_net=NET_MSE, get_images=IMAGES_RESHAPE, answers=ANSWERS_3),
         points=pts(q4_net=2.5),
         reason="get_compiled_model uses loss='mse': fails the compile test (0.5) only (the quality "
                "test compiles the net itself)"),
    dict(name="mistake-stuck-string", student=("Grace Kim", "4821859"), kind="mistake",
         fill=dict(q3_gd_gets_stuck=STUCK_YES, answers=ANSWERS_1), points=pts(q3_stuck=0),
         reason="q3_gd_gets_stuck = \"yes\" (a string, not a bool): q3_stuck 0"),
    dict(name="mistake-swapped-curves-and-d", student=("Ethan Walker", "4821883"), kind="mistake",
         fill=dict(q1_1_labels=Q1_SWAPPED_AD, q2_2_true_statements=Q2_ONLY_C,
                   answers=dict(ANSWERS_2, **{"1.1 (explanation)": ANSWER_11_SWAPPED,
                                              "2.2 (explanation)": ANSWER_22_ONLY_C})),
         points=pts(q1_1=1, q2_2=1.5),
         reason="curves A and D swapped (good/high): q1_1 1/2; statement D not marked true: "
                "q2_2 1.5/2"),
    dict(name="mistake-weak-linear-model", student=("Maya Goldberg", "4821907"), kind="mistake",
         fill=dict(get_net=NET_LINEAR, answers=ANSWERS_3), points=pts(q4_net=2, q4_quality=0),
         reason="get_net is Flatten -> Dense(1, sigmoid) (options honoured): loses the architecture "
                "point (1) and q4_quality (balanced accuracy 0.73 < 0.90 by the recipe)"),
    dict(name="mistake-gt-0-255", student=("Leon Wagner", "4821931"), kind="mistake",
         fill=dict(read_data=READ_GT_255, answers=ANSWERS_1), points=pts(q4_read_data=0),
         reason="read_data returns gt as read from the PNG (values 0/255, not 0/1): q4_read_data 0; "
                "get_images tests gt == 0, so the patches are unaffected"),
]

# ----------------------------------------------------------------------------------------------
# extra cells of some students
# ----------------------------------------------------------------------------------------------

EXTRA = {}

EXTRA["extra_cells"] = [
    ("after_check", "q3_loss", [
        md("Let me look at the loss and its gradient first (the walls are clipped for the plot)."),
        cc('''
            ts = np.linspace(-1.2, 2.2, 400)
            fig, ax = plt.subplots(1, 2, figsize=(10, 3))
            ax[0].plot(ts, np.clip(loss(ts), -2, 3))
            ax[0].set_title("loss (clipped)")
            ax[1].plot(ts, np.clip(grad(ts), -10, 10))
            ax[1].set_title("grad (clipped)")
            plt.show()
            print(loss(-1.5), loss(2.5), grad(-1.5), grad(2.5))
        '''),
        md("A slightly cleaner version of the same functions, which I use from now on."),
        cc('''
            def loss(theta):
                theta = np.asarray(theta, dtype=float)
                return np.where((theta < -1.0) | (theta > 2.0), 1e10, theta * np.cos(np.pi * theta))


            def grad(theta):
                theta = np.asarray(theta, dtype=float)
                inner = np.cos(np.pi * theta) - np.pi * theta * np.sin(np.pi * theta)
                return np.where(theta < -1.0, -1e10, np.where(theta > 2.0, 1e10, inner))


            assert np.isclose(loss(0.5), 0.5 * np.cos(np.pi / 2))
        '''),
    ]),
    ("after_check", "q3_stuck", [
        cc('''
            def describe(hist, x_index=1):
                last = hist[-1]
                return f"{len(hist)} steps, final theta = {float(last[x_index]):.5f}"


            print("GD:      ", describe(sgd_hist))
            print("momentum:", describe(momentum_hist))
            plt.plot([float(e[1]) for e in sgd_hist], label="GD")
            plt.plot([float(e[1]) for e in momentum_hist], label="momentum")
            plt.xlabel("iteration"); plt.ylabel("theta"); plt.legend(); plt.show()
        '''),
    ]),
    ("before_def", "get_images", [
        cc('''
            def show_patches(patches, labels, n=8):
                """Plot the first n patches with their labels."""
                fig, axes = plt.subplots(1, n, figsize=(2 * n, 2))
                for ax, patch, label in zip(axes, patches, labels):
                    ax.imshow(np.squeeze(patch), cmap="gray", vmin=0, vmax=1)
                    ax.set_title(str(label))
                    ax.axis("off")
                plt.show()
        '''),
    ]),
    ("after_check", "q4_patches", [
        cc('''
            print(X.shape, y.shape, "separator patches:", int(np.sum(y)))
            sep_idx = np.flatnonzero(y == 1)
            show_patches(X[sep_idx], y[sep_idx])
            show_patches(X, y)
        '''),
    ]),
    ("after_check", "q4_balance", [
        cc('''
            print("before:", np.bincount(np.asarray(y_train, dtype=int)))
            print("after: ", np.bincount(np.asarray(y_train_bal, dtype=int)))


            # same thing written with a boolean mask; I keep this one
            def balance(X, y):
                X, y = np.asarray(X), np.asarray(y)
                n = min(int(np.sum(y == 1)), int(np.sum(y == 0)))
                keep = []
                for cls in (1, 0):
                    idx = np.flatnonzero(y == cls)
                    keep.extend(np.random.choice(idx, n, replace=False))
                keep = np.random.permutation(np.array(keep, dtype=int))
                return X[keep], y[keep]


            X_train_bal, y_train_bal = balance(X_train, y_train)
            print("again: ", np.bincount(np.asarray(y_train_bal, dtype=int)))
        '''),
    ]),
    ("after_check", "q4_net", [
        cc('''
            get_net('glorot_uniform', 'zeros').summary()
            get_net('random_uniform', 'zeros', batch_norm=True, bn_momentum=0.9).summary()
        '''),
    ]),
    ("before_markdown", "**Question 4.1.**", [
        cc('''
            # experiment — not run by the autograder: batch norm with the default momentum 0.99
            results = {name: run_experiment(name, batch_norm=True) for name in OPTIMIZERS}
            for name, result in results.items():
                print(name, result)
        ''', tags=["otter_ignore"]),
    ]),
]

EXTRA["fixed_sgd"] = [
    ("after_check", "q3_sgd", [
        md("**Fix:** the check above failed (only one history entry): the `append` was outside the "
           "loop. Fixed version:"),
        cc(SGD_CLASSIC),
        cc('grader.check("q3_sgd")'),
    ]),
]

EXTRA["comment_above_sgd"] = [
    ("before_def", "sgd", [
        cc('''
            # re-run grader.check("q3_sgd") after editing
        '''),
    ]),
]

EXTRA["check_loop"] = [
    ("before_markdown", "## Submission", [
        md("After reading my explanation for 1.1 again I noticed that A and D were swapped: A is the "
           "noisy one (high), D the smooth one (good)."),
        cc(Q1_PLAIN),
        cc('''
            for q in ["q1_1", "q2_2", "q3_loss", "q3_sgd", "q3_momentum", "q3_stuck",
                      "q4_read_data", "q4_patches", "q4_balance", "q4_net"]:
                display(grader.check(q))
        '''),
    ]),
]

EXTRA["late_get_net"] = [
    ("after_check", "q4_net", [
        md("For the experiments I switch to a smaller network of my own (one convolution, pooling, "
           "one more convolution, ELU activations); it trains faster and is about as accurate."),
        cc(NET_HEAD + "\n" + NET_OWN_ELU_BODY),
        cc("get_net('glorot_uniform', 'zeros').summary()"),
    ]),
]

# ----------------------------------------------------------------------------------------------
# notebook manipulation
# ----------------------------------------------------------------------------------------------


def cell_source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def set_source(cell, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


def defined_names(src: str) -> set[str]:
    """Top-level functions, classes and assigned names of a code cell."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.add(target.id)
    return names


def checked_questions(src: str) -> set[str]:
    """Questions named by grader.check("...") calls (not comments or strings) in a code cell."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return set()
    out = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "check" and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.add(node.args[0].value)
    return out


def placeholders(src: str) -> list[str]:
    """Placeholder spots left in a code cell: `...` bodies and `x = ...` assignments."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and node.value.value is Ellipsis:
            found.append(f"`...` at line {node.lineno}")
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                and node.value.value is Ellipsis:
            found.append(f"`= ...` at line {node.lineno}")
    return found


def only_one(cells, what):
    if len(cells) != 1:
        raise CorpusError(f"expected exactly one template cell {what}, found {len(cells)}")
    return cells[0]


def find_def_cell(template_cells, name):
    return only_one([c for c in template_cells
                     if c["cell_type"] == "code" and name in defined_names(cell_source(c))],
                    f"defining {name!r}")


def find_check_cell(template_cells, question):
    return only_one([c for c in template_cells
                     if c["cell_type"] == "code" and question in checked_questions(cell_source(c))],
                    f"calling grader.check({question!r})")


def find_markdown(template_cells, needle):
    return only_one([c for c in template_cells
                     if c["cell_type"] == "markdown" and needle in cell_source(c)],
                    f"containing {needle!r}")


def fill_solution_cell(template_cells, name, text):
    """Replace the placeholder cell that defines `name` by the student's code."""
    cell = find_def_cell(template_cells, name)
    wanted = defined_names(cell_source(cell))
    got = defined_names(text)
    missing = wanted - got
    if missing:
        raise CorpusError(f"the code for {name!r} does not define {sorted(missing)}")
    try:
        ast.parse(text)
    except SyntaxError as exc:
        raise CorpusError(f"the code for {name!r} is not valid Python: {exc}") from exc
    set_source(cell, text)


def fill_function_body(template_cells, name, body):
    """Replace the `...` body of function `name` inside a template cell (other code kept)."""
    cell = find_def_cell(template_cells, name)
    src = cell_source(cell)
    tree = ast.parse(src)
    func = only_one([n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name],
                    f"function node {name!r}")
    last = func.body[-1]
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Constant)
            and last.value.value is Ellipsis):
        raise CorpusError(f"function {name!r} has no `...` body to fill")
    lines = src.splitlines(keepends=True)
    new_body = textwrap.indent(body, " " * last.col_offset) + "\n"
    new = "".join(lines[:last.lineno - 1]) + new_body + "".join(lines[last.end_lineno:])
    if not src.endswith("\n"):
        new = new.rstrip("\n")
    ast.parse(new)
    set_source(cell, new)


QUESTION_RE = re.compile(r"\*\*Question (\d+(?:\.\d+)*)\.?( \(explanation\))?\.?\*\*")


def fill_answers(cells, answers):
    """Fill every otter_answer_cell with the answer to the question prompted just before it."""
    used = set()
    for i, cell in enumerate(cells):
        if "otter_answer_cell" not in cell.get("metadata", {}).get("tags", []):
            continue
        label = None
        for prev in reversed(cells[max(0, i - 3):i]):
            match = QUESTION_RE.search(cell_source(prev)) if prev["cell_type"] == "markdown" else None
            if match:
                label = match.group(1) + (match.group(2) or "")
                break
        if label is None:
            raise CorpusError(f"no question prompt found before answer cell {cell.get('id')}")
        if label not in answers:
            raise CorpusError(f"no written answer for question {label}")
        set_source(cell, answers[label])
        used.add(label)
    unused = set(answers) - used
    if unused:
        raise CorpusError(f"answers for questions not in the template: {sorted(unused)}")


def fill_student(cells, name, student_id):
    cell = find_markdown(cells, "**Name:**")
    src = cell_source(cell)
    new = re.sub(r"\*\*Name:\*\*[^\n]*", f"**Name:** {name}", src, count=1)
    new, n = re.subn(r"\*\*Student ID:\*\*[^\n]*", f"**Student ID:** {student_id}", new, count=1)
    if n != 1:
        raise CorpusError("no **Student ID:** line in the template")
    set_source(cell, new)


def make_cell(kind, text, tags, cell_id):
    if kind == "markdown":
        return {"cell_type": "markdown", "id": cell_id, "metadata": {},
                "source": text.splitlines(keepends=True)}
    meta = {"tags": list(tags)} if tags else {}
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": meta,
            "outputs": [], "source": text.splitlines(keepends=True)}


def insert_extra(cells, template_cells, extra, slug):
    counter = 0
    for where, key, new_cells in extra:
        if where == "after_check":
            anchor, offset = find_check_cell(template_cells, key), 1
        elif where == "before_def":
            anchor, offset = find_def_cell(template_cells, key), 0
        elif where == "after_def":
            anchor, offset = find_def_cell(template_cells, key), 1
        elif where == "before_markdown":
            anchor, offset = find_markdown(template_cells, key), 0
        else:
            raise CorpusError(f"unknown insertion point {where}")
        pos = next(i for i, c in enumerate(cells) if c is anchor) + offset
        built = []
        for spec in new_cells:
            kind, text = spec[0], spec[1]
            tags = spec[2] if len(spec) > 2 else None
            counter += 1
            built.append(make_cell(kind, text, tags, f"{slug[:50]}-x{counter:02d}"))
        cells[pos:pos] = built


def build(template, sample):
    nb = copy.deepcopy(template)
    cells = nb["cells"]
    template_cells = list(cells)  # the template's own cells (extra cells are located among these)
    for cell in cells:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    spec = dict(BASE)
    spec.update(sample["fill"])
    answers = spec.pop("answers")
    run_body = spec.pop("run_experiment")
    for name, text in spec.items():
        fill_solution_cell(template_cells, name, text)
    fill_function_body(template_cells, "run_experiment", run_body)
    fill_answers(cells, answers)
    fill_student(template_cells, *sample["student"])
    if sample.get("extra"):
        insert_extra(cells, template_cells, EXTRA[sample["extra"]], sample["name"])
    for cell in cells:
        if cell["cell_type"] == "code":
            left = placeholders(cell_source(cell))
            if left:
                raise CorpusError(f"{sample['name']}: placeholder left in cell {cell.get('id')}: "
                                  f"{', '.join(left)}")
    return nb


def dump(nb) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def fmt(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def expected_csv() -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for sample in SAMPLES:
        points = sample["points"]
        for q, value in points.items():
            if not 0 <= value <= QUESTIONS[q]:
                raise CorpusError(f"{sample['name']}: {q}={value} out of range")
        total = sum(points.values())
        writer.writerow([f"{sample['name']}.ipynb", *(fmt(points[q]) for q in QUESTIONS),
                         fmt(total), "graded", sample["kind"], sample["reason"]])
    return buf.getvalue()


def outputs(template):
    names = [s["name"] for s in SAMPLES]
    if len(names) != len(set(names)):
        raise CorpusError("duplicate sample names")
    files = {OUT_DIR / f"{s['name']}.ipynb": dump(build(template, s)) for s in SAMPLES}
    files[CSV_PATH] = expected_csv()
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; fail if the files on disk differ from what would be written")
    parser.add_argument("--template", type=pathlib.Path, default=TEMPLATE)
    args = parser.parse_args(argv)
    template = json.loads(args.template.read_text(encoding="utf-8"))
    if template.get("metadata", {}).get("otter", {}).get("assignment_name") is None:
        raise CorpusError("the template has no otter assignment name in its metadata")
    files = outputs(template)
    if args.check:
        stale = [p for p, text in files.items()
                 if not p.exists() or p.read_text(encoding="utf-8") != text]
        extra = sorted(set(OUT_DIR.glob("*.ipynb")) - set(files))
        for p in stale:
            print(f"out of date: {p.relative_to(ROOT)}", file=sys.stderr)
        for p in extra:
            print(f"not produced by this script: {p.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale or extra else 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(SAMPLES)} notebooks to {OUT_DIR.relative_to(ROOT)} and {CSV_PATH.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
