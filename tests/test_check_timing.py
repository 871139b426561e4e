"""When a question is decided: the hardened grader must agree with `otter run`, question by question.

Otter 7 records a result for every executed `grader.check("q")` call, keeps the last one per question
and checks the questions never checked at the end of the notebook. The notebooks below are the
reference with one change each in where and how often `grader.check` runs; each is graded by the
hardened container backend and by `otter run` (the compatibility reference), and both must give the
expected points. Part 4's network is replaced by a placeholder that raises, so no CNN is trained:
these notebooks are about timing, not about the model.
"""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from conftest import docker_or_skip
from optgrade.limits import Limits
from optgrade.grade.batch import grade_submissions

pytestmark = pytest.mark.slow

BROKEN_SGD = "    update = learning_rate * cur_grad\n        x += update"
QUESTIONS = ("q1_1", "q2_2", "q3_loss", "q3_sgd", "q3_momentum", "q3_stuck", "q4_read_data", "q4_patches",
             "q4_balance")


def code_cell(notebook, text: str) -> int:
    found = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and text in c.source]
    assert len(found) == 1, f"{text!r} is in {len(found)} code cells"
    return found[0]


def without_network(reference) -> nbformat.NotebookNode:
    notebook = nbformat.from_dict(reference)
    cell = notebook.cells[code_cell(notebook, "def get_net(")]
    head, _, _ = cell.source.partition("def get_net(")
    cell.source = (head + "def get_net(*args, **kwargs):\n    raise NotImplementedError('not yet')\n\n\n"
                   "def get_compiled_model(*args, **kwargs):\n    raise NotImplementedError('not yet')\n")
    return notebook


def sgd_with_bug(source: str) -> str:
    assert "x -= update" in source
    return source.replace("x -= update", "x += update")


def comment_above_definition(nb):
    """A comment naming the check, in the cell that defines sgd: not a call."""
    cell = nb.cells[code_cell(nb, "def sgd(")]
    cell.source = '# re-run grader.check("q3_sgd") after editing\n' + cell.source


def fixed_and_rechecked(nb):
    """A buggy sgd is checked; then the fix and a second check come later: the last check counts."""
    index = code_cell(nb, "def sgd(")
    good = nb.cells[index].source
    nb.cells[index].source = sgd_with_bug(good)
    later = code_cell(nb, 'grader.check("q3_stuck")') + 1
    nb.cells[later:later] = [nbformat.v4.new_code_cell(good), nbformat.v4.new_code_cell('grader.check("q3_sgd")')]


def fixed_not_rechecked(nb):
    """The same fix without a second check: the buggy version was the one checked."""
    index = code_cell(nb, "def sgd(")
    good = nb.cells[index].source
    nb.cells[index].source = sgd_with_bug(good)
    later = code_cell(nb, 'grader.check("q3_stuck")') + 1
    nb.cells.insert(later, nbformat.v4.new_code_cell(good))


def checked_in_a_loop_at_the_end(nb):
    """No check cells on the way; one loop of checks in a function at the very end."""
    for question in QUESTIONS:
        nb.cells[code_cell(nb, f'grader.check("{question}")')].source = "# checked at the end"
    nb.cells.append(nbformat.v4.new_code_cell(
        "def check_everything(questions):\n    for question in questions:\n        grader.check(question)\n\n"
        f"check_everything({list(QUESTIONS)!r})"))


def checked_before_defined(nb):
    """The check of q3_loss moved above the definition of loss and never repeated."""
    check = code_cell(nb, 'grader.check("q3_loss")')
    nb.cells[check].source = "# moved up"
    nb.cells.insert(code_cell(nb, "def loss(theta)"), nbformat.v4.new_code_cell('grader.check("q3_loss")'))


def never_checked(nb):
    """No grader.check cell at all: every question is decided at the end."""
    for question in QUESTIONS:
        nb.cells[code_cell(nb, f'grader.check("{question}")')].source = "pass"


FULL = {"q1_1": 2, "q2_2": 2, "q3_loss": 1, "q3_sgd": 4, "q3_momentum": 4, "q3_stuck": 1, "q4_read_data": 1,
        "q4_patches": 3, "q4_balance": 2, "q4_net": 0, "q4_quality": 0}
CASES = {
    "comment-above-definition": (comment_above_definition, FULL),
    "fixed-and-rechecked": (fixed_and_rechecked, FULL),
    # the buggy version (gradient ascent) keeps only the history-format and max_iter tests
    "fixed-not-rechecked": (fixed_not_rechecked, {**FULL, "q3_sgd": 1.5}),
    "checked-in-a-loop-at-the-end": (checked_in_a_loop_at_the_end, FULL),
    "checked-before-defined": (checked_before_defined, {**FULL, "q3_loss": 0}),
    "never-checked": (never_checked, FULL),
}


def scores(out: Path) -> dict[str, dict[str, float]]:
    with open(out / "final_grades.csv", newline="") as file:
        rows = [row for row in csv.DictReader(file) if row["file"] != "points-per-question"]
    return {Path(row["file"]).stem: {q: float(row[q]) for q in FULL} for row in rows}


@pytest.fixture(scope="module")
def graded(project, reference_notebook, tmp_path_factory):
    docker_or_skip()
    folder = tmp_path_factory.mktemp("timing")
    base = without_network(reference_notebook)
    for name, (edit, _) in CASES.items():
        notebook = nbformat.from_dict(base)
        edit(notebook)
        nbformat.write(notebook, folder / f"{name}.ipynb")
    results = {}
    for backend in ("docker", "local"):
        out = tmp_path_factory.mktemp(f"timing-{backend}")
        grade_submissions(paths=[folder], out_dir=out, autograder_zip=project.autograder_zip, backend=backend,
                          workers=2, limits=Limits(timeout=300), progress=False)
        results[backend] = scores(out)
    return results


@pytest.mark.parametrize("case", CASES)
def test_hardened_and_otter_decide_the_question_at_the_same_check(graded, case):
    expected = CASES[case][1]
    assert graded["local"][case] == expected, "otter run (the reference) disagrees with the expectation"
    assert graded["docker"][case] == graded["local"][case]
