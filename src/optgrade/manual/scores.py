"""Written (manual) questions: what they are, the TAs' score sheet, and PDFs of the answers.

- The questions, their points and prompts come from the master notebook (Otter Assign's
  `# BEGIN QUESTION` raw cells with `manual: true`), so the master stays the one source of truth.
- `write_template` writes the score sheet: `file,student,student_id`, then one column per manual
  question named `<question> (max <points>)`; `read_manual_scores` reads exactly that back and
  refuses anything it cannot trust (scores out of range, unknown questions or submissions).
- `write_answer_pdfs` writes one PDF per submission with its written answers under each prompt
  (answer_pdf.py: markdown and math rendered as Jupyter shows them; latex_text.py: inline math as
  Unicode text).
"""

from __future__ import annotations

import csv
import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from .. import gradebook as book
from ..errors import OptgradeError

if TYPE_CHECKING:
    from ..project import Project
from ..safetext import clean_line, match_key, restore, write_csv
from ..submissions import InvalidSubmission, Submission, discover, read_submission
from .answer_pdf import write_answer_pdf

BEGIN_MARK = "<!-- BEGIN QUESTION -->"
END_MARK = "<!-- END QUESTION -->"
PLACEHOLDER = "_Type your answer here, replacing this text._"
FIXED_COLUMNS = ("file", "student", "student_id")
_QUESTION_HEADER = re.compile(r"^(?P<name>[^\s()]+)(?:\s*\(max\s+(?P<max>[^)]*)\))?$")


class ManualScoresError(OptgradeError):
    """The manual score sheet cannot be used as it is; the message names every bad row."""


@dataclass(frozen=True)
class ManualQuestion:
    name: str
    points: float
    prompt: str  # the prompt's markdown, as in the master

    @property
    def header(self) -> str:
        return f"{self.name} (max {self.points:g})"


@dataclass(frozen=True)
class ManualScores:
    questions: list[ManualQuestion]
    scores: dict[str, dict[str, float | None]]  # file -> question -> points (None: not graded yet)

    @property
    def possible(self) -> float:
        return round(sum(q.points for q in self.questions), 6)

    def for_file(self, file: str) -> dict[str, float | None]:
        return self.scores.get(file) or {q.name: None for q in self.questions}


def manual_questions(*, master: Path) -> list[ManualQuestion]:
    """The manual questions of the master (its .ipynb or jupytext .py), in notebook order."""
    import jupytext
    import yaml

    try:
        notebook = jupytext.read(master)
    except Exception as error:  # jupytext raises several kinds for unreadable files
        raise OptgradeError(f"cannot read the master notebook {master}: {error}")
    questions = []
    for index, cell in enumerate(notebook.cells):
        lines = cell.source.strip().splitlines()
        if cell.cell_type != "raw" or not lines or lines[0].strip() != "# BEGIN QUESTION":
            continue
        try:
            config = yaml.safe_load("\n".join(lines[1:])) or {}
        except yaml.YAMLError as error:
            raise OptgradeError(f"{master}: a '# BEGIN QUESTION' cell is not valid YAML: {error}")
        if not isinstance(config, dict) or not config.get("manual"):
            continue
        if not config.get("name"):
            raise OptgradeError(f"{master}: a manual question has no name")
        points = config.get("points")
        if isinstance(points, list):  # Otter Assign allows points per test case
            points = sum(float(p) for p in points)
        if points is None:
            raise OptgradeError(f"{master}: manual question {config.get('name')!r} has no points")
        prompt = next((c.source for c in notebook.cells[index + 1:] if c.cell_type == "markdown"), "")
        questions.append(ManualQuestion(str(config["name"]), float(points), prompt.strip()))
    if not questions:
        raise OptgradeError(f"{master} has no manual questions (raw cells '# BEGIN QUESTION' with manual: true)")
    return questions


def default_master(project: "Project | None" = None) -> Path:
    """The master with the written questions: the project's (default: the one around the working
    directory)."""
    from ..project import Project

    project = project or Project.find()
    # The jupytext script is what authors edit; the generated .ipynb may lag until the next build.
    return project.master_source if project.master_source.is_file() else project.master_notebook


# ---- the TAs' score sheet ----------------------------------------------------------------------

