"""Turn the two halves of hardened grading into one result: what the run did, what the checks decided.

The probe run (untrusted) yields JSON lines and an ending (finished, timed out, out of memory, ...);
the checker (trusted) yields one line per hidden test. Only the checker's lines give points. The
status says how the student's run ended; questions it never reached score 0 with a reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .results import CRASHED, GRADED, GRADER_ERROR, INVALID, TIMEOUT, QuestionScore, SubmissionResult

MAX_MESSAGE = 2000


@dataclass
class ProbeRun:
    """How the student's notebook run ended, and what it printed on the records channel."""
    stdout: bytes = b""
    exit_code: int | None = None
    timed_out: bool = False
    out_of_memory: bool = False
    output_overflow: bool = False
    stderr_tail: str = ""
    seconds: float = 0.0
    limits_text: dict = field(default_factory=dict)
    cpu_seconds: float | None = None  # at a timeout: the CPU the run had used (None: not measured)

    def events(self) -> list[dict]:
        events = []
        for line in self.stdout.decode("utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and isinstance(event.get("event"), str):
                events.append(event)
        return events


def run_status(run: ProbeRun) -> tuple[str, str]:
    """The submission's status and a one-line reason, from how its run ended (never from its claims
    of success alone: "done" counts only when the runner also exited cleanly)."""
    events = run.events()
    kinds = [e["event"] for e in events]
    if run.timed_out:
        return TIMEOUT, f"the notebook did not finish within {run.limits_text.get('timeout', '?')} s"
    if run.out_of_memory:
        return CRASHED, f"out of memory (limit {run.limits_text.get('memory', '?')})"
    if run.output_overflow:
        return CRASHED, "the run printed more than the grader accepts"
    if run.exit_code == 64 and "invalid" in kinds:
        message = next(e for e in events if e["event"] == "invalid").get("message", "")
        return INVALID, str(message)[:MAX_MESSAGE]
    if "runner-error" in kinds:
        message = next(e for e in events if e["event"] == "runner-error").get("message", "")
        return CRASHED, f"the notebook could not be run to its end: {str(message)[:300]}"
    if "kernel-died" in kinds:
        return CRASHED, "the notebook's kernel died (exit, os._exit, a signal or a crash in native code)"
    if run.exit_code == 0 and "done" in kinds:
        return GRADED, ""
    return CRASHED, f"the notebook's run ended abnormally (exit status {run.exit_code})"


REDACTED = "[line removed: it quotes the grader's code]"


def redact(text: str, grader_lines: frozenset[str]) -> str:
    """Drop lines that quote the probes or checks: the kernel can see the probes it runs and might try
    to smuggle them into its own public test messages, which students see."""
    return "\n".join(REDACTED if any(g in line for g in grader_lines) else line for line in text.splitlines())


def public_results(run: ProbeRun, grader_lines: frozenset[str] = frozenset()) -> list[dict]:
    """Public test outcomes as the student's own kernel reported them at each question's last check
    (feedback only, 0 points)."""
    last: dict[str, list] = {}
    for event in run.events():
        question = event.get("question")
        if event["event"] == "probe" and isinstance(question, str):
            last.pop(question, None)
            last[question] = event.get("public")
    tests = []
    for question, public in last.items():
        for case in public if isinstance(public, list) else []:
            if isinstance(case, dict):
                tests.append({"name": f"{str(case.get('name', question))[:80]} (public)",
                              "visibility": "visible",
                              "output": redact(str(case.get("message", ""))[:MAX_MESSAGE], grader_lines)})
    return tests


def check_lines(stdout: bytes) -> list[dict]:
    """The checker's per-test verdicts (trusted output)."""
    verdicts = []
    for line in stdout.decode("utf-8", errors="replace").splitlines():
        try:
            verdict = json.loads(line)
        except ValueError:
            continue
        if isinstance(verdict, dict) and "name" in verdict and "points" in verdict:
            verdicts.append(verdict)
    return verdicts


def combine(name: str, run: ProbeRun, verdicts: list[dict], hidden_tests: dict[str, list[tuple[str, float]]],
            *, checker_problem: str = "", grader_lines: frozenset[str] = frozenset(),
            hints: dict[str, str] | None = None) -> SubmissionResult:
    """One SubmissionResult with Gradescope-schema results; every hidden test appears exactly once.
    A failed test's output leads with its instructor-written hint, then what the check found."""
    status, message = run_status(run)
    decided = {v["name"]: v for v in verdicts}
    tests, earned, possible, lost = [], {}, {}, {}
    for question, cases in hidden_tests.items():
        for index, (test, points) in enumerate(cases, start=1):
            verdict = decided.get(test)
            passed = bool(verdict and verdict.get("passed") is True)
            why = str((verdict or {}).get("message") or checker_problem or "the check did not run")[:MAX_MESSAGE]
            hint = (hints or {}).get(test, "")
            if passed:
                output = f"{test}: passed"
            else:
                output = f"{test}: failed. " + (f"Hint: {hint}\n" if hint else "") + f"What the check found: {why}"
                if hint and points > 0 and verdict and not str(verdict.get("message", "")).startswith("not run"):
                    lost.setdefault(question, []).append(hint)
            tests.append({"name": f"{question} - {index}", "score": points if passed else 0.0,
                          "max_score": points, "visibility": "hidden", "output": output})
            earned[question] = earned.get(question, 0.0) + (points if passed else 0.0)
            possible[question] = possible.get(question, 0.0) + points
    if status == INVALID:
        earned = {q: 0.0 for q in earned}
    scores = {q: QuestionScore(round(earned[q], 6), round(possible[q], 6)) for q in possible}
    if checker_problem:  # the trusted side failed: whatever the notebook did, its grade is incomplete
        status, message = GRADER_ERROR, checker_problem
    total = round(sum(s.earned for s in scores.values()), 6)
    results = {
        "score": total,
        "execution_time": round(run.seconds, 1),
        "output": f"{status}" + (f": {message}" if message else ""),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests + public_results(run, grader_lines),
    }
    return SubmissionResult(name, status, scores, message=message, results_json=results, hints=lost)
