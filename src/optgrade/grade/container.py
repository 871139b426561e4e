"""The hardened (container) backend: two fresh containers per submission, see README "Security model".

1. probe: the student's notebook runs as the unprivileged student user, with only the public
   files and the probes; no hidden test or reference value is in that container. Its
   only way out is its stdout pipe (JSON lines, capped), read by us after nothing of it is left
   running: the container ends when its runner does, and we `docker kill` it at the timeout.
2. check: a container the student's code never ran in reads those lines as plain JSON on stdin
   and runs the checks (the instructor's code) against the hidden data. Its verdicts are the score.

Both: no network, read-only root, no capabilities, no new privileges, memory/pids/CPU limits, no
bind mount the container can write, no container log kept by the engine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .engine import DEFAULT_IMAGE, container_cpu_seconds, docker, docker_environment
from ..bundle import Bundle
from ..limits import Limits
from ..results import GRADER_ERROR, NOT_GRADED, SubmissionResult
from ..probe_check import SANDBOX_DIR, SandboxFailed, grade_in_sandbox
from ..scoring import ProbeRun, check_lines
from ..threads import thread_environment
from .verdicts import VerdictCache

GRADER_UID = 10001   # runs the checks
STUDENT_UID = 10002  # runs the student's notebook
PYTHON = "/opt/grader/bin/python"
MAX_STDOUT = 32 << 20
STDERR_TAIL = 8 << 10
def run_command(*, name: str, image: str, limits: Limits, uid: int, mounts: list[tuple[Path, str]],
                command: list[str], stdin: bool = False) -> list[str]:
    options = [
        "docker", "run", "--name", name, "--log-driver", "none",
        "--network", "none", "--read-only", "--ipc", "private",
        "--tmpfs", "/tmp:rw,exec,size=1g", "--tmpfs", "/work:rw,exec,size=1g",
        "--memory", limits.memory, "--memory-swap", limits.memory,
        "--pids-limit", str(limits.pids), "--cpus", f"{limits.cpus:g}",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--user", f"{uid}:{uid}", "--workdir", "/work", "--entrypoint", PYTHON,
    ]
    if stdin:
        options.append("-i")
    for key, value in thread_environment().items():
        options += ["-e", f"{key}={value}"]
    for source, target in mounts:
        options += ["-v", f"{source}:{target}:ro"]
    return options + [image, *command]


_live: set[str] = set()
_live_lock = threading.Lock()
stopping = threading.Event()  # set while a batch is being torn down: start no new containers


def remove_live_containers() -> int:
    """Remove every container this process started and has not removed yet (on Ctrl-C or SIGTERM:
    killing `docker run` does not stop its container, and its timeout is enforced from here)."""
    stopping.set()
    with _live_lock:
        names = sorted(_live)
    for name in names:
        _remove(name)
    return len(names)


@dataclass
class Finished:
    stdout: bytes
    stderr_tail: str
    exit_code: int | None
    timed_out: bool
    overflow: bool
    out_of_memory: bool
    seconds: float
    started: bool = True       # False: the engine never ran the container (its refusal is in stderr_tail)
    interrupted: bool = False  # the batch was being stopped: the container was never started
    cpu_seconds: float | None = None  # at a timeout: the CPU it had used, as the engine counts it


def run_container(command: list[str], name: str, *, timeout: float,
                  stdin_data: "bytes | Callable[[], bytes] | None" = None) -> Finished:
    """Run one container to its end; stdout capped, stderr tail kept, killed at the timeout.
    `stdin_data` may be a callable: then it is called (and may wait) once the container runs."""
    started = time.monotonic()
    if stopping.is_set():
        return Finished(b"", "grading was interrupted", None, False, False, False, 0.0, False, True)
    with _live_lock:
        _live.add(name)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                               env=docker_environment())
    stdout, tail, overflow = bytearray(), bytearray(), threading.Event()

    def read_stdout():
        while chunk := process.stdout.read(1 << 16):
            if len(stdout) + len(chunk) > MAX_STDOUT:
                overflow.set()
                docker("kill", name)
                break
            stdout.extend(chunk)
        process.stdout.close()

    def read_stderr():
        while chunk := process.stderr.read(1 << 16):
            tail.extend(chunk)
            del tail[:-STDERR_TAIL]

    def write_stdin():
        try:
            process.stdin.write(stdin_data() if callable(stdin_data) else stdin_data)
            process.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    threads = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
    if stdin_data is not None:
        threads.append(threading.Thread(target=write_stdin, daemon=True))
    for thread in threads:
        thread.start()
    timed_out, cpu_seconds = False, None
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        cpu_seconds = container_cpu_seconds(name)
        docker("kill", name)
        process.wait()
    for thread in threads:
        thread.join(timeout=30)
    state = {}
    try:
        inspected = docker("inspect", "--format", "{{json .State}}", name)
        state = json.loads(inspected.stdout) if inspected.returncode == 0 else {}
    except (subprocess.TimeoutExpired, ValueError):
        pass
    # A container that never started (no container at all, or one the engine could not start) ran
    # nothing of the student's: that is the engine's failure, e.g. a limit it refuses or no engine.
    ran = bool(state) and not str(state.get("StartedAt", "")).startswith("0001-01-01")
    return Finished(bytes(stdout), tail.decode("utf-8", errors="replace"),
                    state.get("ExitCode", process.returncode), timed_out, overflow.is_set(),
                    bool(state.get("OOMKilled")), time.monotonic() - started,
                    started=ran or timed_out or bool(stdout), interrupted=stopping.is_set() and not ran,
                    cpu_seconds=cpu_seconds)


def _remove(name: str) -> None:
    try:
        docker("rm", "-f", name)
    except (subprocess.TimeoutExpired, OSError):
        return
    with _live_lock:
        _live.discard(name)


def _readable(path: Path) -> None:
    """Our temp files are 0700/0600; the containers' users are not us."""
    for folder, dirs, files in os.walk(path):
        os.chmod(folder, 0o755)
        for file in files:
            os.chmod(Path(folder) / file, 0o644)


