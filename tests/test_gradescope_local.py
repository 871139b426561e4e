"""The autograder zip as Gradescope and `otter grade` run it, in local containers.

Gradescope: `scripts/gradescope-local.sh` (a fresh container per submission from one prepared image,
setup.sh run for real, run_autograder as root). `otter grade`: its image is built with Otter 7.0.0's
own Dockerfile from the zip (with the legacy builder: Otter calls buildx, which this machine lacks),
and each submission is graded by Otter's own `otter.grade.containers.grade_submission`, which runs
/autograder/run_autograder, copies results.pkl out and dill-loads it.

Graded here, as the issue asks: every sample of examples/hostile/ that beat stock Otter, every
sample of the validity issue's class (10: buying the CNN points), and at least one of every other
attack class, between two honest copies (~4 min on 2 cores, two containers at a time).
"""

from __future__ import annotations

import csv
import importlib.resources
import json
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dill
import pytest

from conftest import FULL_MARKS, docker_or_skip
from optgrade.grade.engine import docker_environment
from optgrade.export.gradescope import check_results

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "examples" / "hostile"
SCRIPT = ROOT / "scripts" / "gradescope-local.sh"
BASE_IMAGE = "optgrade-base:bookworm"
BUILD_STAGE = "optgrade-grader-build:cache"
HONEST = ("0-honest-first.ipynb", "zz-honest-last.ipynb")
# Every sample that scored points it did not earn against stock `otter run` (examples/hostile/README,
# STOCK_OTTER: more than its expected total, or hidden test text shown), plus one of each class.
BEAT_STOCK_OTTER = (
    "1-answers-from-hidden-tests.ipynb", "1-leak-via-public-test-messages.ipynb", "2-patch-test-runner.ipynb",
    "2-patch-grading-results.ipynb", "2-friendlier-checker.ipynb", "2-rewrite-test-files.ipynb",
    "2-input-transformer-after-q3.ipynb", "3-always-true-numpy.ipynb", "3-always-true-numpy-after-q3.ipynb",
    "3-fake-np-module.ipynb", "3-zip-with-numpy-py.zip", "4-lying-histories.ipynb", "5-forge-results-pickle.ipynb",
    "5-hooks-and-atexit.ipynb", "5-background-rewriter.ipynb", "6-malicious-results-pickle.ipynb",
    "6-zip-with-otter-log.zip", "6-logging-socket-pickle.ipynb", "9-zip-without-notebook.zip",
    "9-zip-path-traversal.zip",
)
ONE_PER_CLASS_MORE = ("7-memory-bomb.ipynb", "7-fork-bomb.ipynb", "7-infinite-loop-after-q3.ipynb",
                      "8-read-other-submissions-and-secrets.ipynb", "8-network-access.ipynb",
                      "10-weights-as-constant-lists.ipynb", "10-huge-build-config.ipynb")
TIMEOUT = 120  # the student phase's, as in test_hostile.py (config.json of a copy of the zip)


VALIDITY_CLASS = "10"


def expected() -> dict[str, dict]:
    with open(HOSTILE / "expected.csv", newline="") as file:
        return {row["file"]: row for row in csv.DictReader(file)}


def chosen() -> tuple[str, ...]:
    validity = [name for name, row in expected().items() if row["attack_class"] == VALIDITY_CLASS]
    return tuple(dict.fromkeys(BEAT_STOCK_OTTER + ONE_PER_CLASS_MORE + tuple(validity)))


def test_the_chosen_samples_cover_every_attack_class_and_exist():
    rows = expected()
    assert {rows[name]["attack_class"] for name in chosen()} == {row["attack_class"] for row in rows.values()}
    assert all((HOSTILE / "submissions" / name).is_file() for name in chosen())
    assert len(chosen()) >= 30


def secrets(project) -> list[str]:
    lines = {line.strip() for line in (project.hardened_dir / "checks.py").read_text().splitlines()}
    return sorted(line for line in lines if len(line) >= 20 and ("assert" in line or any(c.isdigit() for c in line)))


def images_or_skip() -> None:
    docker_or_skip()
    env = docker_environment()
    for image in (BASE_IMAGE, BUILD_STAGE):
        if subprocess.run(["docker", "image", "inspect", image], capture_output=True, env=env).returncode != 0:
            if os.environ.get("OPTGRADE_REQUIRE_DOCKER") == "1":
                pytest.fail(f"no {image} (scripts/build-images.sh keeps it)")
            pytest.skip(f"no {image} (scripts/build-images.sh builds and keeps it)")


@pytest.fixture(scope="module")
def test_zip(project, tmp_path_factory) -> Path:
    """The committed zip with the student phase's timeout at TIMEOUT (its files/.optgrade/config.json)."""
    target = tmp_path_factory.mktemp("zip") / project.autograder_zip.name
    shutil.copy(project.autograder_zip, target)
    with zipfile.ZipFile(target, "a") as archive:
        archive.writestr("files/.optgrade/config.json", json.dumps({"timeout": TIMEOUT}))
    return target


def gradescope_local(zip_path: Path, submission: Path, out: Path) -> dict:
    started = time.monotonic()
    run = subprocess.run(["bash", str(SCRIPT), str(zip_path), str(submission), str(out)], capture_output=True,
                         text=True, env={**docker_environment(), "OPTGRADE_GS_ENV": "cache"}, timeout=1800)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    return {"results": results, "out": out, "seconds": time.monotonic() - started}