def submissions_in_grades(grades_csv: Path) -> list[dict[str, str]]:
    """The submission rows of a final_grades.csv (without the points-per-question row), with the
    cells neutralised for spreadsheets (`'=...`) read back as the names they stand for."""
    if not grades_csv.is_file():
        raise OptgradeError(f"no grades file: {grades_csv} (run `optgrade grade` first)")
    try:
        header, rows = book.read_rows(grades_csv)
        book.check_header(header, grades_csv)
    except book.NotAGradebook as error:
        raise OptgradeError(str(error))
    rows = [{k: restore(clean_line(v)) for k, v in row.items()} for row in rows]
    return [row for row in rows if row.get(book.FILE) and row[book.FILE] != book.POINTS_ROW]


def write_template(*, grades_csv: Path, out: Path, questions: list[ManualQuestion], force: bool = False) -> int:
    """Write the score sheet for every submission in `grades_csv`; returns the number of rows."""
    if out.exists() and not force:
        # The sheet is where TAs type their scores: silently starting it over would lose them.
        raise OptgradeError(f"{out} exists (it may hold scores already); pass --force to overwrite it")
    rows = submissions_in_grades(grades_csv)
    write_csv(out, [[*FIXED_COLUMNS, *(q.header for q in questions)]]
              + [[row[book.FILE], row.get("student", ""), row.get("student_id", ""), *([""] * len(questions))]
                 for row in rows])
    return len(rows)


def _parse_header(header: list[str], questions: dict[str, ManualQuestion], origin: str) -> dict[str, str]:
    """Column name -> question name; every problem with the header is an error."""
    if "file" not in header:
        raise ManualScoresError(f"{origin}: no 'file' column (write the sheet with `optgrade manual template`)")
    columns, errors = {}, []
    for column in header:
        if column in FIXED_COLUMNS or not column.strip():  # spreadsheets leave unnamed empty columns
            continue
        match = _QUESTION_HEADER.match(column.strip())
        name = match["name"] if match else column
        if not match or name not in questions:
            errors.append(f"{origin}: unknown question column {column!r} "
                          f"(manual questions: {', '.join(questions)})")
        elif name in columns.values():
            errors.append(f"{origin}: question {name} has two columns")
        elif match["max"] is not None and _number(match["max"]) != questions[name].points:
            errors.append(f"{origin}: column {column!r} says max {match['max']}, but {name} is worth "
                          f"{questions[name].points:g} points in the master")
        else:
            columns[column] = name
    if errors:
        raise ManualScoresError("\n".join(errors))
    return columns


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_manual_scores(*, path: Path, questions: list[ManualQuestion], submissions: list[str]) -> ManualScores:
    """Read a score sheet written by `write_template` and filled in by TAs.

    Empty cells mean "not graded yet" (None). Every other problem is an error naming its row (the
    line number in the file, header = line 1), and all of them are reported at once.
    """
    by_name = {q.name: q for q in questions}
    known = set(submissions)
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            columns = _parse_header(list(reader.fieldnames or []), by_name, path.name)
            scores: dict[str, dict[str, float | None]] = {}
            errors = []
            for row in reader:
                where = f"{path.name} row {reader.line_num}"
                cell = (row.get("file") or "").strip()
                # the key as we wrote it (`'=x.ipynb`), or as a spreadsheet saves it again (`=x.ipynb`)
                name = match_key(cell, known) if cell else ""
                if not name and not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                    continue  # a blank line, as spreadsheets like to leave at the end
                if None in row or any((row.get(c) or "").strip() for c in row if c is not None and not c.strip()):
                    errors.append(f"{where}: a cell outside the named columns")
                if name not in known:
                    errors.append(f"{where}: unknown submission {name!r} (not in final_grades.csv)")
                    continue
                if name in scores:
                    errors.append(f"{where}: a second row for {name!r}")
                    continue
                marks: dict[str, float | None] = {q.name: None for q in questions}
                for column, question in columns.items():
                    cell = (row.get(column) or "").strip()
                    if not cell:
                        continue
                    value, possible = _number(cell), by_name[question].points
                    if value is None:
                        errors.append(f"{where} ({name}): {question} = {cell!r} is not a number")
                    elif value < 0:
                        errors.append(f"{where} ({name}): {question} = {cell} is negative")
                    elif value > possible + 1e-9:
                        errors.append(f"{where} ({name}): {question} = {cell} is above the maximum {possible:g}")
                    else:
                        marks[question] = value
                scores[name] = marks
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ManualScoresError(f"cannot read {path}: {error}")
    if errors:
        raise ManualScoresError("\n".join(errors))
    return ManualScores(questions, scores)


