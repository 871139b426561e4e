"""Written (manual) questions: read from the master, the TAs' score sheet, and PDFs of the answers."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jupytext
import nbformat
import pytest
from pypdf import PdfReader

from optgrade.grade import outputs
from optgrade.manual.scores import (PLACEHOLDER, ManualScoresError, WrittenAnswer, manual_questions, read_manual_scores,
                             write_answer_pdf, write_answer_pdfs, write_template, written_answers)
from optgrade.results import GRADED, INVALID, QuestionScore, SubmissionResult
from optgrade.submissions import Submission, safe_stem, parse_canvas_name

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "submissions"
DOEJANE = EXAMPLES / "doejane_48213_9120377_a5_optimization.ipynb"
FILES = ["doejane_48213_9120377_a5_optimization.ipynb", "smithjohn_LATE_48217_9120391_a5_optimization.ipynb",
         "invalid-json.ipynb"]
EXPECTED = {"q1_1_explain": 2, "q1_2": 2, "q1_3": 2, "q2_1": 2, "q2_2_explain": 2, "q2_3": 2, "q2_4": 2,
            "q3_stuck_explain": 2, "q4_1": 2, "q4_2": 2, "q4_3": 2}


@pytest.fixture(scope="module")
def questions(project):
    return manual_questions(master=project.master_notebook)


@pytest.fixture
def grades(tmp_path) -> Path:
    """A small final_grades.csv as `optgrade grade` writes it."""
    points = {"q1_1": 2.0, "q2_2": 2.0}
    graded = []
    for file in FILES:
        submission = Submission(Path(file), safe_stem(Path(file)), **parse_canvas_name(file))
        status = INVALID if file.startswith("invalid") else GRADED
        scores = {q: QuestionScore(p, p) for q, p in points.items()} if status == GRADED else {}
        graded.append((submission, SubmissionResult(submission.name, status, scores)))
    outputs.write_grades_csv(tmp_path / "final_grades.csv", outputs.grades_rows(graded, points))
    return tmp_path / "final_grades.csv"


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
    return path


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def master_solution(project, question: str) -> str:
    """The reference answer of a manual question, as written in the master."""
    cells = jupytext.read(project.master_source).cells
    start = next(i for i, c in enumerate(cells) if c.cell_type == "raw" and f"name: {question}\n" in c.source + "\n")
    solution = next(i for i in range(start, len(cells)) if cells[i].source.strip() == "# BEGIN SOLUTION")
    return cells[solution + 1].source


def optgrade(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from optgrade.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd)


# ---- the questions ---------------------------------------------------------------------------------

def test_manual_questions_come_from_the_master(project, questions):
    assert {q.name: q.points for q in questions} == EXPECTED
    assert [q.name for q in questions] == list(EXPECTED)  # notebook order
    assert manual_questions(master=project.master_source) == questions  # the jupytext .py says the same
    assert all(q.prompt.startswith("**Question") for q in questions)
    assert "exploding gradients" in {q.name: q for q in questions}["q1_2"].prompt


def test_an_edited_master_changes_the_questions(project, tmp_path):
    source = project.master_source.read_text(encoding="utf-8")
    edited = source.replace("# name: q1_3\n# manual: true\n# points: 2", "# name: q1_3\n# manual: true\n# points: 3")
    assert edited != source
    (tmp_path / "master.py").write_text(edited, encoding="utf-8")
    points = {q.name: q.points for q in manual_questions(master=tmp_path / "master.py")}
    assert points["q1_3"] == 3 and sum(points.values()) == 23


# ---- the score sheet --------------------------------------------------------------------------------

def test_template_has_a_row_per_submission_and_the_maxima_in_the_header(grades, questions, tmp_path):
    sheet = tmp_path / "sheet.csv"
    assert write_template(grades_csv=grades, out=sheet, questions=questions) == 3
    rows = read_rows(sheet)
    assert rows[0] == ["file", "student", "student_id", *(f"{name} (max 2)" for name in EXPECTED)]
    assert [row[:3] for row in rows[1:]] == [[FILES[0], "doejane", "48213"], [FILES[1], "smithjohn", "48217"],
                                             [FILES[2], "", ""]]
    assert all(cell == "" for row in rows[1:] for cell in row[3:])
    with pytest.raises(Exception, match="exists .*--force"):
        write_template(grades_csv=grades, out=sheet, questions=questions)  # TAs' scores are never overwritten
    write_template(grades_csv=grades, out=sheet, questions=questions, force=True)


def test_scores_round_trip_and_empty_cells_mean_not_graded(grades, questions, tmp_path):
    sheet = tmp_path / "sheet.csv"
    write_template(grades_csv=grades, out=sheet, questions=questions)
    rows = read_rows(sheet)
    rows[1][3:] = ["2", "1.5", "0", "2", "2", "2", "2", "2", "2", "2", ""]
    del rows[3]  # no row at all for the invalid submission
    scores = read_manual_scores(path=write_rows(sheet, rows), questions=questions, submissions=FILES)
    jane = scores.for_file(FILES[0])
    assert jane["q1_2"] == 1.5 and jane["q1_3"] == 0 and jane["q4_3"] is None
    assert set(scores.for_file(FILES[1]).values()) == {None}
    assert set(scores.for_file(FILES[2]).values()) == {None}
    assert scores.possible == 22


def test_plain_question_names_are_accepted_too(grades, questions, tmp_path):
    sheet = write_rows(tmp_path / "s.csv", [["file", "q4_1"], [FILES[0], "1"]])
    assert read_manual_scores(path=sheet, questions=questions, submissions=FILES).for_file(FILES[0])["q4_1"] == 1


@pytest.mark.parametrize("change, message", [
    (lambda rows: rows[1].__setitem__(4, "2.5"), "s.csv row 2 (doejane_48213_9120377_a5_optimization.ipynb): "
                                                 "q1_2 = 2.5 is above the maximum 2"),
    (lambda rows: rows[2].__setitem__(5, "-1"), "s.csv row 3 (smithjohn_LATE_48217_9120391_a5_optimization.ipynb): "
                                                "q1_3 = -1 is negative"),
    (lambda rows: rows[1].__setitem__(3, "two"), "s.csv row 2 (doejane_48213_9120377_a5_optimization.ipynb): "
                                                 "q1_1_explain = 'two' is not a number"),
    (lambda rows: rows[1].__setitem__(3, "nan"), "q1_1_explain = 'nan' is not a number"),
    (lambda rows: rows.append(["someone-else.ipynb", "", ""] + [""] * 11),
     "s.csv row 5: unknown submission 'someone-else.ipynb' (not in final_grades.csv)"),
    (lambda rows: rows.append(list(rows[1])), "s.csv row 5: a second row for 'doejane_48213"),
    (lambda rows: [row.append("1") for row in rows] and rows[0].__setitem__(-1, "q9_bonus (max 1)"),
     "s.csv: unknown question column 'q9_bonus (max 1)'"),
    (lambda rows: rows[0].__setitem__(3, "q1_1_explain (max 3)"),
     "s.csv: column 'q1_1_explain (max 3)' says max 3, but q1_1_explain is worth 2 points in the master"),
    (lambda rows: rows[0].__setitem__(0, "notebook"), "s.csv: no 'file' column"),
])
def test_every_bad_score_sheet_is_an_error_naming_the_row(grades, questions, tmp_path, change, message):
    sheet = tmp_path / "s.csv"
    write_template(grades_csv=grades, out=sheet, questions=questions)
    rows = read_rows(sheet)
    change(rows)
    with pytest.raises(ManualScoresError) as error:
        read_manual_scores(path=write_rows(sheet, rows), questions=questions, submissions=FILES)
    assert message in str(error.value)


def test_all_problems_are_reported_at_once(grades, questions, tmp_path):
    sheet = write_rows(tmp_path / "s.csv", [["file", "q1_2 (max 2)"], [FILES[0], "5"], [FILES[1], "x"], ["y", ""]])
    with pytest.raises(ManualScoresError) as error:
        read_manual_scores(path=sheet, questions=questions, submissions=FILES)
    assert [line.split(":")[0] for line in str(error.value).splitlines()] == [
        "s.csv row 2 (doejane_48213_9120377_a5_optimization.ipynb)",
        "s.csv row 3 (smithjohn_LATE_48217_9120391_a5_optimization.ipynb)", "s.csv row 4"]


def test_cli_template(grades, project):
    out_dir = grades.parent
    result = optgrade("manual", "template", str(out_dir), cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert "3 submissions x 11 questions (22 points)" in result.stdout
    assert read_rows(out_dir / "manual_scores.csv")[0][3] == "q1_1_explain (max 2)"
    again = optgrade("manual", "template", str(out_dir), cwd=project.root)
    assert again.returncode == 1 and "--force" in again.stderr


# ---- written answers and PDFs ---------------------------------------------------------------------------

def test_answers_are_found_under_their_prompts(project, questions, reference_notebook):
    answers = {a.question.name: a.answer for a in written_answers(reference_notebook, questions)}
    assert list(answers) == list(EXPECTED)
    assert answers["q1_2"] == master_solution(project, "q1_2").strip()
    blank = written_answers(nbformat.read(project.student_notebook, as_version=4), questions)
    assert [a.answer for a in blank] == [""] * 11  # the placeholders are not answers


def test_students_own_cells_inside_a_question_are_the_answer(project, questions):
    notebook = nbformat.read(project.student_notebook, as_version=4)
    cells = notebook.cells
    index = next(i for i, c in enumerate(cells) if "**Question 1.2.**" in c.source)
    assert cells[index + 1].source == PLACEHOLDER
    cells[index + 1].source = "Neither: the learning rate does not cause them, mine says."
    cells.insert(index + 2, nbformat.v4.new_code_cell("print('a cell I added')"))
    answers = {a.question.name: a.answer for a in written_answers(notebook, questions)}
    assert answers["q1_2"].startswith("Neither: the learning rate does not cause them, mine says.")
    assert "print('a cell I added')" in answers["q1_2"]
    assert answers["q1_1_explain"] == answers["q1_3"] == ""


def test_a_code_cell_stays_code_whatever_it_holds(project, questions, tmp_path):
    notebook = nbformat.read(project.student_notebook, as_version=4)
    index = next(i for i, c in enumerate(notebook.cells) if "**Question 1.2.**" in c.source)
    code = 'doc = """\n```\n"""\n\nclass Net:\n    def __init__(self): ...'
    notebook.cells.insert(index + 2, nbformat.v4.new_code_cell(code))
    answers = written_answers(notebook, questions)
    assert code in {a.question.name: a.answer for a in answers}["q1_2"]
    write_answer_pdf(path=tmp_path / "code.pdf", title="code", answers=answers)
    assert "def __init__(self): ..." in pdf_text(tmp_path / "code.pdf")  # not the end of a fence and a bold "init"


def test_pdf_of_the_reference_holds_its_written_answers(project, questions, reference_notebook, tmp_path):
    pdf = tmp_path / "reference.pdf"
    write_answer_pdf(path=pdf, title="reference", answers=written_answers(reference_notebook, questions))
    text = pdf_text(pdf)
    answer = " ".join(master_solution(project, "q1_2").split()).replace("*loss*", "loss")  # markdown, rendered
    assert answer in text
    assert text.index("q1_2 (2 points)") < text.index(answer) < text.index("q1_3 (2 points)")
    assert "Which of the above options is more likely to cause (i) exploding gradients" in text
    # the reference's math, as a TA reads it, not as it was typed
    assert "Its derivative σ′(x) = σ(x)(1 - σ(x)) is at most 0.25" in text
    assert "the sigmoid saturates (σ(x) → 0 or 1)" in text
    assert "minimum θ ≈ -0.2739 (ℒ ≈ -0.1786)" in text
    assert "$" not in text and "\\sigma" not in text and "*loss*" not in text and "**" not in text


def test_pdfs_of_a_class_with_invalid_files(project, tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name in ("invalid-json.ipynb", "exported-zip.zip"):
        shutil.copy(EXAMPLES / name, submissions / name)
    shutil.copy(DOEJANE, submissions / DOEJANE.name)
    with zipfile.ZipFile(submissions / "no-notebook.zip", "w") as archive:
        archive.writestr("answers.txt", "I forgot the notebook")
    result = optgrade("manual", "pdfs", str(submissions), "-o", str(tmp_path / "pdfs"), cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "pdfs").iterdir()) == [
        "doejane_48213_9120377_a5_optimization.pdf", "exported-zip.pdf"]
    errors = result.stderr.splitlines()
    assert any("invalid-json.ipynb: error: invalid-json.ipynb is not a valid notebook" in line for line in errors)
    assert any("no-notebook.zip: error: no-notebook.zip contains no notebook" in line for line in errors)
    assert "wrote 2 PDFs" in result.stdout and "2 submissions could not be read" in result.stdout
    jane = pdf_text(tmp_path / "pdfs" / "doejane_48213_9120377_a5_optimization.pdf")
    assert "Yes, it gets stuck. Without momentum gradient descent takes 164 small steps" in jane  # her own words
    assert "Yes. Plain gradient descent" not in jane  # not the reference's
    assert "doejane, Canvas id 48213" in jane


def test_pdfs_of_nothing_is_an_error(tmp_path, project):
    (tmp_path / "empty").mkdir()
    result = optgrade("manual", "pdfs", str(tmp_path / "empty"), "-o", str(tmp_path / "pdfs"), cwd=project.root)
    assert result.returncode == 1 and "no submissions" in result.stderr


def test_awkward_answers_still_make_a_pdf(questions, tmp_path):
    odd = [WrittenAnswer(questions[0], questions[0].prompt, "x" * 500 + " tab\there \x00 NUL, ∇θ L(θ) ≈ 0, 漢字"),
           WrittenAnswer(None, "A question the master does not know", "stray")]
    run = write_answer_pdfs(paths=[], out_dir=tmp_path / "none", questions=questions)
    assert run.written == [] and run.failed == []
    write_answer_pdf(path=tmp_path / "odd.pdf", title="odd", answers=odd)
    text = pdf_text(tmp_path / "odd.pdf")
    assert "∇θ L(θ) ≈ 0" in text and "question not in the master" in text


def test_unnamed_columns_must_stay_empty(grades, questions, tmp_path):
    sheet = write_rows(tmp_path / "s.csv", [["file", "q1_2 (max 2)", ""], [FILES[0], "1", ""], [FILES[1], "2"]])
    assert read_manual_scores(path=sheet, questions=questions, submissions=FILES).for_file(FILES[1])["q1_2"] == 2
    write_rows(sheet, [["file", "q1_2 (max 2)", ""], [FILES[0], "1", "2"], [FILES[1], "2", "", "3"]])
    with pytest.raises(ManualScoresError) as error:
        read_manual_scores(path=sheet, questions=questions, submissions=FILES)
    assert str(error.value).splitlines() == ["s.csv row 2: a cell outside the named columns",
                                             "s.csv row 3: a cell outside the named columns"]


# ---- markdown and math in the PDFs --------------------------------------------------------------------

def pdf_fonts(path: Path) -> set[str]:
    return {str(font["/BaseFont"]).split("+")[-1].lstrip("/") for page in PdfReader(path).pages
            for font in page["/Resources"]["/Font"].values()}


def pdf_images(path: Path) -> int:
    return sum(len(page.images) for page in PdfReader(path).pages)


def test_prompts_and_answers_are_rendered_not_shown_as_typed(questions, tmp_path):
    prompt = r"If $\sigma(x) \to 0$ the *loss* stops changing. **Why?**"
    answer = ("## Short answer\n\n"
              r"The gradient $\sigma'(x) = \sigma(x)(1-\sigma(x))$ vanishes, so $\theta_{t+1} \approx \theta_t$."
              "\n\nBecause:\n\n- the *update* is `learning_rate * grad`\n- my_var_name -- stays as typed\n\n"
              "1. first\n2. second")
    pdf = tmp_path / "rendered.pdf"
    write_answer_pdf(path=pdf, title="rendered", answers=[WrittenAnswer(questions[0], prompt, answer)])
    text = pdf_text(pdf)
    assert "If σ(x) → 0 the loss stops changing. Why?" in text
    assert "The gradient σ′(x) = σ(x)(1 - σ(x)) vanishes, so θₜ₊₁ ≈ θₜ." in text
    assert "Short answer" in text and "## " not in text
    assert "• the update is learning_rate * grad" in text
    assert "• my_var_name -- stays as typed" in text  # snake_case and dashes are not markup
    assert "1. first" in text and "2. second" in text
    for typed in ("$", "\\sigma", "\\to", "*loss*", "**", "`"):
        assert typed not in text, typed
    # emphasis, strong text and code look different: italic, bold and monospaced faces are used
    assert {"DejaVuSansOblique", "DejaVuSansBold", "DejaVuSansMonoBook"} <= pdf_fonts(pdf)


