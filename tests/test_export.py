"""Scores to the LMS: Canvas and Moodle CSVs and the Gradescope check, from a graded class.

Most tests build a realistic OUTDIR (final_grades.csv and results/*.json) with optgrade.grade.outputs
from hand-made results, so the round trip takes milliseconds; one slow test grades two real
notebooks first. Whole output files are compared with tests/golden/ (regenerate with
UPDATE_GOLDEN=1 after checking the difference is intended).
"""

from __future__ import annotations

import csv
import difflib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from optgrade.grade import outputs
from optgrade.export.canvas import CANVAS_POINTS_POSSIBLE, export_canvas
from optgrade.export.shared import ExportError
from optgrade.export.moodle import export_moodle
from optgrade.export.gradescope import check_autograder_zip, check_results, validate
from optgrade.manual.scores import ManualScoresError, manual_questions, write_template
from optgrade.results import GRADED, INVALID, TIMEOUT, QuestionScore, SubmissionResult, autograder_points
from optgrade.submissions import Submission, safe_stem, parse_canvas_name

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ASSIGNMENT = "Assignment 5: Optimization"

# file -> (status, points lost per question); every other question gets full marks
CLASS = {
    "doejane_48213_9120377_a5_optimization.ipynb": (GRADED, {}),
    "smithjohn_LATE_48217_9120391_a5_optimization.ipynb": (GRADED, {"q1_1": 1, "q2_2": 0.5, "q3_momentum": 4}),
    "leeann_48220_9120400_a5_optimization.ipynb": (GRADED, {"q4_net": 3, "q4_quality": 4}),  # first upload
    "leeann_48220_9120455_a5_optimization.ipynb": (GRADED, {"q4_patches": 1}),  # her latest upload
    "kimyu_48225_9120410_a5_optimization.ipynb": (TIMEOUT, None),
    "my_a5_final_v2.ipynb": (GRADED, {}),  # not Canvas-named: Max Brown's, via the mapping file
    "invalid-json.ipynb": (INVALID, None),
    "parkmin_48299_9120500_a5_optimization.ipynb": (GRADED, {"q3_sgd": 4}),  # dropped the course
}
ROSTER = [  # Canvas's gradebook export: a Manual Posting row, Points Possible, other assignments
    ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Assignment 4 (1001)",
     f"{ASSIGNMENT} (4711)", "Current Score"],
    ["", "", "", "", "", "", "Manual Posting", ""],
    [CANVAS_POINTS_POSSIBLE, "", "", "", "", "10", "49", "(read only)"],
    ["Doe, Jane", "48213", "S1001", "jdoe", "DL 2019", "9", "", "90"],
    ["Smith, John", "48217", "S1002", "jsmith", "DL 2019", "7", "", "70"],
    ["Lee, Ann", "48220", "S1003", "alee", "DL 2019", "10", "", "100"],
    ["Kim, Yu", "48225", "S1004", "ykim", "DL 2019 (B)", "8", "", "80"],
    ["Brown, Max", "48230", "S1005", "mbrown", "DL 2019 (B)", "6", "", "60"],
    ["Nobody, Sam", "48240", "S1006", "snobody", "DL 2019", "", "", ""],
]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
    return path


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def check_golden(produced: Path, name: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        shutil.copyfile(produced, golden)
    assert golden.is_file(), f"no golden file {golden}: run with UPDATE_GOLDEN=1"
    expected, got = golden.read_text(encoding="utf-8"), produced.read_text(encoding="utf-8")
    assert got == expected, "differs from tests/golden/{} (UPDATE_GOLDEN=1 if intended):\n{}".format(
        name, "".join(difflib.unified_diff(expected.splitlines(True), got.splitlines(True))))


def otter_results(earned: dict[str, float], points: dict[str, float]) -> dict:
    """results.json as Otter writes it: a scoreless 'Public Tests' entry and one hidden test per question."""
    tests = [{"name": "Public Tests", "visibility": "visible", "status": "passed",
              "output": "\n\n".join(f"{q} results: All test cases passed!" for q in points)}]
    tests += [{"name": q, "score": earned[q], "max_score": points[q], "visibility": "hidden",
               "output": f"{q} results: All test cases passed!"} for q in points]
    return {"tests": tests}


def make_class(out_dir: Path, autograder_zip: Path, files: dict = CLASS) -> Path:
    """OUTDIR as `optgrade grade` writes it, from hand-made results; returns final_grades.csv."""
    points = autograder_points(autograder_zip)
    outputs.prepare_out_dir(out_dir)
    graded = []
    for file, (status, lost) in files.items():
        submission = Submission(Path("submissions") / file, safe_stem(Path(file)), **parse_canvas_name(file))
        if status == GRADED:
            earned = {q: p - lost.get(q, 0) for q, p in points.items()}
            result = SubmissionResult(submission.name, GRADED, {q: QuestionScore(earned[q], p) for q, p in points.items()},
                                      results_json=otter_results(earned, points))
        else:
            result = SubmissionResult(submission.name, status, message=f"{file}: {status} for the test")
        outputs.record(out_dir, submission, result, points)
        graded.append((submission, result))
    outputs.write_grades_csv(out_dir / "final_grades.csv", outputs.grades_rows(graded, points))
    return out_dir / "final_grades.csv"


@pytest.fixture
def grades(tmp_path, project) -> Path:
    return make_class(tmp_path / "out", project.autograder_zip)


@pytest.fixture
def roster(tmp_path) -> Path:
    return write_csv(tmp_path / "roster.csv", ROSTER)


@pytest.fixture
def mapping(tmp_path) -> Path:
    return write_csv(tmp_path / "mapping.csv", [["file", "canvas_id"], ["my_a5_final_v2.ipynb", "48230"]])


@pytest.fixture
def manual_sheet(tmp_path, grades, project) -> Path:
    """The TAs' sheet, from the template: Jane full marks, John 1.5 on q1_2 and q4_3 not graded yet,
    Ann's latest upload 1 everywhere; the rest untouched."""
    sheet = tmp_path / "manual_scores.csv"
    write_template(grades_csv=grades, out=sheet, questions=manual_questions(master=project.master_notebook))
    rows = read_rows(sheet)
    for row in rows[1:]:
        if row[0].startswith("doejane"):
            row[3:] = ["2"] * (len(row) - 3)
        elif row[0].startswith("smithjohn"):
            row[3:] = ["2"] * (len(row) - 3)
            row[rows[0].index("q1_2 (max 2)")] = "1.5"
            row[rows[0].index("q4_3 (max 2)")] = ""
        elif row[0] == "leeann_48220_9120455_a5_optimization.ipynb":
            row[3:] = ["1"] * (len(row) - 3)
    return write_csv(sheet, rows)


def canvas(grades: Path, roster: Path, out: Path, **options):
    return export_canvas(grades_csv=grades, roster=roster, out=out, assignment=ASSIGNMENT, assignment_id="4711",
                         **options)


# ---- Canvas ----------------------------------------------------------------------------------------

def test_canvas_csv_cell_by_cell(grades, roster, mapping, tmp_path):
    result = canvas(grades, roster, tmp_path / "canvas.csv", mapping=mapping)
    rows = read_rows(tmp_path / "canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{ASSIGNMENT} (4711)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "27"]
    assert rows[2:] == [
        ["Doe, Jane", "48213", "S1001", "jdoe", "DL 2019", "27"],
        ["Smith, John", "48217", "S1002", "jsmith", "DL 2019", "21.5"],
        ["Lee, Ann", "48220", "S1003", "alee", "DL 2019", "26"],  # the latest of her two uploads
        ["Kim, Yu", "48225", "S1004", "ykim", "DL 2019 (B)", "0"],  # timed out
        ["Brown, Max", "48230", "S1005", "mbrown", "DL 2019 (B)", "27"],  # via the mapping file
        ["Nobody, Sam", "48240", "S1006", "snobody", "DL 2019", ""],  # no submission
    ]
    assert result.students == 6
    check_golden(tmp_path / "canvas.csv", "canvas.csv")
    check_golden(result.report, "canvas.csv.report.csv")
    check_golden(result.unmatched_file, "canvas.csv.unmatched.csv")


def test_unmatched_submissions_are_listed_never_dropped(grades, roster, tmp_path):
    result = canvas(grades, roster, tmp_path / "canvas.csv")  # no mapping: Max's notebook matches nobody
    unmatched = {row[0]: row for row in read_rows(result.unmatched_file)[1:]}
    assert sorted(unmatched) == ["invalid-json.ipynb", "my_a5_final_v2.ipynb",
                                 "parkmin_48299_9120500_a5_optimization.ipynb"]
    assert unmatched["my_a5_final_v2.ipynb"][5] == "27"
    assert "48299 is not in the roster" in unmatched["parkmin_48299_9120500_a5_optimization.ipynb"][6]
    assert "not a Canvas bulk-download name" in unmatched["my_a5_final_v2.ipynb"][6]
    for file in unmatched:
        assert any(m.startswith(f"unmatched: {file}") for m in result.messages), result.messages
    assert read_rows(tmp_path / "canvas.csv")[6] == ["Brown, Max", "48230", "S1005", "mbrown", "DL 2019 (B)", ""]


def test_missing_students_get_an_empty_cell_or_zero(grades, roster, tmp_path):
    empty = canvas(grades, roster, tmp_path / "empty.csv")
    assert "missing: 2 students have no submission (empty cell)" in empty.messages
    canvas(grades, roster, tmp_path / "zero.csv", missing="zero")
    totals = {row[0]: row[5] for row in read_rows(tmp_path / "zero.csv")[2:]}
    assert totals["Nobody, Sam"] == "0" and totals["Brown, Max"] == "0"
    assert totals["Doe, Jane"] == "27"


def test_the_latest_of_two_submissions_counts_and_stderr_says_so(grades, roster, tmp_path):
    result = canvas(grades, roster, tmp_path / "canvas.csv")
    [note] = [m for m in result.messages if m.startswith("duplicate:")]
    assert "counting the latest, leeann_48220_9120455" in note and "ignoring leeann_48220_9120400" in note


def test_duplicates_without_attachment_ids_are_an_error(grades, roster, tmp_path):
    mapping = write_csv(tmp_path / "m.csv", [["file", "canvas_id"], ["my_a5_final_v2.ipynb", "48230"],
                                             ["invalid-json.ipynb", "48230"]])
    with pytest.raises(ExportError, match="student 48230 has 2 submissions"):
        canvas(grades, roster, tmp_path / "canvas.csv", mapping=mapping)


def test_late_submissions_are_reported_and_penalised(grades, roster, tmp_path):
    result = canvas(grades, roster, tmp_path / "canvas.csv", late_penalty=10)
    totals = {row[0]: row[5] for row in read_rows(tmp_path / "canvas.csv")[2:]}
    assert totals["Smith, John"] == "19.35"  # 21.5 - 10 % of 21.5
    assert totals["Doe, Jane"] == "27"  # not late: untouched
    assert ("late: smithjohn_LATE_48217_9120391_a5_optimization.ipynb (Smith, John): -2.15 points "
            "(10% penalty)") in result.messages
    report = {row["file"]: row for row in csv.DictReader(open(result.report))}
    john = report["smithjohn_LATE_48217_9120391_a5_optimization.ipynb"]
    assert (john["late"], john["late_penalty"], john["total"]) == ("true", "2.15", "19.35")
    without = canvas(grades, roster, tmp_path / "plain.csv")
    assert any(m.startswith("late: smithjohn") and "no penalty" in m for m in without.messages)


def test_manual_scores_are_added_to_the_totals(grades, roster, mapping, manual_sheet, project, tmp_path):
    result = canvas(grades, roster, tmp_path / "canvas.csv", mapping=mapping, manual=manual_sheet,
                    master=project.master_notebook, late_penalty=10)
    rows = read_rows(tmp_path / "canvas.csv")
    assert rows[1][5] == "49"  # 27 autograded + 22 written
    totals = {row[0]: row[5] for row in rows[2:]}
    assert totals["Doe, Jane"] == "49"
    assert totals["Smith, John"] == "36.9"  # (21.5 + 9 x 2 + 1.5) = 41, minus 10 %
    assert totals["Lee, Ann"] == "37"  # 26 + 11 x 1
    assert totals["Brown, Max"] == "27"  # nothing graded by hand yet
    assert ("written answers not graded yet: smithjohn_LATE_48217_9120391_a5_optimization.ipynb "
            "(Smith, John): q4_3") in result.messages
    check_golden(result.report, "canvas-manual.csv.report.csv")


def test_canvas_inputs_that_cannot_be_used_are_errors(grades, tmp_path):
    not_canvas = write_csv(tmp_path / "roster.csv", [["Name", "Email"], ["Jane", "j@x.org"]])
    with pytest.raises(ExportError, match="not a Canvas gradebook export"):
        canvas(grades, not_canvas, tmp_path / "canvas.csv")
    bad_mapping = write_csv(tmp_path / "mapping.csv", [["file", "id"], ["a.ipynb", "1"]])
    with pytest.raises(ExportError, match="needs the columns file,canvas_id"):
        canvas(grades, write_csv(tmp_path / "r.csv", ROSTER), tmp_path / "canvas.csv", mapping=bad_mapping)
    with pytest.raises(ExportError, match="not a final_grades.csv"):
        canvas(write_csv(tmp_path / "g.csv", [["a", "b"]]), tmp_path / "r.csv", tmp_path / "canvas.csv")


# ---- Moodle ----------------------------------------------------------------------------------------

MOODLE_ROSTER = [
    ["First name", "Last name", "ID number", "Institution", "Department", "Email address", "student_id"],
    ["Jane", "Doe", "S1001", "", "CS", "Jane.Doe@uni.example", "48213"],
    ["John", "Smith", "S1002", "", "CS", "john.smith@uni.example", "48217"],
    ["Max", "Brown", "S1005", "", "CS", "max.brown@uni.example", ""],
    ["Sam", "Nobody", "S1006", "", "CS", "sam.nobody@uni.example", ""],
]


def test_moodle_csv_cell_by_cell(grades, manual_sheet, project, tmp_path):
    roster = write_csv(tmp_path / "moodle-roster.csv", MOODLE_ROSTER)
    mapping = write_csv(tmp_path / "m.csv", [["file", "email"], ["my_a5_final_v2.ipynb", "Max.Brown@uni.example"]])
    result = export_moodle(grades_csv=grades, out=tmp_path / "moodle.csv", assignment="a5_optimization", id_column="email", roster=roster,
                           mapping=mapping, manual=manual_sheet, master=project.master_notebook, late_penalty=10)
    rows = read_rows(tmp_path / "moodle.csv")
    assert rows[0] == ["email", "a5_optimization", "feedback"]
    # exactly as Moodle spells them (it matches case-sensitively); the mapping's Max.Brown is the roster's
    assert [row[:2] for row in rows[1:]] == [["Jane.Doe@uni.example", "49"], ["john.smith@uni.example", "36.9"],
                                             ["max.brown@uni.example", "27"], ["sam.nobody@uni.example", ""]]
    feedback = {row[0]: row[2] for row in rows[1:]}
    john = feedback["john.smith@uni.example"]
    assert "points lost: q1_1 1/2, q2_2 1.5/2, q3_momentum 0/4" in john
    assert "Written 19.5/22; points lost: q1_2 1.5/2; not graded yet: q4_3." in john
    assert "Late submission: -4.1 points (10% penalty)." in john and john.endswith("Total 36.9/49.")
    assert "no points lost" in feedback["Jane.Doe@uni.example"]
    assert feedback["sam.nobody@uni.example"] == "No submission received."
    assert {r[0] for r in read_rows(result.unmatched_file)[1:]} == {
        "leeann_48220_9120400_a5_optimization.ipynb", "leeann_48220_9120455_a5_optimization.ipynb",
        "kimyu_48225_9120410_a5_optimization.ipynb", "invalid-json.ipynb",
        "parkmin_48299_9120500_a5_optimization.ipynb"}
    check_golden(tmp_path / "moodle.csv", "moodle.csv")


def test_moodle_without_roster_lists_the_mapped_submissions(grades, tmp_path):
    mapping = write_csv(tmp_path / "m.csv", [["file", "username"], ["invalid-json.ipynb", "zed"],
                                             ["kimyu_48225_9120410_a5_optimization.ipynb", "ykim"]])
    result = export_moodle(grades_csv=grades, out=tmp_path / "moodle.csv", assignment="a5_optimization", id_column="username", mapping=mapping)
    rows = read_rows(tmp_path / "moodle.csv")
    assert rows[0] == ["username", "a5_optimization", "feedback"]
    assert [row[:2] for row in rows[1:]] == [["ykim", "0"], ["zed", "0"]]
    assert rows[2][2].startswith("Not autograded (invalid: invalid-json.ipynb: invalid for the test).")
    assert result.unmatched == 6


def test_moodle_needs_identifiers(grades, tmp_path):
    with pytest.raises(ExportError, match="pass --mapping"):
        export_moodle(grades_csv=grades, out=tmp_path / "m.csv", assignment="a5_optimization", id_column="email")
    roster = write_csv(tmp_path / "r.csv", [["First name", "Email address"], ["Jane", "j@x.org"]])
    with pytest.raises(ExportError, match="has no idnumber column"):
        export_moodle(grades_csv=grades, out=tmp_path / "m.csv", assignment="a5_optimization", id_column="idnumber", roster=roster)


# ---- Gradescope --------------------------------------------------------------------------------------

def test_results_files_of_a_graded_class_follow_gradescopes_format(grades, project):
    report = validate(grades_csv=grades, autograder_zip=project.autograder_zip, late_penalty=10)
    assert report.ok, report.violations
    assert report.checked == len(CLASS)
    assert any(n.startswith("late: smithjohn") and "19.35" in n for n in report.notes)


@pytest.mark.parametrize("broken, expected", [
    ({"tests": [{"name": "q1_1", "score": "2", "max_score": 2}]}, "tests[0] (q1_1): score '2' is not a number"),
    ({"tests": [{"name": "q1_1", "score": 2, "max_score": None}]}, "max_score None is not a number"),
    ({"score": 3, "visibility": "public"}, "visibility 'public' is not one of"),
    ({"score": 3, "tests": [{"score": 1, "visibility": "secret"}]}, "tests[0]: visibility 'secret'"),
    ({"score": 3, "output": ["a", "b"]}, "output is not a string"),
    ({"score": 3, "tests": [{"score": 1, "output": 42}]}, "tests[0]: output is not a string"),
    ({"score": 3, "tests": [{"score": 1, "status": "ok"}]}, "status 'ok' is not one of passed, failed"),
    ({"tests": [{"name": "Public Tests", "output": ""}]}, "no score"),
    ({"score": True}, "score True is not a number"),
    ({"score": 1, "stdout_visibility": "always"}, "stdout_visibility 'always'"),
    ({"score": 1, "tests": "q1_1"}, "tests is not a list"),
    ([1, 2], "not a JSON object"),
])
def test_broken_results_are_rejected(broken, expected):
    violations, _ = check_results(broken, "x.json")
    assert any(expected in v for v in violations), violations


def test_a_broken_results_file_fails_the_check(grades, project):
    (grades.parent / "results" / "doejane_48213_9120377_a5_optimization.json").write_text(
        json.dumps({"tests": [{"name": "q1_1", "score": "full", "max_score": 2, "visibility": "public"}]}))
    report = validate(grades_csv=grades, autograder_zip=project.autograder_zip)
    assert not report.ok
    assert any(v.startswith("doejane_48213_9120377_a5_optimization.json: tests[0] (q1_1): score 'full'")
               for v in report.violations), report.violations


def test_the_autograder_zip_has_what_gradescope_needs(project, tmp_path):
    assert check_autograder_zip(project.autograder_zip) == []
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(project.autograder_zip) as source, zipfile.ZipFile(nested, "w") as target:
        for info in source.infolist():
            if info.filename not in ("environment.yml",) and not info.filename.startswith("tests/"):
                target.writestr(f"autograder/{info.filename}", source.read(info))
    problems = "\n".join(check_autograder_zip(nested))
    assert "no setup.sh at the root of the zip (found autograder/setup.sh: zip the files" in problems
    assert "no run_autograder at the root" in problems
    assert "no requirements.txt / requirements.r / environment.yml" in problems
    assert "no tests/ folder" in problems
    not_executable = tmp_path / "mode.zip"
    with zipfile.ZipFile(not_executable, "w") as target:
        info = zipfile.ZipInfo("run_autograder")
        info.external_attr = 0o100644 << 16
        target.writestr(info, "echo no shebang\n")
    problems = "\n".join(check_autograder_zip(not_executable))
    assert "run_autograder is not executable" in problems and "#! line" in problems


# ---- the command line ------------------------------------------------------------------------------

def optgrade(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from optgrade.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd)


def test_cli_exports_and_exit_statuses(grades, roster, mapping, manual_sheet, project, tmp_path):
    out = tmp_path / "canvas.csv"
    result = optgrade("export", "canvas", "--grades", str(grades), "--roster", str(roster), "--assignment", ASSIGNMENT,
                      "--assignment-id", "4711", "--mapping", str(mapping), "--manual", str(manual_sheet),
                      "--late-penalty", "10", "-o", str(out), cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert "unmatched: invalid-json.ipynb" in result.stderr and "late: smithjohn" in result.stderr
    assert read_rows(out)[1][5] == "49"
    bad = write_csv(tmp_path / "bad.csv", [*read_rows(manual_sheet)[:2], ["nobody.ipynb"]])
    result = optgrade("export", "canvas", "--grades", str(grades), "--roster", str(roster), "--assignment", "A",
                      "--assignment-id", "1", "--manual", str(bad), "-o", str(out), cwd=project.root)
    assert result.returncode == 1
    assert "bad.csv row 3: unknown submission 'nobody.ipynb'" in result.stderr
    result = optgrade("export", "canvas", "--grades", str(grades), "-o", str(out))
    assert result.returncode == 2 and "--roster" in result.stderr
    result = optgrade("export", "gradescope", "--grades", str(grades), "--autograder", str(project.autograder_zip))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gradescope check: OK (8 results files checked)" in result.stdout
    (grades.parent / "results" / "invalid-json.json").write_text('{"score": "zero"}')
    result = optgrade("export", "gradescope", "--grades", str(grades), "--autograder", str(project.autograder_zip))
    assert result.returncode == 1
    assert "violation: invalid-json.json: score 'zero' is not a number" in result.stdout
    assert "1 violations of Gradescope's format" in result.stderr


def test_bad_manual_scores_stop_the_export(grades, roster, project, tmp_path):
    sheet = tmp_path / "s.csv"
    write_template(grades_csv=grades, out=sheet, questions=manual_questions(master=project.master_notebook))
    rows = read_rows(sheet)
    rows[1][3] = "3"
    write_csv(sheet, rows)
    with pytest.raises(ManualScoresError, match=r"s.csv row 2 \(.*\): q1_1_explain = 3 is above the maximum 2"):
        canvas(grades, roster, tmp_path / "c.csv", manual=sheet, master=project.master_notebook)


# ---- end to end ----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_grade_two_notebooks_then_export(project, tmp_path):
    """Really grade two sample notebooks (local backend), then export them everywhere."""
    from optgrade.limits import Limits
    from optgrade.grade.batch import grade_submissions

    files = [EXAMPLES / "submissions" / name for name in (
        "doejane_48213_9120377_a5_optimization.ipynb", "smithjohn_LATE_48217_9120391_a5_optimization.ipynb")]
    out = tmp_path / "out"
    grade_submissions(paths=files, out_dir=out, autograder_zip=project.autograder_zip, backend="local", workers=2,
                      limits=Limits(timeout=180), progress=False)
    grades = out / "final_grades.csv"
    roster = write_csv(tmp_path / "roster.csv", ROSTER)
    result = canvas(grades, roster, tmp_path / "canvas.csv", late_penalty=10)
    totals = {row[0]: row[5] for row in read_rows(tmp_path / "canvas.csv")[2:]}
    assert totals["Doe, Jane"] == "27" and totals["Smith, John"] == "20.25"  # 22.5 (golden) - 10 %
    assert result.unmatched == 0
    report = validate(grades_csv=grades, autograder_zip=project.autograder_zip)
    assert report.ok and report.checked == 2, report.violations
    sheet = tmp_path / "manual.csv"
    write_template(grades_csv=grades, out=sheet, questions=manual_questions(master=project.master_notebook))
    assert [row[0] for row in read_rows(sheet)[1:]] == [f.name for f in files]


def test_same_named_files_from_two_folders_each_find_their_results_file(tmp_path, project):
    points = autograder_points(project.autograder_zip)
    for folder in ("section-a", "section-b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a5_optimization.ipynb").write_text("{}")
    from optgrade.submissions import discover
    out = tmp_path / "out"
    outputs.prepare_out_dir(out)
    graded = []
    for submission in discover([tmp_path / "section-a", tmp_path / "section-b"]):
        result = SubmissionResult(submission.name, GRADED, {q: QuestionScore(p, p) for q, p in points.items()},
                                  results_json=otter_results(points, points))
        outputs.record(out, submission, result, points)
        graded.append((submission, result))
    outputs.write_grades_csv(out / "final_grades.csv", outputs.grades_rows(graded, points))
    assert sorted(p.name for p in (out / "results").iterdir()) == ["a5_optimization-2.json", "a5_optimization.json"]
    report = validate(grades_csv=out / "final_grades.csv", autograder_zip=project.autograder_zip)
    assert report.ok and not [w for w in report.warnings if "no results file" in w], report.warnings


def test_a_grades_file_without_its_results_column_is_named_not_guessed(grades, project, tmp_path):
    """Rows find their results file only through the `results` column; an older final_grades.csv
    gets one warning saying how to add the column, and a row whose file is gone is named."""
    header, *rows = read_rows(grades)
    column = header.index("results")
    gone = next(row for row in rows if row[column])
    (grades.parent / gone[column]).unlink()
    report = validate(grades_csv=grades, autograder_zip=project.autograder_zip)
    assert [w for w in report.warnings if "no results file" in w] == [f"{gone[0]}: no results file {gone[column]}"]
    old = grades.parent / "old_final_grades.csv"
    write_csv(old, [[c for i, c in enumerate(row) if i != column] for row in [header, *rows]])
    report = validate(grades_csv=old, autograder_zip=project.autograder_zip)
    assert [w for w in report.warnings if "name no results file" in w and "run the same `optgrade grade`" in w]
    assert not [w for w in report.warnings if ": no results file" in w]


def test_the_hardened_graders_results_follow_gradescopes_format():
    from optgrade.scoring import ProbeRun, combine

    run = ProbeRun(stdout=b'{"event": "probe", "question": "q1_1", "tests": {}, "public": '
                          b'[{"name": "q1_1 - 1", "passed": true, "message": "ok"}]}\n{"event": "done"}\n',
                   exit_code=0)
    result = combine("s", run, [{"name": "t1", "points": 2, "passed": True}], {"q1_1": [("t1", 2.0)]})
    violations, _ = check_results(result.results_json, "s.json")
    assert violations == [] and result.results_json["score"] == 2


@pytest.mark.parametrize("status", ["grader-error", "not graded"])
def test_no_export_while_a_row_has_no_grade_yet(tmp_path, project, roster, status):
    """Its 0 would reach the LMS as the student's grade, for a fault that is not theirs."""
    files = {**CLASS, "doejane_48213_9120377_a5_optimization.ipynb": (status, {})}
    grades = make_class(tmp_path / "out", project.autograder_zip, files)
    with pytest.raises(ExportError, match=f"have no grade yet: doejane_48213_9120377_a5_optimization.ipynb \\({status}\\)"):
        canvas(grades, roster, tmp_path / "canvas.csv")
    with pytest.raises(ExportError, match="Run the same `optgrade grade` command again"):
        export_moodle(grades_csv=grades, out=tmp_path / "moodle.csv", assignment="a5_optimization", id_column="email",
                      roster=write_csv(tmp_path / "moodle-roster.csv", MOODLE_ROSTER))
    assert not (tmp_path / "canvas.csv").exists() and not (tmp_path / "moodle.csv").exists()
