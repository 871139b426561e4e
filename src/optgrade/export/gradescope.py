"""Gradescope: check the autograder zip and the results files against Gradescope's documented format.

Gradescope (https://gradescope-autograders.readthedocs.io/en/latest/specs/) needs `setup.sh` and an
executable `run_autograder` at the root of the zip; Otter's zip also carries its environment
(`requirements.txt` or `environment.yml`) and `tests/`. Each results.json is an object with optional
`score`, `execution_time`, `output`, `visibility`, `stdout_visibility`, `extra_data`, `tests` and
`leaderboard`; each test an object with optional `score`, `max_score`, `status`, `name`, `number`,
`output`, `tags`, `visibility`, `extra_data` and format fields. A score must exist at the top or on
the tests. Violations fail the check; odd but accepted things (unknown keys, score above max_score)
are warnings.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import gradebook as book
from .shared import UNFINISHED, fmt, load_class
from ..results import autograder_points
from ..safetext import clean_line

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
STATUSES = ("passed", "failed")
OUTPUT_FORMATS = ("text", "html", "simple_format", "md", "ansi")
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
            "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
             "visibility", "extra_data"}
ENVIRONMENT_FILES = ("requirements.txt", "requirements.r", "environment.yml")


@dataclass
class GradescopeReport:
    checked: int = 0
    violations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def lines(self) -> list[str]:
        """The report, one line each; names and test names come from submissions, so no control characters."""
        verdict = "OK" if self.ok else f"{len(self.violations)} violations"
        return [clean_line(line) for line in [f"violation: {v}" for v in self.violations]
                + [f"warning: {w}" for w in self.warnings]
                + self.notes + [f"gradescope check: {verdict} ({self.checked} results files checked)"]]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_autograder_zip(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {i.filename: i for i in archive.infolist()}
            shebang = archive.read("run_autograder")[:2] if "run_autograder" in infos else b""
    except (zipfile.BadZipFile, OSError) as error:
        return [f"{path.name}: not a readable zip file ({error})"]
    problems = []
    for name in ("setup.sh", "run_autograder"):
        if name not in infos:
            nested = [n for n in infos if n.endswith("/" + name)]
            problems.append(f"{path.name}: no {name} at the root of the zip" + (
                f" (found {nested[0]}: zip the files, not their folder)" if nested else ""))
    if "run_autograder" in infos:
        mode = infos["run_autograder"].external_attr >> 16
        if shebang != b"#!":
            problems.append(f"{path.name}: run_autograder does not start with a #! line")
        if mode and not mode & 0o100:  # zips made on Windows record no mode; those are not judged
            problems.append(f"{path.name}: run_autograder is not executable (mode {oct(mode & 0o777)})")
    if not any(name in infos for name in ENVIRONMENT_FILES):
        problems.append(f"{path.name}: no {' / '.join(ENVIRONMENT_FILES)} (the packages the autograder installs)")
    if not any(n.startswith("tests/") and not n.endswith("/") for n in infos):
        problems.append(f"{path.name}: no tests/ folder with test files")
    return problems


def _check_choice(value: object, choices: tuple[str, ...], where: str, key: str) -> list[str]:
    if value is None or value in choices:
        return []
    return [f"{where}: {key} {value!r} is not one of {', '.join(choices)}"]


def check_results(results: object, where: str) -> tuple[list[str], list[str]]:
    """(violations, warnings) of one results.json against Gradescope's documented format."""
    if not isinstance(results, dict):
        return [f"{where}: the top level is not a JSON object"], []
    violations, warnings = [], []
    warnings += [f"{where}: unknown key {k!r}" for k in sorted(set(results) - TOP_KEYS)]
    if "score" in results and not _is_number(results["score"]):
        violations.append(f"{where}: score {results['score']!r} is not a number")
    if "execution_time" in results and not (_is_number(results["execution_time"]) and results["execution_time"] >= 0):
        violations.append(f"{where}: execution_time {results['execution_time']!r} is not a number of seconds")
    if "output" in results and not isinstance(results["output"], str):
        violations.append(f"{where}: output is not a string")
    for key in ("visibility", "stdout_visibility"):
        violations += _check_choice(results.get(key), VISIBILITIES, where, key)
    for key in ("output_format", "test_output_format", "test_name_format"):
        violations += _check_choice(results.get(key), OUTPUT_FORMATS, where, key)
    if "extra_data" in results and not isinstance(results["extra_data"], dict):
        violations.append(f"{where}: extra_data is not an object")
    tests = results.get("tests", [])
    if not isinstance(tests, list):
        return violations + [f"{where}: tests is not a list"], warnings
    for index, test in enumerate(tests):
        if not isinstance(test, dict):
            violations.append(f"{where}: tests[{index}]: not an object")
            continue
        at = f"{where}: tests[{index}]" + (f" ({test['name']})" if test.get("name") else "")
        warnings += [f"{at}: unknown key {k!r}" for k in sorted(set(test) - TEST_KEYS)]
        for key in ("score", "max_score"):
            if key in test and not _is_number(test[key]):
                violations.append(f"{at}: {key} {test[key]!r} is not a number")
        if _is_number(test.get("score")) and _is_number(test.get("max_score")) and test["score"] > test["max_score"]:
            warnings.append(f"{at}: score {test['score']} is above max_score {test['max_score']} (extra credit?)")
        for key in ("name", "output"):
            if key in test and not isinstance(test[key], str):
                violations.append(f"{at}: {key} is not a string")
        if "number" in test and not (isinstance(test["number"], str) or _is_number(test["number"])):
            violations.append(f"{at}: number is neither a string nor a number")
        if "tags" in test and not (isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])):
            violations.append(f"{at}: tags is not a list of strings")
        violations += _check_choice(test.get("visibility"), VISIBILITIES, at, "visibility")
        violations += _check_choice(test.get("status"), STATUSES, at, "status")
        for key in ("output_format", "name_format"):
            violations += _check_choice(test.get(key), OUTPUT_FORMATS, at, key)
    if "score" not in results and not any(isinstance(t, dict) and "score" in t for t in tests):
        violations.append(f"{where}: no score (neither a top-level score nor scores on the tests)")
    leaderboard = results.get("leaderboard", [])
    if not isinstance(leaderboard, list) or not all(
            isinstance(e, dict) and isinstance(e.get("name"), str) and "value" in e
            and e.get("order", "desc") in ("asc", "desc") for e in leaderboard):
        violations.append(f"{where}: leaderboard is not a list of {{name, value[, order asc/desc]}}")
    return violations, warnings


