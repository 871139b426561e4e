"""Grading the sample class (examples/submissions) end to end, against examples/golden_scores.csv.

The batch runs in containers when a Docker engine answers with the grader image (CI starts one and
sets OPTGRADE_REQUIRE_DOCKER=1, so a missing engine there is a failure, not a silent fallback),
otherwise with the local backend.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from conftest import FULL_MARKS
from optgrade.grade.engine import docker_available
from optgrade.limits import Limits
from optgrade.grade.batch import grade_submissions

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
STATUS_IN_CSV = {"graded": "Completed"}


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as file:
        return {row["file"]: row for row in csv.DictReader(file)}


@pytest.fixture(scope="module")
def backend() -> str:
    if docker_available():
        return "docker"
    if os.environ.get("OPTGRADE_REQUIRE_DOCKER") == "1":
        pytest.fail("OPTGRADE_REQUIRE_DOCKER=1 but no Docker engine answers with the grader image")
    return "local"


@pytest.fixture(scope="module")
def graded_class(project, backend, tmp_path_factory, verdict_cache):
    out = tmp_path_factory.mktemp("class-out")
    run = grade_submissions(paths=[EXAMPLES / "submissions"], out_dir=out, autograder_zip=project.autograder_zip,
                            backend=backend, workers=2, limits=Limits(timeout=180), progress=False,
                            cache_dir=verdict_cache)
    return run, out


def test_every_sample_matches_its_golden_scores(graded_class):
    run, out = graded_class
    golden = read_csv(EXAMPLES / "golden_scores.csv")
    produced = read_csv(out / "final_grades.csv")
    assert sorted(produced) == sorted([*golden, "points-per-question"])
    mismatches = []
    for file, expected in golden.items():
        row = produced[file]
        for column, value in expected.items():
            if column == "file":
                continue
            got = row[column]
            if column == "grading_status":
                value = STATUS_IN_CSV.get(value, value)
            elif value.replace(".", "", 1).isdigit():
                value, got = float(value), float(got)
            if got != value:
                mismatches.append(f"{file}: {column} = {got!r}, golden {value!r}")
    assert not mismatches, "\n".join(mismatches)


def test_every_sample_has_a_results_file_and_feedback(graded_class):
    run, out = graded_class
    for graded in run.graded:
        results = json.loads((out / "results" / f"{graded.submission.name}.json").read_text())
        assert sum(t.get("score") or 0 for t in results["tests"]) == pytest.approx(graded.result.earned)
        feedback = (out / "feedback" / f"{graded.submission.name}.txt").read_text()
        assert f"Autograded score: {graded.result.earned:g} / {FULL_MARKS:g}" in feedback
    assert (out / "report.png").stat().st_size > 10_000


def test_canvas_ids_and_late_flags_reach_the_csv(graded_class):
    _, out = graded_class
    rows = read_csv(out / "final_grades.csv")
    canvas = {f: r for f, r in rows.items() if r["attachment_id"]}
    assert len(canvas) >= 2
    assert any(r["late"] == "true" for r in canvas.values())
    for file, row in canvas.items():
        assert row["student_id"] in file and row["attachment_id"] in file


def test_the_same_submission_always_gets_the_same_score(graded_class):
    """passes-all, its renamed copy, its exported zip and the Canvas copy are the same work."""
    run, out = graded_class
    same = [g for g in run.graded if g.submission.path.name in (
        "passes-all.ipynb", "my_a5_final_v2.ipynb", "exported-zip.zip")]
    assert len(same) == 3
    scores = [json.loads((out / "results" / f"{g.submission.name}.json").read_text())["tests"] for g in same]
    assert scores[0] == scores[1] == scores[2]


def test_a_notebooks_name_and_mat_no_fill_the_row_when_its_file_name_has_none(graded_class):
    _, out = graded_class
    rows = read_csv(out / "final_grades.csv")
    assert (rows["sgd-sign-error.ipynb"]["student"], rows["sgd-sign-error.ipynb"]["student_id"]) == (
        "Blaise Pascal", "s1623002")  # its "Name:" and "Student ID:" lines
    canvas = rows["smithjohn_LATE_48217_9120391_a5_optimization.ipynb"]
    assert (canvas["student"], canvas["student_id"]) == ("smithjohn", "48217")  # the Canvas name wins


def test_the_statistics_count_the_rows_they_say(graded_class):
    """question_stats.csv, report.png and the summary on stdout count the rows with an outcome."""
    from optgrade.grade.report import class_summary

    run, out = graded_class
    rows = [r for f, r in read_csv(out / "final_grades.csv").items() if f != "points-per-question"]
    counted = [r for r in rows if r["grading_status"] in ("Completed", "timeout", "crashed", "invalid")]
    assert len(counted) == len(rows) == 13
    with open(out / "question_stats.csv", newline="") as file:
        stats = list(csv.DictReader(file))
    assert [s["question"] for s in stats] == ["q1_1", "q2_2", "q3_loss", "q3_sgd", "q3_momentum", "q3_stuck",
                                              "q4_read_data", "q4_patches", "q4_balance", "q4_net", "q4_quality"]
    for row in stats:
        earned = [float(r[row["question"]]) for r in counted]
        assert float(row["mean"]) == pytest.approx(sum(earned) / len(earned), abs=1e-3)
        assert int(row["zeros"]) == sum(1 for e in earned if e == 0)
        assert int(row["full_marks"]) == sum(1 for e in earned if e == float(row["points"]))
    mean = sum(float(r["total_points_earned"]) for r in counted) / len(counted)
    assert f"over the 13 with an outcome (graded, timeout, crashed, invalid): mean {mean:.2f}" in class_summary(run)
    assert all(float(r["seconds"]) > 0 for r in rows if r["grading_status"] != "invalid")


def test_regrading_one_student_keeps_the_other_12_rows(graded_class, project, backend, verdict_cache, tmp_path):
    import shutil

    _, out = graded_class
    record = tmp_path / "out"
    shutil.copytree(out, record)
    before = read_csv(record / "final_grades.csv")
    before_bytes = (record / "final_grades.csv").read_bytes()
    others = {p.name: p.read_bytes() for p in (record / "results").iterdir() if p.stem != "sgd-sign-error"}
    run = grade_submissions(paths=[EXAMPLES / "submissions" / "sgd-sign-error.ipynb"], out_dir=record,
                            autograder_zip=project.autograder_zip, backend=backend, limits=Limits(timeout=180),
                            progress=False, cache_dir=verdict_cache, force=True)
    assert [g.submission.key for g in run.graded] == ["sgd-sign-error.ipynb"] and not run.skipped
    after = read_csv(record / "final_grades.csv")
    assert sorted(after) == sorted(before) and len(after) == 14
    for key, row in before.items():
        if key == "sgd-sign-error.ipynb":  # the same work, graded again: the same points
            assert {c: v for c, v in after[key].items() if c != "seconds"} == {c: v for c, v in row.items()
                                                                               if c != "seconds"}
        else:
            assert after[key] == row, key
    assert {p.name: p.read_bytes() for p in (record / "results").iterdir() if p.stem != "sgd-sign-error"} == others
    # the version it replaced is kept, unless the regrade wrote the very same bytes (its `seconds`
    # can round to the same tenth): then there is nothing to keep, and no backup is made
    backups = sorted(record.glob("final_grades.csv.*"))
    if (record / "final_grades.csv").read_bytes() != before_bytes:
        assert backups == [record / "final_grades.csv.1"] and read_csv(backups[0]) == before
    else:
        assert backups == []


def test_grading_the_class_again_skips_every_unchanged_submission(graded_class, project, backend, verdict_cache,
                                                                  tmp_path):
    import shutil
    import time

    _, out = graded_class
    record = tmp_path / "out"
    shutil.copytree(out, record)
    before = (record / "final_grades.csv").read_bytes()
    started = time.monotonic()
    run = grade_submissions(paths=[EXAMPLES / "submissions"], out_dir=record, autograder_zip=project.autograder_zip,
                            backend=backend, workers=2, limits=Limits(timeout=180), progress=False,
                            cache_dir=verdict_cache)
    assert run.skipped == 13 and time.monotonic() - started < 30
    assert (record / "final_grades.csv").read_bytes() == before
    assert not list(record.glob("final_grades.csv.*"))  # nothing changed, nothing to keep


def hidden_test_lines(autograder_zip: Path) -> set[str]:
    import ast
    import zipfile

    lines = set()
    with zipfile.ZipFile(autograder_zip) as archive:
        for name in archive.namelist():
            if not (name.startswith("tests/") and name.endswith(".py")):
                continue
            source = archive.read(name).decode()
            for node in ast.walk(ast.parse(source)):
                hidden = isinstance(node, ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and any(k.arg == "hidden" and getattr(k.value, "value", False)
                                                    for k in d.keywords) for d in node.decorator_list)
                if hidden:
                    body = ast.get_source_segment(source, node).splitlines()[1:]
                    lines |= {line.strip() for line in body if len(line.strip()) > 25}
    return lines


def test_feedback_never_shows_hidden_test_source(graded_class, project):
    _, out = graded_class
    hidden = hidden_test_lines(project.autograder_zip)
    assert len(hidden) > 50
    for path in (out / "feedback").iterdir():
        text = path.read_text()
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{path.name} shows hidden test source: {leaked[:2]}"


def test_sample_notebooks_follow_the_reference(tmp_path):
    """The committed samples are what examples/make_submissions.py derives from the reference now."""
    import subprocess
    import sys

    subprocess.run([sys.executable, str(EXAMPLES / "make_submissions.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    regenerated = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert regenerated == sorted(p.name for p in (EXAMPLES / "submissions").glob("*.ipynb"))
    for name in regenerated:
        assert (tmp_path / name).read_bytes() == (EXAMPLES / "submissions" / name).read_bytes(), (
            f"examples/submissions/{name} is stale: run examples/make_submissions.py")