def test_display_math_is_drawn(questions, tmp_path):
    answer = ("The update:\n\n$$\\theta_{t+1} = \\theta_t - \\alpha \\frac{\\partial L}{\\partial \\theta}$$"
              "\n\nand so on.")
    pdf = tmp_path / "display.pdf"
    write_answer_pdf(path=pdf, title="display", answers=[WrittenAnswer(questions[0], questions[0].prompt, answer)])
    text = pdf_text(pdf)
    assert pdf_images(pdf) == 1  # the formula, drawn by mathtext
    assert "The update:" in text and "and so on." in text and "\\frac" not in text and "$$" not in text


def test_the_same_answers_make_the_same_pdf(questions, reference_notebook, tmp_path):
    import time

    answers = written_answers(reference_notebook, questions)
    answers.append(WrittenAnswer(None, "display math", "$$\\frac{\\partial L}{\\partial w}$$"))
    write_answer_pdf(path=tmp_path / "first.pdf", title="same", answers=answers)
    time.sleep(1.1)  # PDF dates have seconds
    write_answer_pdf(path=tmp_path / "second.pdf", title="same", answers=answers)
    assert (tmp_path / "first.pdf").read_bytes() == (tmp_path / "second.pdf").read_bytes()


def test_display_math_never_runs_latex(questions, tmp_path, monkeypatch):
    import subprocess

    import matplotlib

    def no_process(*args, **kwargs):
        raise AssertionError(f"started a process: {args}")

    monkeypatch.setitem(matplotlib.rcParams, "text.usetex", True)  # as a TA's matplotlibrc may say
    monkeypatch.setattr(subprocess, "Popen", no_process)
    pdf = tmp_path / "usetex.pdf"
    formula = "$$\\frac{u}{t} = \\sqrt{\\epsilon}$$"  # drawn by no other test: formulas are drawn once per process
    write_answer_pdf(path=pdf, title="usetex", answers=[WrittenAnswer(questions[0], "", formula)])
    assert pdf_images(pdf) == 1


