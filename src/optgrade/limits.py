"""Resource limits of one submission's grading, and their validation before anything runs.

A limit the engine would refuse (`--memory lots`, `--cpus 4` on a 2-core machine) would otherwise
make every container fail to start, one after the other, and read like a class of broken notebooks.
`validate` rejects such limits up front with the reason (exit status 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import UsageProblem

BACKENDS = ("docker", "local")  # the hardened containers (the default), or `otter run` unisolated
# Below this even an empty notebook cannot import TensorFlow; the reference peaks near 950 MiB.
MIN_MEMORY = 512 << 20
MIN_PIDS = 16
# Docker's own syntax (units.RAMInBytes): a number and an optional unit b, k, m, g, t (kb, kib ... too).
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@dataclass(frozen=True)
class Limits:
    timeout: float = 600
    memory: str = "4g"
    cpus: float = 1.0
    pids: int = 256

    def starved(self, cpu_seconds: float | None) -> bool:
        """True for a timed-out run that used less than STARVED_SHARE of the CPU these limits allow
        over their timeout: it waited on a busy machine (or on nothing, e.g. a sleep) rather than
        computing, so it is run once more before a timeout is recorded. None (not measured): False."""
        return cpu_seconds is not None and cpu_seconds < STARVED_SHARE * self.timeout * self.cpus

    def rerun_note(self, cpu_seconds: float) -> str:
        return (f"its first run had used only {cpu_seconds:.0f} s of CPU when its {self.timeout:g} s were up "
                "(it waited on the machine or on something else), so it was run once more")


# A notebook that loops or computes uses nearly all of its CPU allowance; one stalled by a busy
# machine gets a small share of it.
STARVED_SHARE = 0.25


def memory_bytes(text: str) -> int:
    """`4g` -> 4294967296, as Docker reads it; UsageProblem for what Docker would refuse."""
    match = _MEMORY.match(str(text))
    if not match:
        raise UsageProblem(f"--memory {text!r} is not a size: use a number with b, k, m or g (e.g. 4g, 2048m)")
    return int(float(match[1]) * _UNITS[match[2].lower()])


def _size(value: int) -> str:
    return f"{value / (1 << 30):.1f} GiB" if value >= 1 << 30 else f"{value >> 20} MiB"


def validate(limits: Limits, *, cpus_available: int, memory_available: int) -> Limits:
    """`limits` if the machine that runs the submissions can honour them, else UsageProblem saying why.
    `cpus_available` / `memory_available` (bytes): of the Docker engine, or of this machine."""
    problems = []
    if not limits.timeout >= 1:
        problems.append(f"--timeout {limits.timeout:g}: at least 1 second")
    try:
        memory = memory_bytes(limits.memory)
    except UsageProblem as problem:
        problems.append(str(problem))
    else:
        if memory < MIN_MEMORY:
            problems.append(f"--memory {limits.memory}: at least {_size(MIN_MEMORY)} (TensorFlow alone needs "
                            "more; grading the reference peaks near 950 MiB)")
        elif memory_available and memory > memory_available:
            problems.append(f"--memory {limits.memory}: more than the {_size(memory_available)} the machine has")
    if not limits.cpus > 0:
        problems.append(f"--cpus {limits.cpus:g}: more than 0")
    elif cpus_available and limits.cpus > cpus_available:
        problems.append(f"--cpus {limits.cpus:g}: more than the {cpus_available} CPUs the machine has")
    if limits.pids < MIN_PIDS:
        problems.append(f"--pids-limit {limits.pids}: at least {MIN_PIDS} (a Jupyter kernel starts several)")
    if problems:
        raise UsageProblem("limits the grader cannot use: " + "; ".join(problems) + " (nothing was graded)")
    return limits
