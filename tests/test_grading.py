"""Grading with the committed autograder zip through Otter's own runner (`otter run`)."""

from __future__ import annotations

import tempfile

import nbformat
import psutil
import pytest

from conftest import FULL_MARKS, replace_in_code
from optgrade.results import GRADED, TIMEOUT

pytestmark = pytest.mark.slow

ALL_QUESTIONS = {"q1_1": 2, "q2_2": 2, "q3_loss": 1, "q3_sgd": 4, "q3_momentum": 4, "q3_stuck": 1,
                 "q4_read_data": 1, "q4_patches": 3, "q4_balance": 2, "q4_net": 3, "q4_quality": 4}


def earned(result) -> dict[str, float]:
    return {question: score.earned for question, score in result.scores.items()}


def always_zero_network(reference_notebook):
    # Otter scores each question at its check cell, so the student's own get_net must be the bad one
    return replace_in_code(reference_notebook, "    return keras.Sequential(layers)\n", (
        "    # a network whose output is fixed at sigmoid(-20) ~ 0, whatever it is trained on\n"
        "    return keras.Sequential([\n"
        "        keras.Input(shape=(img_h, img_w, channels)), keras.layers.Flatten(),\n"
        "        keras.layers.Dense(1, activation='sigmoid', kernel_initializer='zeros',\n"
        "                           bias_initializer=keras.initializers.Constant(-20.0), trainable=False)])\n"))


@pytest.fixture(scope="module")
def graded(project, reference_notebook, tmp_path_factory):
    """Four notebooks through `otter run`, two at a time (each is a process of its own)."""
    from concurrent.futures import ThreadPoolExecutor

    from optgrade import grade_with_otter

    notebooks = {
        "reference": reference_notebook,
        "blank": nbformat.read(project.student_notebook, as_version=4),
        # one mistake, one deduction (see the test)
        "sgd-sign-error": replace_in_code(reference_notebook, "        x -= update\n", "        x += update\n"),
        "always-zero": always_zero_network(reference_notebook),
    }
    folder = tmp_path_factory.mktemp("otter-run")
    for name, notebook in notebooks.items():
        nbformat.write(notebook, folder / f"{name}.ipynb")
    with ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(grade_with_otter, folder / f"{name}.ipynb", autograder_zip=project.autograder_zip,
                                     timeout=600, name=name) for name in notebooks}
        return {name: future.result() for name, future in futures.items()}


def test_reference_gets_every_autograded_point(graded):
    result = graded["reference"]
    assert result.status == GRADED, result.message
    assert {q: s.possible for q, s in result.scores.items()} == ALL_QUESTIONS
    assert earned(result) == ALL_QUESTIONS
    assert result.earned == result.possible == FULL_MARKS


def test_blank_template_gets_nothing(graded):
    result = graded["blank"]
    assert result.status == GRADED, result.message
    assert result.possible == FULL_MARKS and result.earned == 0


def test_gradient_sign_error_loses_exactly_the_gradient_descent_points(graded):
    # one mistake, one deduction: the update rule, the local minimum and the stop rule (2.5) are
    # lost; the history format and max_iter (steps of the right size, either way) are kept
    result = graded["sgd-sign-error"]
    assert result.status == GRADED, result.message
    assert earned(result) == {**ALL_QUESTIONS, "q3_sgd": 1.5}


def test_model_that_always_predicts_zero_fails_the_quality_test(graded):
    result = graded["always-zero"]
    assert result.status == GRADED, result.message
    # its layers, initializers and batch norm are wrong; get_compiled_model (compiling the student's own
    # get_net) is right: 0.5 of q4_net. A frozen network is refused by the quality check.
    assert earned(result) == {**ALL_QUESTIONS, "q4_net": 0.5, "q4_quality": 0}


def test_timeout_kills_the_kernel_and_reports_a_status(reference_notebook, grade, tmp_path, monkeypatch):
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_parent))
    hangs = nbformat.from_dict(reference_notebook)
    hangs.cells.insert(3, nbformat.v4.new_code_cell("while True:\n    pass\n"))
    result = grade(hangs, "infinite-loop", timeout=30)
    assert result.status == TIMEOUT and result.earned == 0
    assert "longer than 30 s" in result.message

    def ours(process):
        try:
            return process.environ().get("TMPDIR", "").startswith(str(scratch_parent))
        except (psutil.Error, OSError):
            return False

    survivors = [p for p in psutil.process_iter() if ours(p)]
    assert not survivors, f"processes left running: {[p.cmdline() for p in survivors]}"
    assert list(scratch_parent.iterdir()) == [], "temporary folders left behind"