def validate(*, grades_csv: Path, autograder_zip: Path, manual_csv: Path | None = None, master: Path | None = None,
             late_penalty: float = 0.0) -> GradescopeReport:
    """Check the zip and OUTDIR/results/*.json next to `grades_csv`; note late submissions and, when
    a penalty or manual scores are given, the totals they lead to (Gradescope applies its own late
    policy: these are for comparison)."""
    report = GradescopeReport()
    report.violations += check_autograder_zip(autograder_zip)
    points = autograder_points(autograder_zip) if not report.violations else {}
    results_dir = grades_csv.parent / "results"
    files = sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []
    if not files:
        report.violations.append(f"no results files in {results_dir}")
    for path in files:
        report.checked += 1
        try:
            results = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            report.violations.append(f"{path.name}: not valid JSON ({error})")
            continue
        violations, warnings = check_results(results, path.name)
        report.violations += violations
        report.warnings += warnings
        if violations:
            continue
        for test in results.get("tests", []):  # well-formed by now
            if test.get("name") in points and test.get("max_score") != points[test["name"]]:
                report.warnings.append(f"{path.name}: {test['name']} max_score {test.get('max_score')!r} but the "
                                       f"autograder gives {points[test['name']]:g} points")
    grades, _, scored = load_class(grades_csv=grades_csv, manual_csv=manual_csv, master=master,
                                   late_penalty=late_penalty, unfinished_ok=True)
    report.violations += [f"{row.file}: {row.status}, no grade yet (run the same `optgrade grade` again)"
                          for row in grades.rows if row.status in UNFINISHED]
    # each row names its results file (the `results` column, see gradebook.py)
    present = {p.relative_to(grades_csv.parent).as_posix() for p in files}
    unnamed = [row.file for row in grades.rows if not row.results]
    if unnamed:
        report.warnings.append(f"{len(unnamed)} rows name no results file (a final_grades.csv from before its "
                               f"`{book.RESULTS}` column, e.g. {unnamed[0]}): run the same `optgrade grade` again, "
                               "which rewrites the class files without regrading anything unchanged")
    report.warnings += [f"{row.file}: no results file {row.results}" for row in grades.rows
                        if row.results and row.results not in present]
    for entry in scored:
        if entry.row.late:
            penalty = f" after a {late_penalty:g}% penalty (-{fmt(entry.penalty)})" if late_penalty else ""
            report.notes.append(f"late: {entry.row.file}: total {fmt(entry.total)}{penalty}")
    return report
