"""Grading results: Otter's Gradescope-schema results.json read into per-question scores.

Otter names each test in results.json "<question>" (one test case) or "<question> - <n>" (several);
a question's score is the sum over its test cases.
"""

from __future__ import annotations

import ast
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

# statuses a submission can end with; every submission gets exactly one
GRADED = "graded"
TIMEOUT = "timeout"
CRASHED = "crashed"
INVALID = "invalid"
# ... and two that are no outcome of the submission: nothing is the student's fault, a rerun grades it
GRADER_ERROR = "grader-error"  # the engine or the grader failed (bad limits, engine gone, checker crash)
NOT_GRADED = "not graded"      # the batch was interrupted before this submission was finished
OUTCOMES = (GRADED, TIMEOUT, CRASHED, INVALID)  # statuses a grade may be based on

_CASE_SUFFIX = re.compile(r"\s+-\s+\d+$")


@dataclass(frozen=True)
class QuestionScore:
    earned: float
    possible: float


@dataclass
class SubmissionResult:
    submission: str
    status: str
    scores: dict[str, QuestionScore] = field(default_factory=dict)
    message: str = ""
    results_json: dict = field(default_factory=dict)
    hints: dict[str, list[str]] = field(default_factory=dict)  # question -> hints of its failed tests
    seconds: float = 0.0  # wall time of grading it (prepare, run, check)

    @property
    def earned(self) -> float:
        return round(sum(s.earned for s in self.scores.values()), 6)

    @property
    def possible(self) -> float:
        return round(sum(s.possible for s in self.scores.values()), 6)


def question_of(test_name: str) -> str:
    return _CASE_SUFFIX.sub("", test_name.strip())


def scores_from_results(results: dict) -> dict[str, QuestionScore]:
    """Per-question (earned, possible) from a Gradescope results dict, in the order of the tests."""
    earned: dict[str, float] = {}
    possible: dict[str, float] = {}
    for test in results.get("tests", []):
        if "max_score" not in test:  # summaries such as "Public Tests" carry no points
            continue
        question = question_of(test.get("name", ""))
        earned[question] = earned.get(question, 0.0) + float(test.get("score") or 0.0)
        possible[question] = possible.get(question, 0.0) + float(test["max_score"])
    return {q: QuestionScore(round(earned[q], 6), round(possible[q], 6)) for q in possible}


def read_results(path: Path, *, submission: str) -> SubmissionResult:
    """Read a results.json; a missing or unreadable file is a crashed submission, not an exception."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return SubmissionResult(submission, CRASHED, message=f"no readable results.json: {error}")
    scores = scores_from_results(results)
    failed = [t for t in results.get("tests", []) if t.get("name") in ("Autograder Failed",
                                                                        "Autograder Exception")]
    if failed or not scores:
        reason = (failed[0].get("output") if failed else "") or "the autograder produced no test results"
        return SubmissionResult(submission, CRASHED, scores, message=reason.strip()[:2000],
                                results_json=results)
    return SubmissionResult(submission, GRADED, scores, results_json=results)


@dataclass(frozen=True)
class ZipTestCase:
    question: str
    node: ast.FunctionDef  # the test function as Otter's test file defines it
    points: float
    hidden: bool
    hint: str = ""  # the test's `failure_message`: what a student is told when it fails


def zip_test_cases(autograder_zip: Path) -> list[ZipTestCase]:
    """Every `@test_case` in the zip's tests/*.py (without running them): question files by name,
    test cases in file order."""
    cases = []
    with zipfile.ZipFile(autograder_zip) as archive:
        for member in sorted(archive.namelist()):
            if not (member.startswith("tests/") and member.endswith(".py")):
                continue
            tree = ast.parse(archive.read(member).decode("utf-8"))
            question = Path(member).stem
            for node in tree.body:
                if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "name" for t in node.targets):
                    question = ast.literal_eval(node.value)
            for node in tree.body:
                if not isinstance(node, ast.FunctionDef):
                    continue
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "test_case":
                        options = {k.arg: ast.literal_eval(k.value) for k in decorator.keywords}
                        cases.append(ZipTestCase(question, node, float(options.get("points") or 0),
                                                 bool(options.get("hidden")),
                                                 str(options.get("failure_message") or "")))
    return cases


def autograder_points(autograder_zip: Path) -> dict[str, float]:
    """Points per question, read from the test files in the autograder zip (without running them)."""
    points: dict[str, float] = {}
    for case in zip_test_cases(autograder_zip):
        points[case.question] = points.get(case.question, 0.0) + case.points
    return {question: round(total, 6) for question, total in points.items() if total > 0}
