"""The autograder zip's own hardened runtime (no container): what it carries, the results it writes,
and the results.pkl Otter's host side loads. The container runs are in test_gradescope_local.py."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import dill
import pytest

from conftest import FULL_MARKS
from optgrade.export.gradescope import check_autograder_zip, check_results
from optgrade.gradescope_run import find_submission, for_students
from optgrade.build.gradescope_zip import MODULES, RUNTIME
from optgrade.bundle import Bundle
from optgrade.otter_pickle import write_pickle
from optgrade.scoring import ProbeRun, combine
from optgrade.submissions import InvalidSubmission

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "optgrade"


def zip_entries(project) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(project.autograder_zip) as archive:
        return {info.filename: info for info in archive.infolist()}


def test_zip_carries_the_runtime_as_it_is_in_the_source(project):
    with zipfile.ZipFile(project.autograder_zip) as archive:
        for module in MODULES:
            assert archive.read(f"{RUNTIME}/optgrade/{module}") == (SRC / module).read_bytes(), (
                f"{module} in the zip is stale: run `optgrade build`")
        assert archive.read(f"{RUNTIME}/checks.py") == (project.hardened_dir / "checks.py").read_bytes()
        assert archive.read(f"{RUNTIME}/probes.py") == (project.hardened_dir / "probes.py").read_bytes()
        assert archive.read("requirements.lock") == (ROOT / "autograder" / "requirements.lock").read_bytes()
        assert archive.read("setup.sh") == (SRC / "build" / "gradescope_files" / "setup.sh").read_bytes()
        public = {n for n in archive.namelist() if n.startswith(f"{RUNTIME}/assignment/")}
    shipped = {f"{RUNTIME}/assignment/{p.relative_to(project.assignment_dir).as_posix()}"
               for p in project.assignment_dir.rglob("*") if p.is_file() and p.name != "a5_optimization.ipynb"}
    assert public == shipped
    # the public files hold no hidden test: the student phase gets only these
    hidden = [name for name in json.loads(json.dumps(Bundle.of(project).constants["QUESTIONS"])).values()]
    with zipfile.ZipFile(project.autograder_zip) as archive:
        text = "".join(archive.read(n).decode("utf-8", "replace") for n in public if n.endswith(".py"))
    assert not [t for tests in hidden for t in tests if t in text]


def test_zip_passes_the_gradescope_check_and_runs_our_supervisor(project):
    assert check_autograder_zip(project.autograder_zip) == []
    entries = zip_entries(project)
    assert entries["run_autograder"].external_attr >> 16 & 0o111
    with zipfile.ZipFile(project.autograder_zip) as archive:
        run = archive.read("run_autograder").decode()
        setup = archive.read("setup.sh").decode()
    assert "/autograder/source/files/.optgrade/run.py" in run and "run_otter.py" not in run
    code = "\n".join(line for line in setup.splitlines() if not line.lstrip().startswith("#"))
    for unwanted in ("playwright", "texlive", "pandoc", "build-essential", "environment.yml"):
        assert unwanted not in code, unwanted
    assert "requirements.lock" in code and "--no-deps" in code and "pip\" check" in code


def hidden_results(project, passed: set[str], status_run: ProbeRun | None = None):
    bundle = Bundle.of(project)
    tests = bundle.hidden_tests()
    verdicts = [{"question": q, "name": t, "points": p, "passed": t in passed, "message": f"AssertionError: {t} data"}
                for q, cases in tests.items() for t, p in cases]
    run = status_run or ProbeRun(stdout=b'{"event": "done"}\n', exit_code=0)
    return combine("x", run, verdicts, tests, hints=bundle.hints()), bundle


def test_students_see_hidden_results_after_publishing_with_hints_only(project):
    bundle = Bundle.of(project)
    some = {t for cases in bundle.hidden_tests().values() for t, _ in cases[:1]}
    result, bundle = hidden_results(project, some)
    results = for_students(result, bundle)
    assert check_results(results, "results.json")[0] == []
    hidden = [t for t in results["tests"] if "max_score" in t]
    assert hidden and {t["visibility"] for t in hidden} == {"after_published"}
    hints = set(bundle.hints().values())
    for test in hidden:
        assert test["output"] == "passed" or (test["output"].startswith("failed. Hint: ")
                                              and test["output"][len("failed. Hint: "):] in hints), test
        assert "AssertionError" not in test["output"]
    details = [t for t in results["tests"] if t["name"] == "Grader details (instructors only)"]
    assert details[0]["visibility"] == "hidden" and "AssertionError" in details[0]["output"]
    assert sum(t["score"] for t in hidden) == result.earned > 0


def load_like_otter_grade(path: Path):
    """What otter.grade.containers.grade_submission does with the file it copies out."""
    with open(path, "rb") as file:
        return dill.load(file)


def test_results_pickle_is_otters_grading_results_with_the_same_scores(project, tmp_path):
    from otter.grade.utils import merge_scores_to_df
    from otter.test_files import GradingResults

    bundle = Bundle.of(project)
    passed = {t for cases in bundle.hidden_tests().values() for t, _ in cases[::2]}
    result, _ = hidden_results(project, passed)
    write_pickle(result, tmp_path / "results.pkl")
    loaded = load_like_otter_grade(tmp_path / "results.pkl")
    assert isinstance(loaded, GradingResults) and not loaded.has_catastrophic_failure()
    assert loaded.total == pytest.approx(result.earned) and loaded.possible == pytest.approx(FULL_MARKS)
    assert {q: loaded.get_score(q) for q in result.scores} == pytest.approx(
        {q: s.earned for q, s in result.scores.items()})
    loaded.file = "x.ipynb"
    frame = merge_scores_to_df([loaded])
    row = frame[frame["file"] == "x.ipynb"].iloc[0]
    assert row["total_points_earned"] == pytest.approx(result.earned)
    assert row["grading_status"] == "Completed"


def test_invalid_submission_pickles_as_otters_catastrophic_failure(project, tmp_path):
    run = ProbeRun(stdout=b'{"event": "invalid", "message": "not a notebook"}\n', exit_code=64)
    result, _ = hidden_results(project, set(), run)
    assert result.status == "invalid"
    write_pickle(result, tmp_path / "results.pkl")
    loaded = load_like_otter_grade(tmp_path / "results.pkl")
    assert loaded.has_catastrophic_failure() and loaded.total == 0
    assert "invalid" in str(loaded.catastrophic_error)


def test_submission_rules(tmp_path):
    with pytest.raises(InvalidSubmission, match="no notebook"):
        find_submission(tmp_path)
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / "a5_optimization.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InvalidSubmission, match="no notebook"):
        find_submission(tmp_path)
    (tmp_path / "a5_optimization.ipynb").write_text("{}")
    assert find_submission(tmp_path).name == "a5_optimization.ipynb"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.zip").write_bytes(b"")
    with pytest.raises(InvalidSubmission, match="2 notebooks or zips"):
        find_submission(tmp_path)


SYSTEM_PYTHON = "/usr/bin/python3"  # the venv's may lie under /root, which another uid cannot enter


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(SYSTEM_PYTHON), reason="needs root and /usr/bin/python3")
def test_nothing_of_the_user_survives_its_run(tmp_path):
    """A notebook's leftovers (a setsid double fork that sleeps) are dead when run_as returns.
    uid 10987 is used by nothing else here (kill_uid kills every process of its uid on this machine)."""
    from optgrade.uidjail import pids_of, run_as

    uid = 10987
    assert pids_of(uid) == []
    os.chmod(tmp_path, 0o777)
    code = ("import os, subprocess, sys\n"
            "subprocess.Popen([sys.executable, '-c', 'import os,time; os.fork(); time.sleep(300)'], start_new_session=True)\n"
            "print('{\"event\": \"done\"}', flush=True)\n")
    ending = run_as([SYSTEM_PYTHON, "-I", "-c", code], uid=uid, gid=uid, cwd=str(tmp_path),
                    env={"PATH": os.environ["PATH"]}, timeout=60, memory=2 << 30)
    assert ending.killed_clean and pids_of(uid) == []
    assert ending.exit_code == 0 and b'"done"' in ending.stdout
    hung = run_as([SYSTEM_PYTHON, "-I", "-c", "import time; time.sleep(300)"], uid=uid, gid=uid, cwd=str(tmp_path),
                  env={"PATH": os.environ["PATH"]}, timeout=2, memory=2 << 30)
    assert hung.timed_out and pids_of(uid) == []
    hog = run_as([SYSTEM_PYTHON, "-I", "-c", "b = [bytearray(50 << 20) for _ in range(40)]; import time; time.sleep(60)"],
                 uid=uid, gid=uid, cwd=str(tmp_path), env={"PATH": os.environ["PATH"]}, timeout=60, memory=500 << 20)
    assert hog.out_of_memory and not hog.timed_out and pids_of(uid) == []
    assert subprocess.run(["true"]).returncode == 0


def test_lock_down_leaves_nothing_readable_by_others(tmp_path):
    from optgrade.gradescope_run import lock_down

    (tmp_path / "source" / "tests").mkdir(parents=True)
    (tmp_path / "source" / "tests" / "q1_1.py").write_text("hidden")
    (tmp_path / "source" / "run_autograder").write_text("#!/bin/sh")
    os.chmod(tmp_path / "source" / "run_autograder", 0o755)
    (tmp_path / "submission_metadata.json").write_text("{}")
    lock_down(tmp_path)
    for path in [tmp_path, *tmp_path.rglob("*")]:
        assert os.stat(path).st_mode & 0o077 == 0, path
