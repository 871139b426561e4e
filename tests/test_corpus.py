"""The validity corpus (examples/corpus/): submissions written independently of the reference, with
the points a TA gives each question, written down before they were graded.

Both grading paths must agree with every expected score and with each other on every question: the
hardened container backend and plain Otter (`otter run`, the compatibility reference). A fair
variant that loses a point fails here exactly like a mistake that keeps one.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import docker_or_skip
from optgrade.limits import Limits
from optgrade.grade.batch import grade_submissions

pytestmark = pytest.mark.slow
CORPUS = Path(__file__).resolve().parents[1] / "examples" / "corpus"
QUESTIONS = ("q1_1", "q2_2", "q3_loss", "q3_sgd", "q3_momentum", "q3_stuck", "q4_read_data", "q4_patches",
             "q4_balance", "q4_net", "q4_quality")


def expected_rows() -> list[dict]:
    with open(CORPUS / "expected.csv", newline="") as file:
        return list(csv.DictReader(file))


def graded_rows(out: Path) -> dict[str, dict]:
    with open(out / "final_grades.csv", newline="") as file:
        return {row["file"]: row for row in csv.DictReader(file) if row["file"] != "points-per-question"}


@pytest.fixture(scope="module")
def graded(project, tmp_path_factory, verdict_cache):
    docker_or_skip()
    results = {}
    for backend in ("docker", "local"):
        out = tmp_path_factory.mktemp(f"corpus-{backend}")
        grade_submissions(paths=[CORPUS / "submissions"], out_dir=out, autograder_zip=project.autograder_zip,
                          backend=backend, workers=2, limits=Limits(timeout=300), progress=False,
                          cache_dir=verdict_cache if backend == "docker" else None)
        results[backend] = graded_rows(out)
    return results


def test_corpus_is_big_enough_and_covers_both_kinds():
    rows = expected_rows()
    assert len(rows) >= 20
    assert {row["kind"] for row in rows} == {"fair", "mistake"}
    assert all(row["reason"].strip() for row in rows)
    assert {row["file"] for row in rows} == {p.name for p in (CORPUS / "submissions").glob("*.ipynb")}
    for row in rows:
        assert float(row["total"]) == pytest.approx(sum(float(row[q]) for q in QUESTIONS)), row["file"]


@pytest.mark.parametrize("row", expected_rows(), ids=lambda row: row["file"])
def test_both_paths_give_the_expected_points_on_every_question(graded, row):
    expected = {q: float(row[q]) for q in QUESTIONS}
    hardened = {q: float(graded["docker"][row["file"]][q]) for q in QUESTIONS}
    otter = {q: float(graded["local"][row["file"]][q]) for q in QUESTIONS}
    assert graded["docker"][row["file"]]["grading_status"] == "Completed"
    assert hardened == otter, "the hardened grader and otter run disagree"
    assert hardened == expected, f"not what a TA gives ({row['reason']})"