@pytest.fixture(scope="module")
def runs(project, test_zip, tmp_path_factory) -> dict[str, dict]:
    images_or_skip()
    folder = tmp_path_factory.mktemp("gs-submissions")
    names = [HONEST[0], "blank.ipynb", *chosen(), HONEST[1]]
    for name in names:
        source = (project.reference_notebook if name in HONEST else project.student_notebook
                  if name == "blank.ipynb" else HOSTILE / "submissions" / name)
        shutil.copy(source, folder / name)
    out = tmp_path_factory.mktemp("gs-out")
    # in this order, two at a time: the first call builds the image (the script serialises builds),
    # the honest copies are graded first and last, after every attack started
    with ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(gradescope_local, test_zip, folder / name, out / str(i))
                   for i, name in enumerate(names)}
        done = {name: future.result() for name, future in futures.items()}
    return done


def test_reference_gets_27_and_the_blank_template_0(runs):
    for name, points in ((HONEST[0], FULL_MARKS), ("blank.ipynb", 0), (HONEST[1], FULL_MARKS)):
        results = runs[name]["results"]
        assert (results["extra_data"]["status"], results["score"]) == ("graded", points), results["output"]


@pytest.mark.parametrize("name", chosen())
def test_hostile_sample_gets_exactly_what_it_deserves(runs, name):
    row, results = expected()[name], runs[name]["results"]
    assert results["score"] == pytest.approx(float(row["expected_total"])), (
        name, results["output"], [(t["name"], t.get("score")) for t in results["tests"] if t.get("score")])
    if row["expected_status"] != "any":
        assert results["extra_data"]["status"] == row["expected_status"], results["output"]
    assert sum(t.get("score", 0) for t in results["tests"]) == pytest.approx(results["score"])


def test_results_follow_gradescopes_schema_and_show_no_hidden_test_text(runs, project):
    leaks = secrets(project)
    assert len(leaks) > 30
    for name, run in runs.items():
        results = run["results"]
        assert check_results(results, name)[0] == []
        visible = [results.get("output", "")] + [t.get("output", "") for t in results["tests"]
                                                 if t.get("visibility") != "hidden"]
        assert not [line for line in leaks for text in visible if line in str(text)], name
        graded = [t for t in results["tests"] if "max_score" in t]
        assert len(graded) == 31 and {t["visibility"] for t in graded} == {"after_published"}, name
        assert results["stdout_visibility"] == "hidden"


def test_the_student_phase_ran_as_the_unprivileged_user_with_limits(runs):
    for name, run in runs.items():
        isolation = run["results"]["extra_data"]["isolation"]
        if run["results"]["extra_data"]["status"] == "invalid":
            continue  # nothing of it ran
        assert isolation["user"].startswith("optgrade-student ("), name
        assert isolation["timeout_s"] == TIMEOUT and isolation["nproc"] == 512, name


def test_results_pickle_loads_with_otters_code_and_gives_the_same_scores(runs):
    from otter.grade.utils import merge_scores_to_df

    loaded = []
    for name, run in runs.items():
        with open(run["out"] / "results.pkl", "rb") as file:  # as otter.grade.containers does
            result = dill.load(file)
        result.file = name
        status = run["results"]["extra_data"]["status"]
        assert result.has_catastrophic_failure() == (status == "invalid"), name
        assert result.total == pytest.approx(run["results"]["score"]), name
        loaded.append(result)
    frame = merge_scores_to_df(loaded).set_index("file")
    for name, run in runs.items():
        assert frame.loc[name, "total_points_earned"] == pytest.approx(run["results"]["score"]), name


# ---- otter grade ------------------------------------------------------------------------------------
OTTER_SAMPLES = ("3-always-true-numpy-after-q3.ipynb", "5-background-rewriter.ipynb")


@pytest.fixture(scope="module")
def otter_image(test_zip) -> str:
    """The image `otter grade` builds from the zip: Otter's own Dockerfile, BASE_IMAGE our build stage."""
    images_or_skip()
    dockerfile = str(importlib.resources.files("otter.grade") / "Dockerfile")
    tag = "optgrade-gradescope:otter-grade-test"
    with tempfile.TemporaryDirectory() as context:
        zipfile.ZipFile(test_zip).extractall(context)
        build = subprocess.run(["docker", "build", "--network", "host", "-f", dockerfile, "--build-arg",
                                f"BASE_IMAGE={BUILD_STAGE}", "-t", tag, context], capture_output=True, text=True,
                               env=docker_environment(), timeout=1800)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return tag


def test_otter_grade_gives_the_same_scores(otter_image, runs, monkeypatch):
    from otter.grade.containers import grade_submission
    from otter.grade.utils import merge_scores_to_df

    for key, value in docker_environment().items():
        monkeypatch.setenv(key, value)
    paths = [HOSTILE / "submissions" / name for name in OTTER_SAMPLES]
    with ThreadPoolExecutor(2) as pool:
        graded = list(pool.map(lambda p: grade_submission(str(p), otter_image, timeout=900, network=False), paths))
    frame = merge_scores_to_df(graded).set_index("file")
    for name, result in zip(OTTER_SAMPLES, graded):
        assert not result.has_catastrophic_failure(), result.catastrophic_error
        assert frame.loc[name, "total_points_earned"] == pytest.approx(float(expected()[name]["expected_total"]))
        if name in runs:
            assert result.total == pytest.approx(runs[name]["results"]["score"])
