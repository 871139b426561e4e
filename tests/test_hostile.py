"""Hostile submissions, one or more per attack class (examples/hostile/), graded by the hardened path.

Each must get exactly the points it deserves (0 for attacks on the blank template), the status its
README row promises, no hidden test text in anything a student sees, and no change to any file
outside its scratch space; honest submissions graded in the same batch, before and after the
attacks, still get every autograded point.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FULL_MARKS, docker_or_skip
from optgrade.grade.engine import docker_environment
from optgrade.limits import Limits
from optgrade.grade.batch import grade_submissions, idle_core, machine_resources

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "examples" / "hostile"
TIMEOUT = 120
HONEST = ("0-honest-first.ipynb", "zz-honest-last.ipynb")
SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", "demo-output", ".ipynb_checkpoints"}


def expected_rows() -> list[dict]:
    with open(HOSTILE / "expected.csv", newline="") as file:
        return list(csv.DictReader(file))


def snapshot(root: Path) -> dict[str, str]:
    digests = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        for name in files:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                digests[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def secrets(project) -> list[str]:
    """Lines of the checks that give away answers: any of them in student-visible text is a leak."""
    lines = {line.strip() for line in (project.hardened_dir / "checks.py").read_text().splitlines()}
    return sorted(line for line in lines if len(line) >= 20 and ("assert" in line or any(c.isdigit() for c in line)))


@pytest.fixture(scope="module")
def hostile_batch(project, tmp_path_factory, verdict_cache):
    docker_or_skip()
    folder = tmp_path_factory.mktemp("hostile") / "submissions"
    shutil.copytree(HOSTILE / "submissions", folder)
    for name in HONEST:
        shutil.copy(ROOT / "examples" / "submissions" / "passes-all.ipynb", folder / name)
    before = snapshot(ROOT)
    out = tmp_path_factory.mktemp("hostile-out")
    run = grade_submissions(paths=[folder], out_dir=out, autograder_zip=project.autograder_zip, backend="docker",
                            workers=2, limits=Limits(timeout=TIMEOUT, memory="2g", pids=128), progress=False,
                            cache_dir=verdict_cache)
    after = snapshot(ROOT)
    return {g.submission.path.name: g.result for g in run.graded}, out, before, after


def test_every_attack_class_has_a_sample():
    classes = {row["attack_class"] for row in expected_rows()}
    assert {str(n) for n in range(1, 10)} <= classes
    files = {row["file"] for row in expected_rows()}
    assert files == {p.name for p in (HOSTILE / "submissions").iterdir()}


@pytest.mark.parametrize("row", expected_rows(), ids=lambda row: row["file"])
def test_attack_earns_only_what_it_deserves(hostile_batch, row):
    results, out, _, _ = hostile_batch
    result = results[row["file"]]
    assert result.earned == pytest.approx(float(row["expected_total"])), (
        f"{row['file']}: {result.earned} points ({result.status}: {result.message}); "
        f"per question {({q: s.earned for q, s in result.scores.items() if s.earned})}")
    if row["expected_status"] != "any":
        assert result.status == row["expected_status"], result.message
    stem = Path(row["file"]).stem
    saved = json.loads((out / "results" / f"{stem}.json").read_text())
    assert saved["score"] == pytest.approx(result.earned)
    assert (out / "feedback" / f"{stem}.txt").is_file()


def test_honest_submissions_in_the_same_batch_keep_full_marks(hostile_batch):
    results, _, _, _ = hostile_batch
    for name in HONEST:
        assert (results[name].status, results[name].earned) == ("graded", FULL_MARKS), results[name].message


def test_no_hidden_test_text_reaches_what_students_see(hostile_batch, project):
    _, out, _, _ = hostile_batch
    leaks = secrets(project)
    assert len(leaks) > 30
    for feedback in (out / "feedback").iterdir():
        text = feedback.read_text()
        assert not [line for line in leaks if line in text], f"hidden check text in {feedback.name}"
    for results in (out / "results").iterdir():
        saved = json.loads(results.read_text())
        visible = [saved.get("output", "")] + [t.get("output", "") for t in saved["tests"]
                                               if t.get("visibility") != "hidden"]
        assert not [line for line in leaks for text in visible if line in str(text)], results.name


def test_nothing_outside_the_scratch_space_changed(hostile_batch):
    _, _, before, after = hostile_batch
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert changed == []
    left = subprocess.run(["docker", "ps", "-aq", "--filter", "name=optgrade-"], capture_output=True,
                          text=True, env=docker_environment()).stdout.split()
    assert left == [], f"containers left behind: {left}"


def test_every_submission_has_one_row_and_no_run_outlived_the_timeout(hostile_batch):
    results, out, _, _ = hostile_batch
    with open(out / "final_grades.csv", newline="") as file:
        rows = [r for r in csv.DictReader(file) if r["file"] != "points-per-question"]
    assert sorted(r["file"] for r in rows) == sorted(results)
    for name, result in results.items():
        assert result.results_json.get("execution_time", 0) <= TIMEOUT + 15, name


# With one worker a core is free, so each checker starts warm, beside the student's container (see
# container.grade_in_container): these attacks target what crosses to the checker or the cache, or
# the machine the two containers now share for a while.
WARM_SAMPLES = ("5-forged-probe-records.ipynb", "5-poison-verdict-cache.ipynb",
                "8-read-other-submissions-and-secrets.ipynb", "7-fork-bomb.ipynb")


def test_attacks_earn_the_same_when_the_checker_starts_warm(project, tmp_path, verdict_cache):
    docker_or_skip()
    limits = Limits(timeout=TIMEOUT, memory="2g", pids=128)
    assert idle_core(1, limits, machine_resources("docker")[0]), "needs 2 cores: else no checker starts warm and this compares nothing"
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in WARM_SAMPLES:
        shutil.copy(HOSTILE / "submissions" / name, folder)
    shutil.copy(ROOT / "examples" / "submissions" / "passes-all.ipynb", folder / HONEST[1])
    run = grade_submissions(paths=[folder], out_dir=tmp_path / "out", autograder_zip=project.autograder_zip,
                            backend="docker", workers=1, limits=limits, progress=False, cache_dir=verdict_cache)
    expected = {row["file"]: float(row["expected_total"]) for row in expected_rows()} | {HONEST[1]: FULL_MARKS}
    assert {g.submission.path.name: g.result.earned for g in run.graded} == {
        name: expected[name] for name in (*WARM_SAMPLES, HONEST[1])}
    left = subprocess.run(["docker", "ps", "-aq", "--filter", "name=optgrade-"], capture_output=True,
                          text=True, env=docker_environment()).stdout.split()
    assert left == [], f"containers left behind: {left}"
