"""The Docker engine as the hardened backend sees it: where it is, whether it has a current grader
image, what machine it has, and how much CPU a running container has used (from the engine itself,
never from inside the container)."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import quote, urlparse

DEFAULT_IMAGE = "optgrade-grader:latest"

# where scripts/docker-engine.sh starts its engine when the machine has none of its own
PROJECT_ENGINE_DIR = Path(os.environ.get("OPTGRADE_DOCKER_DIR", "/var/tmp/optgrade-docker"))
# scripts/build-images.sh labels the image with the digest of what it was built from
ENVIRONMENT_LABEL = "org.optgrade.environment"
SET_UP = "run `make images` (starts a Docker engine if none answers and builds the grader image)"


def docker_environment() -> dict[str, str]:
    """The environment for docker commands: the project's own engine unless DOCKER_HOST says otherwise."""
    env = dict(os.environ)
    socket = PROJECT_ENGINE_DIR / "docker.sock"
    if "DOCKER_HOST" not in env and socket.exists():
        env["DOCKER_HOST"] = f"unix://{socket}"
    return env


def docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=docker_environment())


def docker_available(image: str = DEFAULT_IMAGE) -> bool:
    """True when a Docker engine answers and has the grader image."""
    if shutil.which("docker") is None:
        return False
    try:
        return docker("image", "inspect", image, timeout=20).returncode == 0
    except (subprocess.TimeoutExpired, OSError):
        return False


def environment_digest(autograder_dir: Path) -> str:
    """The digest scripts/build-images.sh labels the image with: its Dockerfile and the lock as the
    build context holds it (comments and blank lines dropped), so a changed lock means a stale image."""
    lock = []
    for line in (autograder_dir / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = re.sub(r"\s*#.*$", "", line)
        if line.strip():
            lock.append(line + "\n")
    data = (autograder_dir / "Dockerfile").read_bytes() + "".join(lock).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def engine_problem(image: str, autograder_dir: Path | None = None) -> str:
    """Why the hardened backend cannot grade here ("" when it can): no docker command, no engine,
    no grader image, or an image built from another environment than `autograder_dir` describes."""
    if shutil.which("docker") is None:
        return f"there is no `docker` command here; install Docker (Debian: docker.io) and {SET_UP}"
    try:
        inspected = docker("image", "inspect", "--format", "{{json .Config.Labels}}", image, timeout=30)
    except (subprocess.TimeoutExpired, OSError) as error:
        return f"the Docker engine does not answer ({error}); {SET_UP}"
    if inspected.returncode != 0:
        if "no such image" in inspected.stderr.lower():
            return f"the Docker engine has no grader image {image}; {SET_UP}"
        where = docker_environment().get("DOCKER_HOST", "the default socket")
        return f"no Docker engine answers at {where} ({inspected.stderr.strip()[:200]}); {SET_UP}"
    if autograder_dir is not None and (autograder_dir / "requirements.lock").is_file():
        try:
            labels = json.loads(inspected.stdout) or {}
        except ValueError:
            labels = {}
        if labels.get(ENVIRONMENT_LABEL) != environment_digest(autograder_dir):
            return (f"the grader image {image} was not built from this project's autograder/Dockerfile and "
                    f"requirements.lock (it is older, or from another checkout); {SET_UP}")
    return ""


def engine_resources() -> tuple[int, int]:
    """(CPUs, memory in bytes) of the Docker engine's machine; (0, 0) when it does not say."""
    try:
        info = docker("info", "--format", "{{.NCPU}} {{.MemTotal}}", timeout=30)
        cpus, memory = info.stdout.split()
        return int(cpus), int(memory)
    except (subprocess.TimeoutExpired, OSError, ValueError):
        return 0, 0



def image_id(image: str = DEFAULT_IMAGE) -> str:
    """The grader image's id (part of every cached verdict's key: another image, another verdict)."""
    inspected = docker("image", "inspect", "--format", "{{.Id}}", image, timeout=20)
    return inspected.stdout.strip() if inspected.returncode == 0 else ""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def container_cpu_seconds(name: str) -> float | None:
    """CPU seconds the container `name` has used so far, as its engine counts them (all its
    processes); None when the engine is not a local socket we can ask, or does not answer."""
    host = docker_environment().get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return None
    connection = _UnixConnection(urlparse(host).path, timeout=10)
    try:
        connection.request("GET", f"/containers/{quote(name)}/stats?stream=false&one-shot=true")
        response = connection.getresponse()
        if response.status != 200:
            return None
        return int(json.loads(response.read())["cpu_stats"]["cpu_usage"]["total_usage"]) / 1e9
    except (OSError, ValueError, KeyError, TypeError, http.client.HTTPException):
        return None
    finally:
        connection.close()
