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
from pathlib import Path

import psutil

from .project import NOTEBOOK_NAME
from .results import CRASHED, TIMEOUT, SubmissionResult, read_results


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
    threads = str(max(1, int(cpus)))
    env = dict(os.environ)
    env.update({
        # TensorFlow sizes its thread pools by the machine, not by what a grading slot may use
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": threads,
        "OMP_NUM_THREADS": threads,
        "TMPDIR": str(scratch),
        "PYTHONHASHSEED": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def grade_with_otter(submission: Path, *, autograder_zip: Path, timeout: float = 600,
                     name: str | None = None, cpus: float = 1) -> SubmissionResult:
    """Grade one notebook (or exported zip) with `otter run`; never raises for a bad submission."""
    name = name or submission.name
    scratch = Path(tempfile.mkdtemp(prefix="optgrade-run-"))
    try:
        # Otter's grader.check only finds its tests when the notebook has the expected file name.
        if submission.suffix == ".ipynb":
            staged = scratch / "submission" / NOTEBOOK_NAME
        else:
            staged = scratch / "submission" / submission.name
        staged.parent.mkdir()
        shutil.copy(submission, staged)
        out = scratch / "out"
        out.mkdir()
        command = [sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(autograder_zip),
                   "-o", str(out), str(staged)]
        with open(scratch / "otter.log", "wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=scratch,
                                       env=grading_environment(scratch, cpus), start_new_session=True)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_tree(process)
                return SubmissionResult(name, TIMEOUT, message=f"grading took longer than {timeout:g} s")
            finally:
                if process.poll() is None:
                    _kill_tree(process)
        result = read_results(out / "results.json", submission=name)
        if result.status == CRASHED and process.returncode:
            tail = (scratch / "otter.log").read_text(errors="replace")[-2000:]
            result.message = f"otter run exited with {process.returncode}: {tail}"
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