class _ProbeData:
    """What a warm checker reads on stdin, handed over once the student's container is gone: the
    host's header (the tests whose verdicts are cached) and the probe lines."""

    def __init__(self):
        self._ready = threading.Event()
        self._data = b""
        self.given_at = 0.0

    def give(self, skip: list[str], stdout: bytes) -> None:
        if not self._ready.is_set():
            self._data = json.dumps({"skip": skip}).encode() + b"\n" + stdout
            self.given_at = time.monotonic()
            self._ready.set()

    def __call__(self) -> bytes:
        self._ready.wait()
        return self._data


class DockerSandbox:
    """The two halves in two fresh containers (see the module docstring), for one submission.

    `warm` (when a core is idle): the checker's container starts with the student's and imports what
    the expensive checks need while the notebook runs; it gets the probe data only once the student's
    container is gone, so nothing changes but when the imports happen."""

    def __init__(self, scratch: Path, notebook: Path, *, bundle: Bundle, image: str, limits: Limits, warm: bool):
        self.scratch, self.notebook, self.bundle, self.image, self.limits = scratch, notebook, bundle, image, limits
        self.probe_name, self.check_name = (f"optgrade-{uuid.uuid4().hex[:12]}-{part}" for part in ("probe", "check"))
        self.feed, self.early, self.warm_done = _ProbeData(), None, {}
        self.probe: Finished | None = None
        self.checked: Finished | None = None
        self.waited = 0.0
        (scratch / "input").mkdir()
        shutil.copy(notebook, scratch / "input" / notebook.name)
        bundle.stage_probes(scratch / "probes")
        bundle.stage_checker(scratch / "checks")
        _readable(scratch)
        if warm:
            started = time.monotonic()
            self.early = threading.Thread(target=lambda: self.warm_done.update(
                done=self._check("--warm", stdin_data=self.feed), started=started), daemon=True)
            self.early.start()

    def _check(self, *options: str, stdin_data) -> Finished:
        limits, warm = self.limits, self.early is not None
        return run_container(run_command(
            name=self.check_name, image=self.image, limits=Limits(limits.timeout, "4g", limits.cpus, 128),
            uid=GRADER_UID, mounts=[(self.scratch / "checks", "/checks"), (SANDBOX_DIR, "/opt/optgrade")],
            command=["/opt/optgrade/checker.py", "--checks", "/checks/checks.py", "--data", "/checks", *options],
            stdin=True), self.check_name, timeout=limits.timeout + 120 + (2 * limits.timeout + 60 if warm else 0),
            stdin_data=stdin_data)

    def run_student(self) -> ProbeRun:
        probe = self.probe = run_container(run_command(
            name=self.probe_name, image=self.image, limits=self.limits, uid=STUDENT_UID,
            mounts=[(self.scratch / "input", "/input"), (self.bundle.assignment_dir.resolve(), "/assignment"),
                    (self.scratch / "probes", "/probes"), (SANDBOX_DIR, "/opt/optgrade")],
            command=["/opt/optgrade/probe_runner.py", "--notebook", f"/input/{self.notebook.name}",
                     "--probes", "/probes/probes.py", "--assignment", "/assignment",
                     "--workdir", "/work/submission"]), self.probe_name, timeout=self.limits.timeout)
        _remove(self.probe_name)  # gone before its output is used: nothing of it can still write
        if probe.interrupted:
            raise SandboxFailed(NOT_GRADED, "the batch was stopped before this submission ran")
        if not probe.started:
            raise SandboxFailed(GRADER_ERROR, "the Docker engine did not run the student's container: "
                                f"{probe.stderr_tail.strip()[-500:]}")
        return ProbeRun(stdout=probe.stdout, exit_code=probe.exit_code, timed_out=probe.timed_out,
                        out_of_memory=probe.out_of_memory, output_overflow=probe.overflow,
                        stderr_tail=probe.stderr_tail, seconds=probe.seconds, cpu_seconds=probe.cpu_seconds,
                        limits_text={"timeout": f"{self.limits.timeout:g}", "memory": self.limits.memory})

    def run_checker(self, run: ProbeRun, skip: list[str]) -> tuple[list[dict], str]:
        if self.early is not None:
            self.feed.give(skip, run.stdout)
            self.early.join()
            checked = self.warm_done["done"]
            self.waited = self.feed.given_at - self.warm_done["started"]
        else:
            checked = self._check(*(["--skip", ",".join(skip)] if skip else []), stdin_data=run.stdout)
        self.checked = checked
        if checked.interrupted:
            raise SandboxFailed(NOT_GRADED, "the batch was stopped before this submission was checked")
        problem = ""
        if not checked.started:
            problem = f"the Docker engine did not run the checker's container: {checked.stderr_tail.strip()[-500:]}"
        elif checked.timed_out or checked.out_of_memory or checked.exit_code != 0:
            problem = (f"the trusted checker did not finish (exit {checked.exit_code}"
                       f"{', timed out' if checked.timed_out else ''}"
                       f"{', out of memory' if checked.out_of_memory else ''}): {checked.stderr_tail[-500:]}")
        return check_lines(checked.stdout), problem

    def close(self) -> None:
        self.feed.give([], b"")  # a warm checker still waiting reads nothing and ends
        if self.early is not None:
            self.early.join(timeout=self.limits.timeout + 180)
        _remove(self.probe_name)
        _remove(self.check_name)


