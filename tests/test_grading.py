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


def test_reference_gets_every_autograded_point(reference_notebook, grade):
    result = grade(reference_notebook, "reference")
    assert result.status == GRADED, result.message
    assert {q: s.possible for q, s in result.scores.items()} == ALL_QUESTIONS
    assert earned(result) == ALL_QUESTIONS
    assert result.earned == result.possible == FULL_MARKS


def test_blank_template_gets_nothing(project, grade):
    result = grade(nbformat.read(project.student_notebook, as_version=4), "blank")
    assert result.status == GRADED, result.message
    assert result.possible == FULL_MARKS and result.earned == 0


def test_gradient_sign_error_loses_exactly_the_gradient_descent_points(reference_notebook, grade):
    # one mistake, one deduction: the update rule, the local minimum and the stop rule (2.5) are
    # lost; the history format and max_iter (steps of the right size, either way) are kept
    wrong_sign = replace_in_code(reference_notebook, "        x -= update\n", "        x += update\n")
    result = grade(wrong_sign, "sgd-sign-error")
    assert result.status == GRADED, result.message
    assert earned(result) == {**ALL_QUESTIONS, "q3_sgd": 1.5}


def test_model_that_always_predicts_zero_fails_the_quality_test(reference_notebook, grade):
    # Otter scores each question at its check cell, so the student's own get_net must be the bad one
    always_zero = replace_in_code(reference_notebook, "    return keras.Sequential(layers)\n", (
        "    # a network whose output is fixed at sigmoid(-20) ~ 0, whatever it is trained on\n"
        "    return keras.Sequential([\n"
        "        keras.Input(shape=(img_h, img_w, channels)), keras.layers.Flatten(),\n"
        "        keras.layers.Dense(1, activation='sigmoid', kernel_initializer='zeros',\n"
        "                           bias_initializer=keras.initializers.Constant(-20.0), trainable=False)])\n"))
    result = grade(always_zero, "always-zero")
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
