"""Names are data, not markup: hostile file names in every file and line optgrade writes.

Submission names are chosen by students. A name that starts like a spreadsheet formula must reach
every CSV as text (OWASP: a leading `'`), control characters (ESC, CR, BEL, DEL, C1) must never
reach a terminal, a feedback file, a CSV or a PDF, and the names must still match through the
exports and the TAs' score sheet. Files with such names are created here, in tmp_path, never
committed. Nothing is really graded: results are made by hand, as in test_export.py.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from optgrade.grade import outputs
from optgrade.export.canvas import export_canvas
from optgrade.export.moodle import export_moodle
from optgrade.export.gradescope import validate
from optgrade.grade.batch import Graded, GradingRun
from optgrade.manual.scores import manual_questions, write_answer_pdf, write_answer_pdfs, write_template
from optgrade.grade.report import class_summary
from optgrade.results import GRADED, INVALID, QuestionScore, SubmissionResult, autograder_points
from optgrade.safetext import clean_line, clean_text, is_number, match_key, neutralise, restore
from optgrade.submissions import Submission, clean_key, discover, unique_keys

FORMULA = '=HYPERLINK("evil","x").ipynb'
# name -> Canvas id (linked through the mapping file)
NAMES = {
    FORMULA: "48301",
    "+SUM(1,1).ipynb": "48302",
    "-2+3.ipynb": "48303",
    "@cmd.ipynb": "48304",
    "esc\x1b[2J\x1b]0;owned\x07title.ipynb": "48305",
    "cr\rGrade: 27 of 27.ipynb": "48306",
    "c1\x9b31mdel\x7f.ipynb": "48307",
    "\t=tab.ipynb": "48308",
}
INVALID_NAME = "c1\x9b31mdel\x7f.ipynb"  # graded as invalid, with a message quoting its raw name
UNMATCHED = "=unmatched(1).ipynb"  # in no mapping: must be listed, neutralised, in the unmatched CSV
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # everything but \t and \n
ASSIGNMENT = "Assignment 5: Optimization"


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
    return path


def assert_safe_csv(path: Path) -> list[list[str]]:
    """No cell a spreadsheet would run, no control character in any cell; returns the rows."""
    raw = path.read_text(encoding="utf-8").replace("\r\n", "\n")  # the csv module ends lines with CR LF
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", raw), f"control character in {path.name}"
    rows = read_rows(path)
    for row in rows:
        for cell in row:
            assert not cell.startswith(TRIGGERS) or is_number(cell), f"{path.name}: formula-like cell {cell!r}"
    return rows


def assert_clean_text(text: str, where: str) -> None:
    assert not CONTROL.search(text), f"control character in {where}: {text!r}"
    assert "\u2028" not in text and "\u2029" not in text


@pytest.fixture
def points(project) -> dict[str, float]:
    return autograder_points(project.autograder_zip)


@pytest.fixture
def hostile(tmp_path, points) -> tuple[Path, list[Submission]]:
    """A flat folder of hostile names, graded by hand: full marks, except one invalid file whose
    message (like the grader's own) quotes the raw name, and public test output with escapes."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in [*NAMES, UNMATCHED]:
        (folder / name).write_text("{}")
    submissions = discover([folder])
    out = tmp_path / "out"
    outputs.prepare_out_dir(out)
    graded = []
    for submission in submissions:
        if submission.path.name == INVALID_NAME:
            result = SubmissionResult(submission.name, INVALID, message=f"{submission.path.name} is not valid\x1b[0m")
        else:
            public = {"name": "Public Tests", "visibility": "visible",
                      "output": "q1_1 results:\x1b[32m passed\x1b[0m\r\nprogress 50%\rprogress 100%\x08\n"}
            result = SubmissionResult(submission.name, GRADED, {q: QuestionScore(p, p) for q, p in points.items()},
                                      results_json={"tests": [public]})
        outputs.record(out, submission, result, points)
        graded.append((submission, result))
    outputs.write_grades_csv(out / "final_grades.csv", outputs.grades_rows(graded, points))
    return out / "final_grades.csv", submissions


@pytest.fixture
def roster(tmp_path) -> Path:
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]]
    rows += [[f"=Student{i}", canvas_id, f"S{i}", f"-login{i}", "DL 2019"]
             for i, canvas_id in enumerate(NAMES.values())]
    return write_rows(tmp_path / "roster.csv", rows)


