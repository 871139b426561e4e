"""A timeout is the student's only when the student's code used the time: a notebook whose container
got less than a quarter of its CPU allowance (a busy or stalled machine) is run once more, afresh,
before a timeout is recorded. The engine's own count decides, never the container's word.

The decision is tested with a fake engine (fast); the CPU count itself with the real engine.
"""

from __future__ import annotations

import pytest

from optgrade.grade import container
from optgrade.grade.engine import container_cpu_seconds
from optgrade.bundle import Bundle
from optgrade.limits import Limits
from optgrade.results import GRADED, TIMEOUT

LIMITS = Limits(timeout=100)


def finished(*, timed_out: bool, cpu: float | None = None) -> container.Finished:
    stdout = b"" if timed_out else b'{"event": "done"}\n'
    return container.Finished(stdout, "", None if timed_out else 0, timed_out, False, False,
                              100.0 if timed_out else 5.0, cpu_seconds=cpu)


@pytest.fixture
def fake_engine(monkeypatch):
    """Student runs come from `runs` in order; the checker passes nothing; records each run."""
    state = {"runs": [], "probe_runs": 0}

    def fake_run(command, name, *, timeout, stdin_data=None):
        if name.endswith("-probe"):
            state["probe_runs"] += 1
            return state["runs"].pop(0)
        return container.Finished(b'{"done": true}\n', "", 0, False, False, False, 0.1)

    monkeypatch.setattr(container, "run_container", fake_run)
    monkeypatch.setattr(container, "_remove", lambda name: None)
    return state


def grade(project, fake_engine, *runs: container.Finished):
    fake_engine["runs"] = list(runs)
    return container.grade_in_container(project.reference_notebook, name="s", bundle=Bundle.of(project),
                                        limits=LIMITS)


def test_a_starved_timeout_is_run_once_more_and_the_second_run_counts(project, fake_engine):
    result = grade(project, fake_engine, finished(timed_out=True, cpu=3.0), finished(timed_out=False))
    assert fake_engine["probe_runs"] == 2
    assert result.status == GRADED
    assert "had used only 3 s of CPU when its 100 s were up" in result.message


def test_a_second_starved_timeout_stands(project, fake_engine):
    result = grade(project, fake_engine, finished(timed_out=True, cpu=3.0), finished(timed_out=True, cpu=1.0))
    assert fake_engine["probe_runs"] == 2  # once more, not forever
    assert result.status == TIMEOUT
    assert "did not finish within 100 s" in result.message and "run once more" in result.message


@pytest.mark.parametrize("cpu", [99.0, 30.0, None], ids=["busy-loop", "computing", "engine-cannot-say"])
def test_a_timeout_that_used_its_time_or_cannot_be_measured_is_not_run_again(project, fake_engine, cpu):
    result = grade(project, fake_engine, finished(timed_out=True, cpu=cpu), finished(timed_out=False))
    assert fake_engine["probe_runs"] == 1
    assert result.status == TIMEOUT and "run once more" not in result.message


def test_starved_means_a_measured_share_under_a_quarter_of_the_allowance():
    assert LIMITS.starved(24.0) and not LIMITS.starved(26.0) and not LIMITS.starved(None)
    assert Limits(timeout=100, cpus=2).starved(40.0)


@pytest.mark.slow
@pytest.mark.parametrize("code, busy", [("while True: pass", True), ("import time; time.sleep(3600)", False)],
                         ids=["spins", "sleeps"])
def test_the_engine_counts_the_cpu_a_timed_out_container_used(code, busy):
    from conftest import docker_or_skip

    docker_or_skip()
    name = f"optgrade-cpu-count-{'spins' if busy else 'sleeps'}"
    command = container.run_command(name=name, image=container.DEFAULT_IMAGE, limits=Limits(timeout=8),
                                    uid=container.STUDENT_UID, mounts=[], command=["-c", code])
    try:
        run = container.run_container(command, name, timeout=8)
    finally:
        container._remove(name)
    assert run.timed_out and run.cpu_seconds is not None
    if busy:
        assert run.cpu_seconds > 4 and not Limits(timeout=8).starved(run.cpu_seconds)
    else:
        assert run.cpu_seconds < 2 and Limits(timeout=8).starved(run.cpu_seconds)
    assert container_cpu_seconds(name) is None  # gone: nothing left to ask


# The local backend (`otter run` unisolated) counts the CPU of otter's whole process tree instead.

def test_the_local_backend_runs_a_starved_timeout_once_more(project, monkeypatch, tmp_path):
    from optgrade.grade import runner

    calls = []

    def fake_run_otter(command, scratch, limits):
        calls.append(limits.timeout)
        return None, True, 2.0

    monkeypatch.setattr(runner, "_run_otter", fake_run_otter)
    result = runner.grade_with_otter(project.reference_notebook, autograder_zip=project.autograder_zip,
                                     timeout=100, name="s")
    assert calls == [100, 100] and result.status == TIMEOUT
    assert "grading took longer than 100 s" in result.message and "run once more" in result.message


def test_the_local_backend_does_not_rerun_a_timeout_that_computed(project, monkeypatch):
    from optgrade.grade import runner

    calls = []
    monkeypatch.setattr(runner, "_run_otter", lambda command, scratch, limits: calls.append(1) or (None, True, 90.0))
    result = runner.grade_with_otter(project.reference_notebook, autograder_zip=project.autograder_zip,
                                     timeout=100, name="s")
    assert calls == [1] and result.status == TIMEOUT and "run once more" not in result.message


@pytest.mark.parametrize("code, busy", [("while True: pass", True), ("import time; time.sleep(3600)", False)],
                         ids=["spins", "sleeps"])
def test_the_local_backend_counts_the_cpu_of_the_whole_process_tree(tmp_path, code, busy):
    import sys

    from optgrade.grade import runner

    # the work happens in a grandchild, as a student's kernel does under otter run
    command = [sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {code!r}])"]
    _, timed_out, spent = runner._run_otter(command, tmp_path, Limits(timeout=4))
    assert timed_out and spent is not None
    assert (spent > 2) if busy else (spent < 1)
