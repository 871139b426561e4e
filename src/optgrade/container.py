"""The container backend: one fresh grader container per submission (see autograder/Dockerfile).

Limits are enforced by the engine (no network, read-only root, memory, pids, CPUs, no capabilities,
non-root user) and the wall-clock timeout from outside with `docker kill`, because killing the
`docker run` client does not stop the container.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from .project import NOTEBOOK_NAME
from .results import CRASHED, TIMEOUT, SubmissionResult, read_results

DEFAULT_IMAGE = "optgrade-grader:latest"
GRADER_UID = 10001
# where scripts/docker-engine.sh starts its engine when the machine has none of its own
PROJECT_ENGINE_DIR = Path(os.environ.get("OPTGRADE_DOCKER_DIR", "/var/tmp/optgrade-docker"))


@dataclass(frozen=True)
class Limits:
    timeout: float = 600
    memory: str = "4g"
    cpus: float = 1.0
    pids: int = 256


def docker_environment() -> dict[str, str]:
    """The environment for docker commands: the project's own engine unless DOCKER_HOST says otherwise."""
    env = dict(os.environ)
    socket = PROJECT_ENGINE_DIR / "docker.sock"
    if "DOCKER_HOST" not in env and socket.exists():
        env["DOCKER_HOST"] = f"unix://{socket}"
    return env


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=docker_environment())


def docker_available(image: str = DEFAULT_IMAGE) -> bool:
    """True when a Docker engine answers and has the grader image."""
    if shutil.which("docker") is None:
        return False
    try:
        return _docker("image", "inspect", image, timeout=20).returncode == 0
    except (subprocess.TimeoutExpired, OSError):
        return False


def run_command(*, name: str, image: str, limits: Limits, input_dir: Path, output_dir: Path) -> list[str]:
    cpus = f"{limits.cpus:g}"
    return [
        "docker", "run", "--name", name,
        "--network", "none", "--read-only",
        "--tmpfs", "/autograder:rw,exec,size=2g", "--tmpfs", "/tmp:rw,exec,size=1g",
        "--memory", limits.memory, "--memory-swap", limits.memory,
        "--pids-limit", str(limits.pids), "--cpus", cpus,
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--user", f"{GRADER_UID}:{GRADER_UID}", "-e", f"OPTGRADE_CPUS={max(1, int(limits.cpus))}",
        "-v", f"{input_dir}:/input:ro", "-v", f"{output_dir}:/output:rw",
        image,
    ]


def _exit_state(name: str) -> dict:
    try:
        inspected = _docker("inspect", "--format", "{{json .State}}", name)
        return json.loads(inspected.stdout) if inspected.returncode == 0 else {}
    except (subprocess.TimeoutExpired, ValueError):
        return {}


def grade_in_container(notebook: Path, *, name: str, image: str = DEFAULT_IMAGE,
                       limits: Limits = Limits()) -> SubmissionResult:
    """Grade one prepared notebook in a fresh container; never raises for a bad submission."""
    scratch = Path(tempfile.mkdtemp(prefix="optgrade-container-"))
    container = f"optgrade-{uuid.uuid4().hex[:12]}"
    try:
        input_dir, output_dir = scratch / "input", scratch / "output"
        input_dir.mkdir()
        output_dir.mkdir()
        shutil.copy(notebook, input_dir / NOTEBOOK_NAME)
        os.chmod(scratch, 0o755)
        os.chmod(input_dir, 0o755)
        os.chmod(input_dir / NOTEBOOK_NAME, 0o644)
        os.chmod(output_dir, 0o777)  # the container's user is not ours
        command = run_command(name=container, image=image, limits=limits, input_dir=input_dir,
                              output_dir=output_dir)
        with open(scratch / "container.log", "wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env=docker_environment())
            try:
                process.wait(timeout=limits.timeout)
            except subprocess.TimeoutExpired:
                _docker("kill", container)
                process.wait()
                return SubmissionResult(name, TIMEOUT,
                                        message=f"grading took longer than {limits.timeout:g} s")
        state = _exit_state(container)
        if state.get("OOMKilled"):
            return SubmissionResult(name, CRASHED, message=f"out of memory (limit {limits.memory})")
        result = read_results(output_dir / "results.json", submission=name)
        if result.status == CRASHED:
            tail = (scratch / "container.log").read_text(errors="replace")[-2000:]
            result.message = f"grader container exited with {state.get('ExitCode', process.returncode)}: {tail}"
        return result
    finally:
        try:
            _docker("rm", "-f", container)
        except (subprocess.TimeoutExpired, OSError):
            pass
        shutil.rmtree(scratch, ignore_errors=True)
