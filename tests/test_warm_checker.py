"""A warm checker (a free core while the student's notebook runs) starts early and imports what the
expensive checks need; it must get the probe data only once the student's container is gone, and
decide exactly what a checker started afterwards decides."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from optgrade.grade import container
from optgrade.bundle import Bundle
from optgrade.build.hidden_split import warm_imports
from optgrade.sandbox.checker import __file__ as CHECKER
from optgrade.grade.verdicts import VerdictCache

CHECKS = '''
QUESTIONS = {"q1": ["t_cheap", "t_train"]}
POINTS = {"t_cheap": 1.0, "t_train": 2.0}
SECONDS = {"t_train": 600}
WARM = ["fractions"]


def t_cheap(data):
    assert data == 1


def t_train(data):
    import fractions
    import sys
    assert "fractions" in sys.modules and data == 2
'''


def probe_lines(*records: dict) -> bytes:
    return "".join(json.dumps({"event": "probe", **r}) + "\n" for r in records).encode()


HONEST = probe_lines({"question": "q1", "tests": {"t_cheap": {"value": 1}, "t_train": {"value": 2}}})


def run_checker(tmp_path, stdin: bytes, *options: str) -> tuple[list[dict], dict, int]:
    (tmp_path / "checks.py").write_text(CHECKS)
    done = subprocess.run([sys.executable, "-I", CHECKER, "--checks", str(tmp_path / "checks.py"), "--data",
                           str(tmp_path), *options], input=stdin, capture_output=True, timeout=60)
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    verdicts = [line for line in lines if "name" in line]
    return verdicts, (lines[-1] if lines else {}), done.returncode


def test_a_warm_checker_decides_what_a_cold_one_decides(tmp_path):
    cold, _, cold_status = run_checker(tmp_path, HONEST)
    warm, done, warm_status = run_checker(tmp_path, b'{"skip": []}\n' + HONEST, "--warm")
    assert cold_status == warm_status == 0
    assert cold == warm and [v["passed"] for v in warm] == [True, True]
    assert "checker warm-up (imports, before the probe data)" in done["seconds"]


def test_a_warm_checker_skips_only_what_the_hosts_header_names(tmp_path):
    verdicts, _, status = run_checker(tmp_path, b'{"skip": ["t_train"]}\n' + HONEST, "--warm")
    assert status == 0 and [v["name"] for v in verdicts] == ["t_cheap"]


def test_a_cold_checker_takes_no_skip_list_from_the_probe_data(tmp_path):
    """Without --warm every stdin line is the submission's: a header-shaped line skips nothing."""
    verdicts, _, status = run_checker(tmp_path, b'{"skip": ["t_train", "t_cheap"]}\n' + HONEST)
    assert status == 0 and [v["name"] for v in verdicts] == ["t_cheap", "t_train"]


@pytest.mark.parametrize("header", [b'{"skip": "t_train"}\n', b'["t_train"]\n', b'{"skip": [1]}\n', b"not json\n"])
def test_a_malformed_header_is_a_checker_failure_not_a_grade(tmp_path, header):
    verdicts, _, status = run_checker(tmp_path, header + HONEST, "--warm")
    assert status != 0 and verdicts == []


def test_a_warm_checker_given_nothing_ends_without_passing_anything(tmp_path):
    verdicts, _, status = run_checker(tmp_path, b"", "--warm")
    assert status == 0 and not any(v["passed"] for v in verdicts)


def test_the_build_lists_what_only_the_long_checks_import(project):
    from optgrade.build.hidden_split import hidden_tests

    tests = hidden_tests(project.autograder_zip, project.assignment.check_seconds)
    assert "keras" in warm_imports(tests)  # the CNN's training: the import worth starting early
    assert warm_imports([t for t in tests if t.name not in project.assignment.check_seconds]) == []
    assert "keras" not in warm_imports(hidden_tests(project.autograder_zip))  # no budget, nothing warmed
    assert f"WARM = {json.dumps(warm_imports(tests))}\n" in project.hardened_dir.joinpath("checks.py").read_text()


def test_the_warm_checker_gets_the_probe_data_only_after_the_student_container_is_gone(project, tmp_path,
                                                                                       monkeypatch):
    bundle = Bundle.of(project)
    cache = VerdictCache.for_bundle(tmp_path / "cache", bundle, runtime="test")
    probe_stdout = probe_lines({"question": "q4_quality",
                                "tests": {"test_q4_quality_balanced_accuracy": {"value": "{}"}}})
    cache.store(probe_stdout, [{"question": "q4_quality", "name": "test_q4_quality_balanced_accuracy",
                                "points": 4.0, "passed": True, "message": "passed"}])
    events, fed, commands = [], {}, []
    lock = threading.Lock()

    def fake_run(command, name, *, timeout, stdin_data=None):
        with lock:
            commands.append(command)
        if name.endswith("-probe"):
            events.append("student container started")
            time.sleep(0.3)
            events.append("student container ended")
            return container.Finished(probe_stdout + b'{"event": "done"}\n', "", 0, False, False, False, 0.3)
        events.append("checker started")
        fed["data"] = stdin_data() if callable(stdin_data) else stdin_data
        events.append("checker got the probe data")
        return container.Finished(b'{"done": true}\n', "", 0, False, False, False, 0.4)

    def fake_remove(name):
        events.append(f"removed {name.rsplit('-', 1)[1]}")

    monkeypatch.setattr(container, "run_container", fake_run)
    monkeypatch.setattr(container, "_remove", fake_remove)
    container.grade_in_container(project.reference_notebook, name="reference", bundle=bundle, cache=cache, warm=True)
    assert events.index("checker started") < events.index("student container ended")  # it was early
    assert events.index("removed probe") < events.index("checker got the probe data")  # but saw nothing early
    header, rest = fed["data"].split(b"\n", 1)
    assert json.loads(header) == {"skip": ["test_q4_quality_balanced_accuracy"]}
    assert rest == probe_stdout + b'{"event": "done"}\n'
    checker = next(c for c in commands if "/opt/optgrade/checker.py" in c)
    assert "--warm" in checker and "--skip" not in checker