@pytest.fixture
def mapping(tmp_path, hostile) -> Path:
    """The TA copies some keys from final_grades.csv (quoted), types others raw (even with their
    control characters, as a script listing the folder would)."""
    grades, _ = hostile
    quoted = {row[0] for row in read_rows(grades)[2:]}  # cells as final_grades.csv holds them
    rows = [["file", "canvas_id"]]
    for i, (name, canvas_id) in enumerate(NAMES.items()):
        rows.append([neutralise(clean_key(name)) if i % 2 else name, canvas_id])
    assert neutralise(clean_key(FORMULA)) == "'" + FORMULA in quoted
    return write_rows(tmp_path / "mapping.csv", rows)


# ---- the helper ----------------------------------------------------------------------------------

def test_cleaning_and_neutralising():
    assert clean_line("a\x1b[2Jb\rc\nd\te\x7ff\x9bg\u202eh") == "a?[2Jb?c?d?e?f?g?h"
    assert clean_text("ok\x1b[31m red\x1b[0m\r\nbar 50%\rbar 100%\x07\n\tindented") == (
        "ok red\nbar 50%\nbar 100%?\n\tindented")
    assert clean_line("Ünïcödé names and emoji 🎓 stay") == "Ünïcödé names and emoji 🎓 stay"
    for cell in ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx", "'=already", "''-twice"):
        assert neutralise(cell) == "'" + cell and restore(neutralise(cell)) == cell
    for cell in ("27", "-2.5", "+3", "1e-3", "0.4567", "plain.ipynb", "it's", "'quoted", ""):
        assert neutralise(cell) == cell and restore(cell) == cell


def test_match_key_accepts_the_quoted_the_raw_and_the_dirty_form():
    known = {"=x.ipynb", "'=y.ipynb", "a?b.ipynb"}
    assert match_key("'=x.ipynb", known) == "=x.ipynb"  # as final_grades.csv shows it
    assert match_key("=x.ipynb", known) == "=x.ipynb"  # as a spreadsheet saves it again
    assert match_key(" =x.ipynb ", known) == "=x.ipynb"
    assert match_key("'=y.ipynb", known) == "'=y.ipynb"  # a name that really starts with a quote
    assert match_key("a\x1bb.ipynb", known) == "a?b.ipynb"  # raw, with its control character
    assert match_key("'=nobody.ipynb", known) == "=nobody.ipynb"


def test_keys_stay_unique_as_written_and_real_names_keep_theirs():
    assert unique_keys(["x.ipynb", "x.ipynb", "x-2.ipynb"]) == ["x.ipynb", "x-3.ipynb", "x-2.ipynb"]
    assert unique_keys(["=x.ipynb", "'=x.ipynb"]) == ["=x.ipynb", "'=x.ipynb"]  # '=x.ipynb and ''=x.ipynb in a CSV
    assert [neutralise(k) for k in unique_keys(["=x.ipynb", "'=x.ipynb"])] == ["'=x.ipynb", "''=x.ipynb"]
    # cleaned names can clash: they are made unique after cleaning (and stripping, as CSV readers do)
    assert unique_keys(["a\x1b.ipynb", "a\x07.ipynb", " a?.ipynb", "\t=t.ipynb"]) == [
        "a?.ipynb", "a?-2.ipynb", "a?-3.ipynb", "=t.ipynb"]


# ---- what `optgrade grade` writes ------------------------------------------------------------------

def test_final_grades_holds_names_as_text_and_scores_as_numbers(hostile, points):
    grades, submissions = hostile
    rows = assert_safe_csv(grades)
    header, body = rows[0], rows[2:]
    by_file = {restore(row[0]): dict(zip(header, row)) for row in body}
    assert sorted(by_file) == sorted(clean_key(n) for n in [*NAMES, UNMATCHED])
    formula = by_file[FORMULA]
    assert formula["file"] == "'" + FORMULA  # what the spreadsheet shows: the name, as text
    assert float(formula["total_points_earned"]) == sum(points.values())
    for row in body:  # scores stay numbers
        assert all(is_number(row[header.index(column)]) for column in [*points, "total_points_earned"])
    invalid = by_file[clean_key(INVALID_NAME)]
    assert invalid["grading_status"] == "invalid" and invalid["message"] == "c1?31mdel?.ipynb is not valid?[0m"
    assert len({s.key for s in submissions}) == len({s.name for s in submissions}) == len(submissions)


