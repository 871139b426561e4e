"""results.pkl for `otter grade`: the object Otter 7's host side dill-loads from each container.

`otter.grade.containers.grade_submission` copies /autograder/results/results.pkl out of the
container and `dill.load`s it; `otter grade` then needs a `otter.test_files.GradingResults`
(`to_dict()`, `total`, `possible`, `percent`, `has_catastrophic_failure()`, `summary()`, `file`).
We build that object on the trusted side from a SubmissionResult (the checker's verdicts), with
Otter's own classes, and pickle it; nothing the student's run produced is in it but the statuses
and scores the trusted side decided. An invalid submission or a grader failure becomes Otter's
"catastrophic failure" (0 points, the reason as its grading status), as Otter reports a notebook it
could not grade; a timeout or crash keeps the points of the questions checked before it, as
results.json does, and says so in `output`.
"""

from __future__ import annotations

from pathlib import Path

from .results import GRADER_ERROR, INVALID, SubmissionResult, question_of


def grading_results(result: SubmissionResult):
    from otter.test_files import GradingResults
    from otter.test_files.abstract_test import TestCase, TestCaseResult
    from otter.test_files.exception_test import ExceptionTestFile

    if result.status in (INVALID, GRADER_ERROR):
        return GradingResults.without_results(Exception(f"{result.status}: {result.message}"))
    files: dict[str, ExceptionTestFile] = {}
    for test in result.results_json.get("tests", []):
        if "max_score" not in test:  # public test outcomes and notes carry no points
            continue
        question = question_of(test["name"])
        case = TestCase(name=test["name"], body=None, hidden=test.get("visibility") != "visible",
                        points=float(test["max_score"]), success_message=None, failure_message=None)
        passed = float(test.get("score") or 0) >= float(test["max_score"])
        file = files.setdefault(question, ExceptionTestFile(question, f"tests/{question}.py", [], all_or_nothing=False))
        file.test_cases.append(case)
        file.test_case_results.append(TestCaseResult(test_case=case, message=str(test.get("output", "")),
                                                     passed=passed))
    graded = GradingResults(list(files.values()))
    graded.set_output(str(result.results_json.get("output", result.status)))
    return graded


def write_pickle(result: SubmissionResult, path: Path) -> None:
    import dill

    with open(path, "wb") as file:
        dill.dump(grading_results(result), file)