def grade_in_container(notebook: Path, *, name: str, bundle: Bundle, image: str = DEFAULT_IMAGE,
                       limits: Limits = Limits(), cache: "VerdictCache | None" = None, warm: bool = False,
                       profile: dict[str, float] | None = None) -> SubmissionResult:
    """Grade one prepared notebook in two fresh containers (DockerSandbox; the flow is
    probe_check.grade_in_sandbox); never raises for a bad submission.

    With a verdict cache, expensive checks whose probe data was already judged are not run again:
    their cached verdicts (computed by the trusted checker for exactly that data) are used.
    `profile` (for `make bench`) receives where the time went: each container's wall time, and the
    timings the runner and the checker report (the runner's are the student side's word)."""
    scratch = Path(tempfile.mkdtemp(prefix="optgrade-container-"))
    sandbox = None
    try:
        sandbox = DockerSandbox(scratch, notebook, bundle=bundle, image=image, limits=limits, warm=warm)
        result = grade_in_sandbox(name, sandbox, bundle=bundle, limits=limits, cache=cache)
        if profile is not None and sandbox.probe is not None and sandbox.checked is not None:
            from .phases import phase_times
            profile.update(phase_times(sandbox.probe, sandbox.checked, waited=sandbox.waited))
        return result
    finally:
        if sandbox is not None:
            sandbox.close()
        shutil.rmtree(scratch, ignore_errors=True)