# ---- written answers and PDFs --------------------------------------------------------------------

@dataclass(frozen=True)
class WrittenAnswer:
    question: ManualQuestion | None  # None: a question block the master does not know
    prompt: str
    answer: str  # the student's cells in the block, placeholders left out; "" when unanswered


def _norm(text: str) -> str:
    return " ".join(text.split())


def _fenced(code: str) -> str:
    """A code cell as a markdown code block, whose fence is longer than any run of backticks in it
    (so that a ``` inside the code does not end the block)."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", code)), default=0))
    return f"{fence}\n{code}\n{fence}"


def _answer_blocks(notebook: nbformat.NotebookNode) -> list[tuple[str, list[str]]]:
    """(prompt, answer cell texts) for each `<!-- BEGIN QUESTION -->` block, in order."""
    blocks: list[tuple[str, list[str]]] = []
    current: tuple[str, list[str]] | None = None
    for cell in notebook.cells:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "markdown" and (END_MARK in source or BEGIN_MARK in source):
            # A cell may close one question and open the next ("END ... BEGIN ..." in one cell).
            if current and END_MARK in source.split(BEGIN_MARK)[0]:
                blocks.append(current)
                current = None
            if BEGIN_MARK in source:
                if current:  # the END cell is missing: the next BEGIN closes the block
                    blocks.append(current)
                current = (source.split(BEGIN_MARK, 1)[1].strip(), [])
            continue
        if current is not None:
            text = source.strip()
            if text and text != PLACEHOLDER:
                current[1].append(_fenced(text) if cell.get("cell_type") == "code" else text)
    if current:
        blocks.append(current)
    return blocks


def written_answers(notebook: nbformat.NotebookNode, questions: list[ManualQuestion]) -> list[WrittenAnswer]:
    """The student's answer to each manual question, found by its prompt (or its position when the
    prompts were edited but the number of question blocks still matches)."""
    blocks = _answer_blocks(notebook)
    by_prompt = {_norm(q.prompt): q for q in questions}
    found: dict[str, WrittenAnswer] = {}
    extra = []
    for position, (prompt, cells) in enumerate(blocks):
        question = by_prompt.get(_norm(prompt))
        if question is None and len(blocks) == len(questions):
            question = questions[position]
        answer = WrittenAnswer(question, prompt, "\n\n".join(cells))
        if question is None or question.name in found:
            extra.append(answer)
        else:
            found[question.name] = answer
    ordered = [found.get(q.name) or WrittenAnswer(q, q.prompt, "") for q in questions]
    return ordered + extra


@dataclass
class PdfRun:
    written: list[Path]
    failed: list[tuple[Submission, str]]


def write_answer_pdfs(*, paths: list[Path], out_dir: Path, questions: list[ManualQuestion]) -> PdfRun:
    """One PDF per submission, named after the submission; a file that cannot be read is reported
    and skipped, never the end of the batch."""
    run = PdfRun([], [])
    out_dir.mkdir(parents=True, exist_ok=True)
    unpack = tempfile.TemporaryDirectory(prefix="optgrade-pdf-unpack-")  # Canvas's submissions.zip
    with unpack:
        for submission in discover(paths, unpack_dir=Path(unpack.name)):
            _write_one(submission, out_dir, questions, run)
    return run


def _write_one(submission: Submission, out_dir: Path, questions: list[ManualQuestion], run: PdfRun) -> None:
    """One submission's PDF, or the reason there is none in `run.failed`."""
    try:
        notebook = read_submission(submission)
        title = submission.key + (f"  ({submission.student}, Canvas id {submission.student_id})"
                                  if submission.student_id else "")
        target = out_dir / f"{submission.name}.pdf"
        write_answer_pdf(path=target, title=title, answers=written_answers(notebook, questions))
        run.written.append(target)
    except InvalidSubmission as problem:
        run.failed.append((submission, str(problem)))
    except Exception as error:  # one unrenderable notebook must not cost the others their PDFs
        run.failed.append((submission, f"could not write the PDF: {error!r}"))
