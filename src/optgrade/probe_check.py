"""The hardened grader's one grading path: probe -> check -> score, whatever runs the two halves.

A sandbox runs them: fresh Docker containers (container.py), the uid jail inside Gradescope's
container (gradescope_run.py), or plain processes for checking the assignment itself (runner.py).
What does not depend on which is decided here, once:
- a timed-out run that got under a quarter of its CPU allowance (a busy machine, not the student)
  is run once more, afresh, before its timeout is recorded (Limits.starved);
- verdicts already in the trusted cache are not computed again, and only a checker that finished
  cleanly fills the cache;
- a sandbox that could not run a half is the grader's failure, never the student's;
- the score comes from the checker's verdicts alone (scoring.combine).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .bundle import Bundle
from .limits import Limits
from .results import SubmissionResult
from .scoring import ProbeRun, combine

SANDBOX_DIR = Path(__file__).resolve().parent / "sandbox"  # probe_runner.py and checker.py


class SandboxFailed(Exception):
    """A half did not run at all (no engine, an interrupted batch): the row gets `status`."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


class Sandbox(Protocol):
    def run_student(self) -> ProbeRun:
        """Run the student's notebook with the probes to its end; nothing of it runs afterwards."""

    def run_checker(self, run: ProbeRun, skip: list[str]) -> tuple[list[dict], str]:
        """The trusted checker's verdict lines for `run`'s records (none for the tests in `skip`),
        and "" or what went wrong with the checker."""


class VerdictStore(Protocol):
    def lookup(self, probe_stdout: bytes) -> dict[str, dict]: ...

    def store(self, probe_stdout: bytes, verdicts: list[dict]) -> None: ...


def grade_in_sandbox(name: str, sandbox: Sandbox, *, bundle: Bundle, limits: Limits,
                     cache: VerdictStore | None = None) -> SubmissionResult:
    """Grade one prepared notebook through `sandbox`; never raises for a bad submission."""
    try:
        first = sandbox.run_student()
        run = sandbox.run_student() if first.timed_out and limits.starved(first.cpu_seconds) else first
        cached = cache.lookup(run.stdout) if cache else {}
        verdicts, problem = sandbox.run_checker(run, sorted(cached))
    except SandboxFailed as failed:
        return SubmissionResult(name, failed.status, message=str(failed))
    if cache and not problem:
        cache.store(run.stdout, verdicts)
    result = combine(name, run, verdicts + list(cached.values()), bundle.hidden_tests(), checker_problem=problem,
                     grader_lines=bundle.grader_lines(), hints=bundle.hints())
    if run is not first:
        result.message = "; ".join(filter(None, [result.message, limits.rerun_note(first.cpu_seconds)]))
    return result