def test_feedback_has_no_control_characters(hostile):
    grades, submissions = hostile
    for submission in submissions:
        path = grades.parent / "feedback" / f"{submission.name}.txt"
        data = path.read_bytes()
        assert all(byte >= 0x20 or byte in b"\n\t" for byte in data), f"{path.name}: {data!r}"
        text = data.decode("utf-8")
        assert_clean_text(text, path.name)
        assert text.startswith(f"Submission: {clean_line(submission.path.name)}\n")
    sample = (grades.parent / "feedback" / f"{submissions[0].name}.txt").read_text()
    assert "q1_1 results: passed\nprogress 50%\nprogress 100%?" in sample  # escapes gone, lines kept


def test_the_summary_table_on_stdout_has_no_control_characters(hostile, points):
    _, submissions = hostile
    graded = [Graded(s, SubmissionResult(s.name, GRADED)) for s in submissions]
    table = class_summary(GradingRun(graded, Path("out"), "docker", points, rows=graded))
    assert_clean_text(table, "the summary table")
    assert "cr?Grade: 27 of 27.ipynb" in table and "\r" not in table


def test_grade_cli_with_hostile_names_keeps_stdout_and_every_file_clean(project, tmp_path):
    """The real command on files that are all invalid (nothing runs), with control characters and
    formulas in their names."""
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    for name in ("esc\x1b[2Jname.ipynb", "cr\rGrade: 27.ipynb", FORMULA):
        (folder / name).write_text("{")
    (folder / "alice" / "=cmd\x1b.ipynb").write_text("{")
    result = subprocess.run([sys.executable, "-c", "from optgrade.cli import main; main()", "grade", str(folder),
                             "-o", str(tmp_path / "out"), "--backend", "local", "--no-progress"],
                            capture_output=True, text=True, cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert_clean_text(result.stdout, "stdout")
    assert_clean_text(result.stderr, "stderr")
    assert "esc?[2Jname.ipynb" in result.stdout and "alice/=cmd?.ipynb" in result.stdout
    rows = assert_safe_csv(tmp_path / "out" / "final_grades.csv")
    files = {row[0]: row for row in rows[2:]}
    assert "'" + FORMULA in files and "alice/=cmd?.ipynb" in files
    assert files["alice/=cmd?.ipynb"][rows[0].index("student")] == "alice"
    for feedback in (tmp_path / "out" / "feedback").iterdir():
        assert_clean_text(feedback.read_text(encoding="utf-8"), feedback.name)


# ---- exports and the score sheet --------------------------------------------------------------------

def canvas(grades: Path, roster: Path, out: Path, **options):
    return export_canvas(grades_csv=grades, roster=roster, out=out, assignment=ASSIGNMENT, assignment_id="4711",
                         **options)


def test_canvas_export_matches_hostile_names_and_writes_them_as_text(hostile, roster, mapping, points, tmp_path):
    grades, _ = hostile
    result = canvas(grades, roster, tmp_path / "canvas.csv", mapping=mapping)
    rows = assert_safe_csv(tmp_path / "canvas.csv")
    totals = {row[1]: row[5] for row in rows[2:]}
    full = f"{sum(points.values()):g}"
    assert totals == {canvas_id: "0" if name == INVALID_NAME else full for name, canvas_id in NAMES.items()}
    assert rows[2][0] == "'=Student0" and rows[2][3] == "'-login0"  # roster text is neutralised too
    assert not [m for m in result.messages if m.startswith("mapping:")], result.messages
    unmatched = assert_safe_csv(result.unmatched_file)
    assert [row[0] for row in unmatched[1:]] == ["'" + UNMATCHED]
    report = assert_safe_csv(result.report)
    assert "'" + FORMULA in [row[2] for row in report[1:]]
    assert all(is_number(row[9]) for row in report[1:])  # totals stay numbers
    assert any(m.startswith(f"unmatched: {UNMATCHED}") for m in result.messages)
    for message in result.messages:
        assert_clean_text(message, "stderr")


def test_moodle_export_and_its_side_files_are_safe(hostile, tmp_path):
    grades, _ = hostile
    rows = [["file", "email"]] + [[name, f"s{i}@uni.example"] for i, name in enumerate(NAMES)]
    mapping = write_rows(tmp_path / "m.csv", rows)
    result = export_moodle(grades_csv=grades, out=tmp_path / "moodle.csv", assignment="a5_optimization", id_column="email", mapping=mapping)
    moodle = assert_safe_csv(tmp_path / "moodle.csv")
    assert len(moodle) == 1 + len(NAMES) and result.unmatched == 1
    email = f"s{list(NAMES).index(INVALID_NAME)}@uni.example"
    invalid = next(row for row in moodle[1:] if row[0] == email)
    assert invalid[1] == "0" and invalid[2].startswith("Not autograded (invalid: c1?31mdel?.ipynb is not valid")
    assert_safe_csv(result.unmatched_file)
    assert_safe_csv(result.report)


def test_the_score_sheet_of_hostile_names_is_safe_and_accepted(hostile, roster, mapping, project, tmp_path):
    grades, _ = hostile
    questions = manual_questions(master=project.master_notebook)
    sheet = tmp_path / "manual_scores.csv"
    write_template(grades_csv=grades, out=sheet, questions=questions)
    rows = assert_safe_csv(sheet)
    assert "'" + FORMULA in [row[0] for row in rows[1:]]
    for row in rows[1:]:
        row[3:] = ["1"] * len(questions)
    write_rows(sheet, rows)
    result = canvas(grades, roster, tmp_path / "canvas.csv", mapping=mapping, manual=sheet,
                    master=project.master_notebook)
    assert not [m for m in result.messages if m.startswith("written answers not graded yet")], result.messages
    totals = {row[1]: row[5] for row in read_rows(tmp_path / "canvas.csv")[2:]}
    assert totals[NAMES[FORMULA]] == "38"  # 27 + 11 x 1: the quoted key matched its row
    # Excel and LibreOffice show '=x as text and save it back without the quote: still the same rows
    resaved = [rows[0]] + [[restore(row[0]), *row[1:]] for row in rows[1:]]
    assert "=" + FORMULA[1:] in [row[0] for row in resaved]
    write_rows(sheet, resaved)
    canvas(grades, roster, tmp_path / "canvas2.csv", mapping=mapping, manual=sheet, master=project.master_notebook)
    assert {row[1]: row[5] for row in read_rows(tmp_path / "canvas2.csv")[2:]} == totals


def test_cli_messages_on_stderr_are_clean(hostile, roster, project, tmp_path):
    grades, _ = hostile
    mapping = write_rows(tmp_path / "m.csv", [["file", "canvas_id"], ["gone\x1b[2J.ipynb", "48301"]])
    result = subprocess.run([sys.executable, "-c", "from optgrade.cli import main; main()", "export", "canvas",
                             "--grades", str(grades), "--roster", str(roster), "--assignment", ASSIGNMENT,
                             "--assignment-id", "4711", "--mapping", str(mapping), "-o", str(tmp_path / "c.csv")],
                            capture_output=True, text=True, cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert "mapping: gone?[2J.ipynb is not in the grades file" in result.stderr
    assert_clean_text(result.stderr, "stderr")
    assert_clean_text(result.stdout, "stdout")


# ---- per-student folders ----------------------------------------------------------------------------

@pytest.fixture
def per_student(tmp_path, points) -> tuple[Path, list[Submission]]:
    folder = tmp_path / "class"
    for student in ("alice", "bob", "=mallory"):
        (folder / student).mkdir(parents=True)
        (folder / student / "a5_optimization.ipynb").write_text("{}")
    (folder / "carol" / "v2").mkdir(parents=True)
    (folder / "carol" / "v2" / "a5_optimization.ipynb").write_text("{}")  # not a direct subfolder
    (folder / "dan").mkdir()
    (folder / "dan" / "doejane_48213_9120377_a5_optimization.ipynb").write_text("{}")  # the Canvas name wins
    (folder / "loose.ipynb").write_text("{}")
    submissions = discover([folder])
    out = tmp_path / "out"
    outputs.prepare_out_dir(out)
    graded = []
    for submission in submissions:
        result = SubmissionResult(submission.name, GRADED, {q: QuestionScore(p, p) for q, p in points.items()},
                                  results_json={"tests": [{"name": q, "score": p, "max_score": p}
                                                          for q, p in points.items()]})
        outputs.record(out, submission, result, points)
        graded.append((submission, result))
    outputs.write_grades_csv(out / "final_grades.csv", outputs.grades_rows(graded, points))
    return out / "final_grades.csv", submissions


def test_per_student_folders_give_unique_keys_and_students(per_student):
    grades, submissions = per_student
    assert [(s.key, s.student, s.name) for s in submissions] == [
        ("=mallory/a5_optimization.ipynb", "=mallory", "mallory_a5_optimization"),
        ("alice/a5_optimization.ipynb", "alice", "alice_a5_optimization"),
        ("bob/a5_optimization.ipynb", "bob", "bob_a5_optimization"),
        ("carol/v2/a5_optimization.ipynb", "", "carol_v2_a5_optimization"),
        ("dan/doejane_48213_9120377_a5_optimization.ipynb", "doejane", "dan_doejane_48213_9120377_a5_optimization"),
        ("loose.ipynb", "", "loose"),
    ]
    rows = assert_safe_csv(grades)
    assert [row[0] for row in rows[2:]] == ["'=mallory/a5_optimization.ipynb", *[s.key for s in submissions[1:]]]
    assert [row[rows[0].index("student")] for row in rows[2:]] == ["'=mallory", "alice", "bob", "", "doejane", ""]
    assert sorted(p.name for p in (grades.parent / "feedback").iterdir()) == sorted(
        f"{s.name}.txt" for s in submissions)


def test_the_score_sheet_of_per_student_folders_is_accepted_by_the_export(per_student, project, tmp_path):
    grades, submissions = per_student
    questions = manual_questions(master=project.master_notebook)
    sheet = tmp_path / "manual_scores.csv"
    write_template(grades_csv=grades, out=sheet, questions=questions)
    rows = read_rows(sheet)
    assert len({row[0] for row in rows[1:]}) == len(submissions)  # before, every row was a5_optimization.ipynb
    for row in rows[1:]:
        row[3:] = ["2"] * len(questions)
    write_rows(sheet, rows)
    roster = write_rows(tmp_path / "roster.csv", [["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
                                                  ["Alice", "1", "", "", ""], ["Bob", "2", "", "", ""],
                                                  ["Mallory", "3", "", "", ""], ["Doe, Jane", "48213", "", "", ""]])
    mapping = write_rows(tmp_path / "map.csv", [["file", "canvas_id"], ["alice/a5_optimization.ipynb", "1"],
                                                ["bob/a5_optimization.ipynb", "2"],
                                                ["=mallory/a5_optimization.ipynb", "3"]])
    result = canvas(grades, roster, tmp_path / "canvas.csv", mapping=mapping, manual=sheet,
                    master=project.master_notebook)
    totals = {row[1]: row[5] for row in assert_safe_csv(tmp_path / "canvas.csv")[2:]}
    assert totals == {"1": "49", "2": "49", "3": "49", "48213": "49"}
    assert sorted(row[0] for row in read_rows(result.unmatched_file)[1:]) == [
        "carol/v2/a5_optimization.ipynb", "loose.ipynb"]
    report = validate(grades_csv=grades, autograder_zip=project.autograder_zip)
    assert report.ok and not [w for w in report.warnings if "no results file" in w], report.warnings


def test_a_flat_folder_keeps_bare_names():
    folder = Path(__file__).resolve().parents[1] / "examples" / "submissions"
    found = discover([folder])
    assert [s.key for s in found] == [s.path.name for s in found]
    assert all(s.student == "" or s.student_id for s in found)


# ---- PDFs ------------------------------------------------------------------------------------------

def test_pdf_text_has_no_control_characters(project, tmp_path):
    questions = manual_questions(master=project.master_notebook)
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell(f"<!-- BEGIN QUESTION -->\n\n{questions[0].prompt}"),
        nbformat.v4.new_markdown_cell("my answer\x1b[2J with\rescapes\x07 and \x9b C1"),
        nbformat.v4.new_markdown_cell("<!-- END QUESTION -->"),
    ])
    folder = tmp_path / "subs"
    folder.mkdir()
    nbformat.write(notebook, folder / "pdf\x1b]0;title\x07name.ipynb")
    run = write_answer_pdfs(paths=[folder], out_dir=tmp_path / "pdfs", questions=questions)
    assert not run.failed, run.failed
    [pdf] = run.written
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert_clean_text(text, pdf.name)
    assert "pdf?]0;title?name.ipynb" in text and "my answer" in text
    write_answer_pdf(path=tmp_path / "direct.pdf", title="t\x1b[31mitle\r", answers=[])
    assert_clean_text(" ".join(p.extract_text() for p in PdfReader(tmp_path / "direct.pdf").pages), "direct.pdf")