@pytest.mark.parametrize("latex, text", [
    (r"\sigma(x) \to 0", "σ(x) → 0"),
    (r"\theta_0 = -0.95", "θ₀ = -0.95"),
    (r"\mathcal{L}(\theta)=\theta \cdot \cos(\pi \theta), \quad -1.0\leq \theta\leq 2.0",
     "ℒ(θ) = θ · cos(πθ),   -1.0 ≤ θ ≤ 2.0"),
    (r"\frac{\partial L}{\partial w} = \sum_{i=1}^{n} x_i^2", "∂L/∂w = ∑ᵢ₌₁ⁿ xᵢ²"),
    (r"v_t = \beta v_{t-1} + (1-\beta) g_t^2", "vₜ = βvₜ₋₁ + (1 - β)gₜ²"),
    (r"\hat{y} = \max(0, W^T x)", "ŷ = max(0, Wᵀx)"),
    (r"\text{if } x > 0", "if x > 0"),
])
def test_latex_becomes_unicode(latex, text):
    from optgrade.manual.latex_text import latex_to_unicode

    assert latex_to_unicode(latex) == text


def test_malformed_math_and_markdown_never_cost_a_pdf(questions, tmp_path):
    pieces = [r"odd $x dollar", r"$\frac{a$", r"$\input{/etc/passwd}$", r"$x}$", "$" + "{" * 5000 + "$",
              "$" + "x" * 20000 + "$", "$$" + "\\sqrt{" * 200 + "$$", r"$$\begin{pmatrix}1\\2\end{pmatrix}$$",
              "$$" + r"\sum" * 400 + "$$", "$$\n" + "x = " * 3000 + "\n$$", "<script>alert(1)</script>",
              "z" * 3000, "*" * 500, "costs $5 and $10", "`$x$` in code", "nul\x00 and esc\x1b[2J",
              "`" * 301 + "\nan unclosed fence: code to the end"]
    answer = "\n\n".join(pieces)
    # markdown-it drops whatever follows lists or quotes nested deeper than 20 levels: not here
    deep = "- " * 60 + "deep\n\n" + "> " * 60 + "quoted\n\nafter the *deep* ones"
    pdf = tmp_path / "malformed.pdf"
    write_answer_pdf(path=pdf, title="malformed", answers=[WrittenAnswer(questions[0], questions[0].prompt, answer),
                                                           WrittenAnswer(questions[1], questions[1].prompt, deep)])
    text = pdf_text(pdf)
    for kept in (r"odd $x dollar", r"$\frac{a$", r"$\input{/etc/passwd}$", r"$x}$", r"\begin{pmatrix}",
                 "<script>alert(1)</script>", "costs $5 and $10", "$x$ in code", "deep",
                 "quoted", "after the *deep* ones", "an unclosed fence: code to the end"):
        assert kept in text, kept
    assert text.count("z") >= 3000  # the long word, broken over lines
    assert "\x00" not in text and "\x1b" not in text
    # in a batch too: the malformed answer gets its PDF
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),  # a notebook without code cells is not a submission
        nbformat.v4.new_markdown_cell(f"<!-- BEGIN QUESTION -->\n\n{questions[0].prompt}"),
        nbformat.v4.new_markdown_cell(answer + "\n\n" + deep), nbformat.v4.new_markdown_cell("<!-- END QUESTION -->")])
    (tmp_path / "subs").mkdir()
    nbformat.write(notebook, tmp_path / "subs" / "malformed.ipynb")
    run = write_answer_pdfs(paths=[tmp_path / "subs"], out_dir=tmp_path / "pdfs", questions=questions)
    assert not run.failed and [p.name for p in run.written] == ["malformed.pdf"]
