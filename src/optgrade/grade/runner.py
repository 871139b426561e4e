"""Run Otter's own runner (`otter run`) on one submission, with the limits `otter run` lacks.

`otter run` has no timeout and leaves its temporary folder behind when killed, so it runs here in a
subprocess of its own session (process group) with TMPDIR pointing into a scratch folder we own: at
the timeout the whole group is killed, and the scratch folder is removed whatever happened.
This does NOT isolate student code from the machine; the container backend does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from ..assignment import name_in_zip
from ..limits import Limits
from ..results import CRASHED, TIMEOUT, SubmissionResult, read_results
from ..scoring import ProbeRun
from ..threads import thread_environment


_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()


def kill_live_processes() -> int:
    """Kill every grading process tree this process started and that still runs (on Ctrl-C or
    SIGTERM: they run in sessions of their own, so the signal does not reach them)."""
    with _live_lock:
        processes = list(_live)
    for process in processes:
        _kill_tree(process)
    return len(processes)


@contextlib.contextmanager
def _tracked(process: subprocess.Popen):
    with _live_lock:
        _live.add(process)
    try:
        yield process
    finally:
        with _live_lock:
            _live.discard(process)


def _kill_tree(process: subprocess.Popen) -> None:
    """Kill otter, its process group and every descendant.

    Jupyter starts kernels in a session of their own, so killing the group alone would leave a
    student's kernel running; the descendants are collected before anything dies.
    """
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for child in descendants:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    process.wait()
    psutil.wait_procs(descendants, timeout=10)


def grading_environment(scratch: Path, cpus: float = 1) -> dict[str, str]:
    """`cpus` only documents the slot: every library gets one thread (see thread_environment)."""
    env = dict(os.environ)
    env.update(thread_environment())
    env.update({
        "TMPDIR": str(scratch),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def _tree_cpu_seconds(process: subprocess.Popen) -> float | None:
    """CPU seconds used by `process` and all its descendants, the ones that ended included."""
    try:
        root = psutil.Process(process.pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return None
    total = 0.0
    for member in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = member.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def _run_to_end(command: list[str], *, stdout, stderr, cwd: Path, env: dict[str, str],
                timeout: float) -> tuple[subprocess.Popen, bool, float | None]:
    """Run `command` in a session of its own to its end or its timeout, then kill whatever of its
    tree is left: (process, timed out, CPU seconds its tree had used at the timeout)."""
    process = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                               start_new_session=True)
    timed_out, spent = False, None
    try:
        with _tracked(process):
            process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out, spent = True, _tree_cpu_seconds(process)
    finally:
        _kill_tree(process)
    return process, timed_out, spent


def _run_otter(command: list[str], scratch: Path, limits: Limits) -> tuple[subprocess.Popen, bool, float | None]:
    """Run `otter run` to its end or its timeout: (process, timed out, CPU seconds used by then)."""
    with open(scratch / "otter.log", "wb") as log:
        return _run_to_end(command, stdout=log, stderr=subprocess.STDOUT, cwd=scratch,
                           env=grading_environment(scratch, limits.cpus), timeout=limits.timeout)


def grade_with_otter(submission: Path, *, autograder_zip: Path, timeout: float = 600,
                     name: str | None = None, cpus: float = 1) -> SubmissionResult:
    """Grade one notebook (or exported zip) with `otter run`; never raises for a bad submission."""
    name = name or submission.name
    scratch = Path(tempfile.mkdtemp(prefix="optgrade-run-"))
    try:
        # Otter's grader.check only finds its tests when the notebook has the expected file name.
        if submission.suffix == ".ipynb":
            staged = scratch / "submission" / f"{name_in_zip(autograder_zip)}.ipynb"
        else:
            staged = scratch / "submission" / submission.name
        staged.parent.mkdir()
        shutil.copy(submission, staged)
        out = scratch / "out"
        out.mkdir()
        command = [sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(autograder_zip),
                   "-o", str(out), str(staged)]
        limits = Limits(timeout=timeout, cpus=cpus)
        process, timed_out, spent = _run_otter(command, scratch, limits)
        rerun_note = ""
        if timed_out and limits.starved(spent):  # a busy machine, not the student, used up its time
            rerun_note = limits.rerun_note(spent)
            shutil.rmtree(out)
            out.mkdir()
            process, timed_out, spent = _run_otter(command, scratch, limits)
        if timed_out:
            return SubmissionResult(name, TIMEOUT, message="; ".join(filter(None, [
                f"grading took longer than {timeout:g} s", rerun_note])))
        result = read_results(out / "results.json", submission=name)
        result.message = "; ".join(filter(None, [result.message, rerun_note]))
        if result.status == CRASHED and process.returncode:
            tail = (scratch / "otter.log").read_text(errors="replace")[-2000:]
            result.message = f"otter run exited with {process.returncode}: {tail}"
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class LocalSandbox:
    """The hardened grader's two halves as plain subprocesses of this machine, with NO isolation.

    For checking the assignment itself (`optgrade build`, the tests): it proves that probes and
    checks together grade like Otter does. Never use it for students' code: see container.py."""

    def __init__(self, scratch: Path, notebook: Path, *, bundle, limits: Limits):
        self.scratch, self.notebook, self.bundle, self.limits = scratch, notebook, bundle, limits
        bundle.stage_probes(scratch / "probes")
        bundle.stage_checker(scratch / "checks")
        self.env = grading_environment(scratch, limits.cpus)

    def run_student(self) -> ProbeRun:
        from ..probe_check import SANDBOX_DIR

        scratch = self.scratch
        shutil.rmtree(scratch / "work", ignore_errors=True)
        command = [sys.executable, str(SANDBOX_DIR / "probe_runner.py"), "--notebook", str(self.notebook.resolve()),
                   "--probes", str(scratch / "probes" / "probes.py"),
                   "--assignment", str(self.bundle.assignment_dir.resolve()), "--workdir", str(scratch / "work")]
        started = time.monotonic()
        with open(scratch / "probe.out", "wb") as out, open(scratch / "probe.err", "wb") as err:
            process, timed_out, spent = _run_to_end(command, stdout=out, stderr=err, cwd=scratch, env=self.env,
                                                    timeout=self.limits.timeout)
        return ProbeRun(stdout=(scratch / "probe.out").read_bytes(), exit_code=process.returncode,
                        timed_out=timed_out, seconds=time.monotonic() - started, cpu_seconds=spent,
                        limits_text={"timeout": f"{self.limits.timeout:g}"},
                        stderr_tail=(scratch / "probe.err").read_text(errors="replace")[-8000:])

    def run_checker(self, run: ProbeRun, skip: list[str]) -> tuple[list[dict], str]:
        from ..probe_check import SANDBOX_DIR
        from ..scoring import check_lines

        checks = self.scratch / "checks"
        command = [sys.executable, str(SANDBOX_DIR / "checker.py"), "--checks", str(checks / "checks.py"),
                   "--data", str(checks), *(["--skip", ",".join(skip)] if skip else [])]
        checked = subprocess.run(command, input=run.stdout, capture_output=True, env=self.env,
                                 timeout=self.limits.timeout + 120)
        problem = "" if checked.returncode == 0 else (
            f"the checker exited with {checked.returncode}: {checked.stderr.decode(errors='replace')[-1000:]}")
        return check_lines(checked.stdout), problem


def probe_and_check_locally(notebook: Path, *, bundle, timeout: float = 600, name: str | None = None,
                            cpus: float = 1) -> SubmissionResult:
    """Grade `notebook` by the hardened grader's own path (probe_check.grade_in_sandbox) through a
    LocalSandbox: NO isolation, for checking the assignment itself."""
    from ..probe_check import grade_in_sandbox

    limits = Limits(timeout=timeout, cpus=cpus)
    scratch = Path(tempfile.mkdtemp(prefix="optgrade-local-"))
    try:
        return grade_in_sandbox(name or notebook.name, LocalSandbox(scratch, notebook, bundle=bundle, limits=limits),
                                bundle=bundle, limits=limits)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
