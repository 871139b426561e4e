"""Run one command as an unprivileged user inside a container we do not control (Gradescope, the
image `otter grade` builds), and make sure nothing of that user is left running afterwards.

This is the Gradescope/`otter grade` stand-in for the Docker backend's student container. We are
root in someone else's container, so we take what that container lets us have and record it:

- always: another uid and gid (no supplementary groups), `no_new_privs`, its own session,
  RLIMIT_NPROC / RLIMIT_CORE / RLIMIT_FSIZE, a wall-clock timeout, a memory watchdog (the
  private resident memory of all the user's processes, polled 4 times a second) and a capped stdout pipe;
- where the container allows it (CAP_SYS_ADMIN, a seccomp profile that permits unshare): a network
  namespace of its own with only loopback (the kernel needs 127.0.0.1 for its ZMQ sockets);
- afterwards: every process of the uid is killed (`kill(-1, SIGKILL)` from a helper running as that
  uid, which the kernel applies to all of them at once, then by pid) and /proc is scanned until none
  is left; zombies count as dead, they run nothing.

Nothing here trusts the child's output: it is bytes on a pipe, handed to the caller.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import resource
import signal
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field

CLONE_NEWNET = 0x40000000
PR_SET_NO_NEW_PRIVS = 38
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
MAX_STDOUT = 32 << 20
STDERR_TAIL = 8 << 10


@dataclass
class Ending:
    stdout: bytes = b""
    stderr_tail: str = ""
    exit_code: int | None = None
    timed_out: bool = False
    out_of_memory: bool = False
    overflow: bool = False
    seconds: float = 0.0
    peak_memory: int = 0
    killed_clean: bool = True
    isolation: dict = field(default_factory=dict)


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def network_namespace_works() -> tuple[bool, str]:
    """Whether a child can get a network namespace of its own here (tried in a throwaway child)."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            if _libc().unshare(CLONE_NEWNET) != 0:
                code = 10 + ctypes.get_errno()
            else:
                _loopback_up()
        except BaseException:
            code = 3
        os._exit(min(code, 255))
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return True, "own network namespace (loopback only)"
    reason = os.strerror(code - 10) if code >= 10 else "loopback could not be brought up"
    return False, f"not isolated: unshare(CLONE_NEWNET) failed ({reason}); the container's network is reachable"


def _preexec(uid: int, gid: int, *, new_net: bool, nproc: int, fsize: int):
    def enter() -> None:  # runs in the child, as root, before exec
        if new_net:
            if _libc().unshare(CLONE_NEWNET) != 0:
                os._exit(71)  # the caller tested this first; never run without what it promised
            _loopback_up()
        try:  # the OOM killer's first choice, whatever the supervisor's own setting
            with open("/proc/self/oom_score_adj", "w") as file:
                file.write("1000")
        except OSError:
            pass
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            os._exit(72)
    return enter


def pids_of(uid: int) -> list[int]:
    """Live (not zombie) processes whose real, effective or saved uid is `uid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as file:
                status = dict(line.split(":", 1) for line in file if ":" in line)
        except OSError:
            continue
        uids = status.get("Uid", "").split()[:3]
        if str(uid) in uids and not status.get("State", "").strip().startswith(("Z", "X")):
            found.append(int(entry))
    return found


def kill_uid(uid: int, gid: int, *, attempts: int = 100) -> bool:
    """Kill every process of `uid`; True once /proc shows none alive."""
    for _ in range(attempts):
        alive = pids_of(uid)
        if not alive:
            return True
        helper = os.fork()
        if helper == 0:
            try:
                os.setgroups([])
                os.setresgid(gid, gid, gid)
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)  # every process this uid may signal, except this one
            finally:
                os._exit(0)
        os.waitpid(helper, 0)
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    return not pids_of(uid)


def private_memory_of(pids: list[int]) -> int:
    """Bytes of anonymous and shared-memory RSS of `pids` (/proc/<pid>/status: RssAnon + RssShmem).
    Root without CAP_SYS_PTRACE (Docker's default) cannot read another user's smaps, but status is
    world-readable. Pages a fork shares copy-on-write are counted once per process."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as file:
                for line in file:
                    if line.startswith(("RssAnon:", "RssShmem:")):
                        total += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
    return total


def run_as(command: list[str], *, uid: int, gid: int, cwd: str, env: dict[str, str], timeout: float,
           memory: int, nproc: int = 512, fsize: int = 1 << 30, new_net: bool = False) -> Ending:
    """Run `command` as uid:gid with the limits above; return how it ended once nothing of the uid runs."""
    ending = Ending()
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True, close_fds=True,
                               preexec_fn=_preexec(uid, gid, new_net=new_net, nproc=nproc, fsize=fsize))
    stdout, tail, stop = bytearray(), bytearray(), threading.Event()

    def read_stdout() -> None:
        while chunk := process.stdout.read(1 << 16):
            if len(stdout) + len(chunk) > MAX_STDOUT:
                ending.overflow = True
                stop.set()
                break
            stdout.extend(chunk)

    def read_stderr() -> None:
        while chunk := process.stderr.read(1 << 16):
            tail.extend(chunk)
            del tail[:-STDERR_TAIL]

    def watch_memory() -> None:
        while not stop.is_set():
            used = private_memory_of(pids_of(uid))
            ending.peak_memory = max(ending.peak_memory, used)
            if used > memory:
                ending.out_of_memory = True
                stop.set()
                break
            stop.wait(0.25)

    threads = [threading.Thread(target=f, daemon=True) for f in (read_stdout, read_stderr, watch_memory)]
    for thread in threads:
        thread.start()
    deadline = started + timeout
    while process.poll() is None and not stop.is_set():
        if time.monotonic() >= deadline:
            ending.timed_out = True
            break
        time.sleep(0.1)
    stop.set()
    ending.killed_clean = kill_uid(uid, gid)  # also whatever the notebook left behind in the background
    process.wait()
    for thread in threads[:2]:
        thread.join(timeout=30)
    ending.stdout, ending.stderr_tail = bytes(stdout), tail.decode("utf-8", errors="replace")
    ending.exit_code, ending.seconds = process.returncode, time.monotonic() - started
    return ending
