"""Written (manual) questions: what they are, the TAs' score sheet, and PDFs of the answers.

- The questions, their points and prompts come from the master notebook (Otter Assign's
  `# BEGIN QUESTION` raw cells with `manual: true`), so the master stays the one source of truth.
- `write_template` writes the score sheet: `file,student,student_id`, then one column per manual
  question named `<question> (max <points>)`; `read_manual_scores` reads exactly that back and
  refuses anything it cannot trust (scores out of range, unknown questions or submissions).
- `write_answer_pdf` renders a submission's written answers under each prompt (fpdf2, DejaVu fonts
  from matplotlib, so nothing outside PyPI is needed), markdown and math rendered as Jupyter shows
  them: markdown-it and mdit-py-plugins (which jupytext brings) parse it, inline math becomes Unicode
  text, display math a mathtext image.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
import shutil
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from .errors import OptgradeError
from .safetext import clean_line, clean_text, match_key, restore, write_csv
from .submissions import InvalidSubmission, Submission, discover, prepare

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


def default_master(root: Path | None = None) -> Path:
    from .project import Project

    project = Project(root) if root else Project.find()
    # The jupytext script is what authors edit; the generated .ipynb may lag until the next build.
    return project.master_source if project.master_source.is_file() else project.master_notebook


# ---- the TAs' score sheet ----------------------------------------------------------------------

def submissions_in_grades(grades_csv: Path) -> list[dict[str, str]]:
    """The submission rows of a final_grades.csv (without the points-per-question row), with the
    cells neutralised for spreadsheets (`'=...`) read back as the names they stand for."""
    if not grades_csv.is_file():
        raise OptgradeError(f"no grades file: {grades_csv} (run `optgrade grade` first)")
    with open(grades_csv, newline="", encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    if rows and "file" not in rows[0]:
        raise OptgradeError(f"{grades_csv} has no 'file' column: not a final_grades.csv")
    rows = [{k: restore(clean_line(v)) if isinstance(v, str) else "" for k, v in row.items()} for row in rows]
    return [row for row in rows if row.get("file") and row["file"] != "points-per-question"]


def write_template(*, grades_csv: Path, out: Path, questions: list[ManualQuestion], force: bool = False) -> int:
    """Write the score sheet for every submission in `grades_csv`; returns the number of rows."""
    if out.exists() and not force:
        # The sheet is where TAs type their scores: silently starting it over would lose them.
        raise OptgradeError(f"{out} exists (it may hold scores already); pass --force to overwrite it")
    rows = submissions_in_grades(grades_csv)
    write_csv(out, [[*FIXED_COLUMNS, *(q.header for q in questions)]]
              + [[row["file"], row.get("student", ""), row.get("student_id", ""), *([""] * len(questions))]
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


# ---- markdown and math in the PDFs ---------------------------------------------------------------
#
# Prompts and answers are Jupyter markdown. markdown-it (CommonMark, as Jupyter; raw HTML is shown as
# text) with its dollarmath plugin splits them into paragraphs, headings, lists, code and math, so a `$`
# inside code stays a dollar and an unpaired `$` stays text. Inline math becomes Unicode text in the
# PDF's own font (`$\sigma(x) \to 0$` -> `σ(x) → 0`): cheap, searchable, no images. Display math
# (`$$...$$`) is drawn by matplotlib's mathtext (no LaTeX, no process), else shown as Unicode. Answers
# are untrusted: whatever cannot be converted (an unknown command such as `\input`, unbalanced braces,
# a formula too long or too deep) is shown as the student typed it.

_FONT_FILES = {("DejaVu", ""): "DejaVuSans.ttf", ("DejaVu", "B"): "DejaVuSans-Bold.ttf",
               ("DejaVu", "I"): "DejaVuSans-Oblique.ttf", ("DejaVu", "BI"): "DejaVuSans-BoldOblique.ttf",
               ("DejaVuMono", ""): "DejaVuSansMono.ttf"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # the creation date: same answers, same PDF bytes
_MAX_INLINE_MATH = 1000  # characters of one formula converted to Unicode
_MAX_IMAGE_MATH = 300  # characters of one formula drawn by mathtext (a long one takes ~0.1 s)
_MAX_IMAGES = 30  # mathtext images per PDF; later display formulas are shown as Unicode
_MAX_BRACES = 10  # nesting depth of {} in a formula
_MAX_INDENT = 6  # list and quote levels that still indent
_MATH_DPI = 300
_INDENT = 5.0  # mm per list level
_LINE = 5.0  # mm per line of 10 pt text
_SHADE = (235, 235, 235)  # the background of a student's answer


def _font_paths() -> dict[tuple[str, str], Path]:
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {key: fonts / name for key, name in _FONT_FILES.items()}


def _printable(text: str) -> str:
    """Text fpdf2 can lay out: tabs as spaces, no control characters (a stray \\x00 breaks the PDF)."""
    text = clean_text(text).replace("\t", "    ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")


class _Unsupported(Exception):
    """LaTeX the Unicode conversion does not handle: the formula is shown as typed."""


_GREEK = {name: chr(code) for name, code in (
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3F5),
    ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("vartheta", 0x3D1),
    ("iota", 0x3B9), ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE),
    ("omicron", 0x3BF), ("pi", 0x3C0), ("varpi", 0x3D6), ("rho", 0x3C1), ("varrho", 0x3F1),
    ("sigma", 0x3C3), ("varsigma", 0x3C2), ("tau", 0x3C4), ("upsilon", 0x3C5), ("phi", 0x3D5),
    ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393),
    ("Delta", 0x394), ("Theta", 0x398), ("Lambda", 0x39B), ("Xi", 0x39E), ("Pi", 0x3A0), ("Sigma", 0x3A3),
    ("Upsilon", 0x3A5), ("Phi", 0x3A6), ("Psi", 0x3A8), ("Omega", 0x3A9))}
_ORDINARY = {**_GREEK, "infty": "∞", "nabla": "∇", "partial": "∂", "ell": "ℓ", "hbar": "ħ", "emptyset": "∅",
             "varnothing": "∅", "forall": "∀", "exists": "∃", "neg": "¬", "lnot": "¬", "prime": "′",
             "ldots": "…", "dots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱", "angle": "∠",
             "triangle": "△", "star": "⋆", "dagger": "†", "top": "⊤", "bot": "⊥", "langle": "⟨",
             "rangle": "⟩", "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋", "vert": "|",
             "lvert": "|", "rvert": "|", "Vert": "‖", "lVert": "‖", "rVert": "‖", "|": "‖", "{": "{", "}": "}",
             "%": "%", "$": "$", "#": "#", "&": "&", "_": "_", "Re": "ℜ", "Im": "ℑ", "aleph": "ℵ",
             "checkmark": "✓", "square": "□", "Box": "□", "lbrace": "{", "rbrace": "}", "backslash": "\\"}
_RELATIONS = {"to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "Rightarrow": "⇒",
              "Leftarrow": "⇐", "Leftrightarrow": "⇔", "leftrightarrow": "↔", "implies": "⟹",
              "impliedby": "⟸", "iff": "⟺", "mapsto": "↦", "longrightarrow": "⟶", "longleftarrow": "⟵",
              "uparrow": "↑", "downarrow": "↓", "leq": "≤", "le": "≤", "leqslant": "≤", "geq": "≥", "ge": "≥",
              "geqslant": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "∼", "simeq": "≃", "cong": "≅",
              "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫", "in": "∈", "notin": "∉", "ni": "∋",
              "subset": "⊂", "subseteq": "⊆", "supset": "⊃", "supseteq": "⊇", "mid": "∣", "parallel": "∥",
              "perp": "⊥", "coloneqq": "≔", "models": "⊨", "vdash": "⊢", "doteq": "≐", "triangleq": "≜"}
_BINARY = {"cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "circ": "∘", "bullet": "∙",
           "ast": "∗", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "ominus": "⊖", "cup": "∪", "cap": "∩",
           "setminus": "∖", "land": "∧", "wedge": "∧", "lor": "∨", "vee": "∨", "bmod": "mod"}
_FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
              "log", "ln", "lg", "exp", "max", "min", "sup", "inf", "lim", "liminf", "limsup", "arg", "det",
              "dim", "ker", "deg", "gcd", "Pr", "hom"}
_OPERATORS = {"sum": "∑", "prod": "∏", "int": "∫", "iint": "∬", "oint": "∮", "bigcup": "⋃", "bigcap": "⋂"}
_SPACES = {",": " ", ";": " ", ":": " ", " ": " ", "!": "", "quad": "  ", "qquad": "   ", "enspace": " ",
           "thinspace": " "}
_IGNORED = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
            "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "nonumber", "middle"}
_TEXT_COMMANDS = {"text", "textrm", "textit", "textbf", "textsf", "texttt", "textnormal", "mbox"}
_STYLE_COMMANDS = {"mathrm", "mathit", "mathbf", "mathsf", "mathtt", "mathnormal", "boldsymbol", "bm",
                   "mathfrak"}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305", "tilde": "\u0303",
            "widetilde": "\u0303", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308", "check": "\u030c",
            "breve": "\u0306", "acute": "\u0301", "grave": "\u0300", "underline": "\u0332"}
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}
_CALLIGRAPHIC = {"L": "ℒ", "B": "ℬ", "E": "ℰ", "F": "ℱ", "H": "ℋ", "I": "ℐ", "M": "ℳ", "R": "ℛ"}
_SUPERSCRIPTS = dict(zip("0123456789+-=()niabcdefghjklmoprstuvwxyzABDEGHIJKLMNOPRTUVW⊤′*,. ",
                         "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵀ′*,. "))
_SUBSCRIPTS = dict(zip("0123456789+-=()aehijklmnoprstuvxβγρφχ,. ", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ,. "))
_MATH_TOKEN = re.compile(r"\\([A-Za-z]+)|\\(.)|(\s+)|(.)", re.DOTALL)
_SPACE = ("sp", " ")


def _math_tree(source: str) -> list:
    """The formula as nested lists (one per `{...}`) of ("cmd", name), ("chr", c) and spaces."""
    root: list = []
    stack = [root]
    for match in _MATH_TOKEN.finditer(source):
        name, escaped, space, char = match.groups()
        if name or escaped is not None:
            stack[-1].append(("cmd", name or escaped))
        elif space:
            stack[-1].append(_SPACE)
        elif char == "{":
            if len(stack) > _MAX_BRACES:
                raise _Unsupported("braces nested too deeply")
            stack[-1].append([])
            stack.append(stack[-1][-1])
        elif char == "}":
            if len(stack) == 1:
                raise _Unsupported("a } without its {")
            stack.pop()
        else:
            stack[-1].append(("chr", char))
    if len(stack) != 1:
        raise _Unsupported("a { without its }")
    return root


def _math_pieces(items: list, text_mode: bool = False) -> list[tuple[str, str]]:
    """(kind, text) for a list of formula items; kind says how `_join_math` spaces it: "ord" (letters,
    digits, brackets), "rel" and "bin" (spaced on both sides), "punct" (a space after), "op" (a
    function name or big operator with its limits: a space before a letter), "space"."""
    pieces: list[tuple[str, str]] = []
    position = 0

    def argument() -> list:
        nonlocal position
        while position < len(items) and items[position] == _SPACE:
            position += 1
        if position >= len(items):
            raise _Unsupported("a command without its argument")
        position += 1
        item = items[position - 1]
        return item if isinstance(item, list) else [item]

    def string(group: list, text: bool = False) -> str:
        pieces = _math_pieces(group, text)
        return "".join(value for _, value in pieces) if text else _join_math(pieces)

    def script(table: dict[str, str], mark: str) -> None:
        body = "".join(text for _, text in _math_pieces(argument())).replace(" ", "")
        if body and all(ch in table for ch in body):
            body = "".join(table[ch] for ch in body)
        else:
            body = f"{mark}{body}" if len(body) == 1 else f"{mark}({body})"
        if pieces and pieces[-1][0] == "op":  # \sum_{i=1}^n x: the limits stay with the operator
            pieces[-1] = ("op", pieces[-1][1] + body)
        else:
            pieces.append(("ord", body))

    while position < len(items):
        item = items[position]
        position += 1
        if isinstance(item, list):
            pieces.extend(_math_pieces(item, text_mode))
            continue
        kind, value = item
        if kind == "sp":
            if text_mode:
                pieces.append(("ord", " "))
        elif kind == "chr":
            if text_mode:
                pieces.append(("ord", value))
            elif value == "^":
                script(_SUPERSCRIPTS, "^")
            elif value == "_":
                script(_SUBSCRIPTS, "_")
            elif value in "=<>":
                pieces.append(("rel", value))
            elif value in ",;":
                pieces.append(("punct", value))
            elif value in "+-":  # binary, unless it is a sign: -0.95, [-1, 2], x = -y
                unary = (not pieces or pieces[-1][0] in ("rel", "bin", "punct", "op", "space")
                         or pieces[-1][1][-1:] in ("(", "[", "{"))
                pieces.append(("ord" if unary else "bin", value))
            elif value == "'":
                pieces.append(("ord", "′"))
            elif value in "~&":
                pieces.append(("space", " "))
            elif value in "$#":
                raise _Unsupported(f"{value} in a formula")
            else:
                pieces.append(("ord", value))
        elif value in _ORDINARY:
            pieces.append(("ord", _ORDINARY[value]))
        elif value in _RELATIONS:
            pieces.append(("rel", _RELATIONS[value]))
        elif value in _BINARY:
            pieces.append(("bin", _BINARY[value]))
        elif value in _FUNCTIONS:
            pieces.append(("op", value))
        elif value in _OPERATORS:
            pieces.append(("op", _OPERATORS[value]))
        elif value in _SPACES:
            pieces.append(("space", _SPACES[value]))
        elif value in _IGNORED:
            if value in ("left", "right", "middle") and position < len(items) and items[position] == ("chr", "."):
                position += 1  # \left. is an invisible delimiter
        elif value in ("frac", "dfrac", "tfrac", "cfrac"):
            parts = [string(argument()) for _ in range(2)]
            simple = [part if len(part) <= 1 or re.fullmatch(r"[\w.′∂∇]+", part) else f"({part})"
                      for part in parts]
            pieces.append(("ord", "/".join(simple)))
        elif value == "sqrt":
            root = ""
            if position < len(items) and items[position] == ("chr", "["):
                end = next((i for i in range(position, len(items)) if items[i] == ("chr", "]")), None)
                if end is None:
                    raise _Unsupported("\\sqrt[ without ]")
                root, position = string(items[position + 1:end]), end + 1
            body = string(argument())
            sign = {"": "√", "2": "√", "3": "∛", "4": "∜"}.get(root)
            if sign is None:
                sign = ("".join(_SUPERSCRIPTS[ch] for ch in root) if all(ch in _SUPERSCRIPTS for ch in root)
                        else f"({root})") + "√"
            pieces.append(("ord", sign + (body if len(body) <= 1 or body.isalnum() else f"({body})")))
        elif value in _TEXT_COMMANDS:
            pieces.append(("ord", string(argument(), text=True)))
        elif value in _STYLE_COMMANDS:
            pieces.extend(_math_pieces(argument(), text_mode))
        elif value == "operatorname":
            pieces.append(("op", string(argument(), text=True)))
        elif value in ("mathbb", "mathcal", "mathscr"):
            table = _BLACKBOARD if value == "mathbb" else _CALLIGRAPHIC
            pieces.append(("ord", "".join(table.get(ch, ch) for ch in string(argument()))))
        elif value in _ACCENTS:
            pieces.append(("ord", "".join(ch + _ACCENTS[value] for ch in string(argument()).replace(" ", ""))))
        else:  # \input, \begin, \\, ...: not something to guess at
            raise _Unsupported(f"\\{value}")
    return pieces


def _join_math(pieces: list[tuple[str, str]]) -> str:
    text, after_op = "", False
    for kind, value in pieces:
        if kind in ("rel", "bin"):
            text = f"{text.rstrip(' ')} {value} "
        elif kind == "punct":
            text = f"{text.rstrip(' ')}{value} "
        else:
            if after_op and value[:1].isalnum():
                text += " "
            text += value
        after_op = kind == "op"
    return re.sub(" {4,}", "   ", text).strip(" ")


def latex_to_unicode(source: str) -> str:
    """A LaTeX formula as Unicode text (`\\sigma(x) \\to 0` -> `σ(x) → 0`, `\\theta_0` -> `θ₀`,
    `\\frac{\\partial L}{\\partial w}` -> `∂L/∂w`); raises _Unsupported for anything else."""
    if len(source) > _MAX_INLINE_MATH:
        raise _Unsupported("too long")
    # NFC: ŷ as one character, which fpdf2 places better than y and a combining hat
    return unicodedata.normalize("NFC", _join_math(_math_pieces(_math_tree(source))))


@dataclass
class _Block:
    kind: str  # "text", "code", "math" or "rule"
    runs: list[tuple[str, str]] = field(default_factory=list)  # (style, text); style "", "B", "I", "BI", "code"
    indent: int = 0  # list and quote levels
    bullet: str = ""  # "•" or "3." before the first paragraph of a list item
    size: float = 10.0  # points (headings are larger)
    source: str = ""  # a code block's text or a display formula
    label: str = ""  # a display formula's label: $$ x $$ (1)


_PARSER = None


def _markdown_parser():
    global _PARSER
    if _PARSER is None:
        from markdown_it import MarkdownIt
        from mdit_py_plugins.dollarmath import dollarmath_plugin

        # allow_space: `$ x $` is math in Jupyter too; allow_digits=False: "$5 and $10" stays prose.
        _PARSER = MarkdownIt("commonmark", {"html": False}).use(
            dollarmath_plugin, allow_space=True, allow_digits=False, double_inline=True)
    return _PARSER


def _inline_math(source: str) -> str:
    try:
        return latex_to_unicode(source)
    except _Unsupported:
        return f"${source}$"


def _inline_runs(children: list) -> list[tuple[str, str]]:
    """(style, text) runs of a paragraph; ("display", formula) for a `$$...$$` inside it."""
    runs: list[tuple[str, str]] = []
    bold = italic = 0
    links: list[tuple[str, int]] = []
    for token in children:
        style = ("B" if bold else "") + ("I" if italic else "")
        kind = token.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold = max(0, bold - 1)
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic = max(0, italic - 1)
        elif kind == "softbreak":
            runs.append((style, " "))
        elif kind == "hardbreak":
            runs.append((style, "\n"))
        elif kind == "code_inline":
            runs.append(("code", token.content))
        elif kind == "math_inline":
            runs.append((style, _inline_math(token.content)))
        elif kind == "math_inline_double":
            runs.append(("display", token.content))
        elif kind == "link_open":
            links.append((str(token.attrGet("href") or ""), len(runs)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            if href and href != "".join(text for _, text in runs[start:]):
                runs.append((style, f" ({href})"))
        elif kind == "image":
            runs.append((style + ("" if italic else "I"), f"[image: {token.content}]"))
        elif token.content:
            runs.append((style, token.content))
    return runs


_LEAVES = {"paragraph_open", "heading_open", "fence", "code_block", "math_block", "math_block_label", "hr",
           "html_block"}
_REFERENCE = re.compile(r" {0,3}\[[^\]]+\]:")  # `[id]: url` defines a link and makes no block


def _loses_lines(tokens: list, markdown: str) -> bool:
    """Whether some line with text is in no block: markdown-it drops everything after lists or quotes
    nested deeper than its limit (20 levels) rather than recurse on."""
    covered: set[int] = set()
    for token in tokens:
        if token.type in _LEAVES and token.map:
            covered.update(range(*token.map))
    return any(number not in covered and re.search(r"\w", line) and not _REFERENCE.match(line)
               for number, line in enumerate(markdown.split("\n")))


def _blocks(markdown: str) -> list[_Block]:
    """The blocks of a markdown text, in order, for `_Renderer`; its paragraphs as typed when
    markdown-it would leave some of it out."""
    tokens = _markdown_parser().parse(markdown)
    if _loses_lines(tokens, markdown):
        return [_Block("text", [("", part.strip())]) for part in re.split(r"\n\s*\n", markdown) if part.strip()]
    blocks: list[_Block] = []
    lists: list[int | None] = []  # the open lists: None for bullets, else the next number
    quotes = heading = 0
    bullet = ""
    for token in tokens:
        kind = token.type
        indent = min(len(lists) + quotes, _MAX_INDENT)
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append(None if kind == "bullet_list_open" else 1)
        elif kind in ("bullet_list_close", "ordered_list_close") and lists:
            lists.pop()
        elif kind == "list_item_open":
            bullet = "•" if not lists or lists[-1] is None else f"{token.info or lists[-1]}{token.markup}"
        elif kind == "blockquote_open":
            quotes += 1
        elif kind == "blockquote_close":
            quotes = max(0, quotes - 1)
        elif kind == "heading_open":
            heading = int(token.tag[1:]) if token.tag[1:].isdigit() else 6
        elif kind == "heading_close":
            heading = 0
        elif kind == "inline":
            runs = _inline_runs(token.children or [])
            size = {1: 13.0, 2: 12.0, 3: 11.0}.get(heading, 10.0)
            if heading:
                runs = [(s if s in ("code", "display") or "B" in s else "B" + s, t) for s, t in runs]
            current = _Block("text", [], indent, bullet, size)
            for style, text in runs:
                if style == "display":
                    blocks.append(current)
                    blocks.append(_Block("math", indent=indent, source=text))
                    current = _Block("text", [], indent, "", size)
                elif current.runs and current.runs[-1][0] == style:  # fewer, longer runs: faster to lay out
                    current.runs[-1] = (style, current.runs[-1][1] + text)
                else:
                    current.runs.append((style, text))
            blocks.append(current)
            bullet = ""
        elif kind in ("fence", "code_block"):
            blocks.append(_Block("code", indent=indent, bullet=bullet, source=token.content.rstrip("\n")))
            bullet = ""
        elif kind in ("math_block", "math_block_label"):
            blocks.append(_Block("math", indent=indent, source=token.content,
                                 label=token.info if kind == "math_block_label" else ""))
        elif kind == "hr":
            blocks.append(_Block("rule", indent=indent))
        elif kind == "html_block":
            blocks.append(_Block("text", [("", token.content.strip())], indent))
    return [b for b in blocks if b.kind != "text" or b.bullet or "".join(t for _, t in b.runs).strip()]


@functools.lru_cache(maxsize=256)  # students copy the prompts' formulas: each is drawn once per run
def _mathtext_png(formula: str) -> tuple[bytes, int, int] | None:
    """A display formula drawn by matplotlib's mathtext: (PNG, width px, height px), or None."""
    try:
        _math_tree(formula)  # balanced braces, not nested too deeply
    except _Unsupported:
        return None
    try:
        import matplotlib
        import matplotlib.style
        from matplotlib.font_manager import FontProperties
        from matplotlib.mathtext import math_to_image
        from PIL import Image

        png = io.BytesIO()
        # display style, as in LaTeX and Jupyter: full-size fractions
        display = re.sub(r"\\[tc]?frac(?![A-Za-z])", r"\\dfrac", formula)
        # matplotlib's defaults, whatever the matplotlibrc says: the same PNG everywhere, and
        # never text.usetex, which would run LaTeX on the student's text
        with matplotlib.style.context("default"), matplotlib.rc_context({"text.usetex": False}), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. a glyph DejaVu does not have
            math_to_image(f"${display}$", png, prop=FontProperties(family="DejaVu Sans", size=11),
                          dpi=_MATH_DPI, format="png")
        with Image.open(io.BytesIO(png.getvalue())) as picture:
            width, height = picture.size
    except Exception:  # mathtext's parse errors, RecursionError, ...: show it as text instead
        return None
    return png.getvalue(), width, height


class _Renderer:
    """Draws markdown on an fpdf2 page between `left` and the right margin."""

    def __init__(self, pdf) -> None:
        self.pdf = pdf
        self.fonts: set[tuple[str, str]] = set()
        self.paths = _font_paths()
        self.images = 0

    def font(self, style: str, size: float) -> None:
        family, style = ("DejaVuMono", "") if style == "code" else ("DejaVu", style)
        if (family, style) not in self.fonts:  # only the faces used: loading one costs ~50 ms
            self.pdf.add_font(family, style, str(self.paths[family, style]))
            self.fonts.add((family, style))
        self.pdf.set_font(family, style, size)

    def plain(self, text: str, style: str = "", size: float = 10.0, align: str = "L") -> None:
        self.font(style, size)
        self.pdf.multi_cell(0, _LINE * size / 10, _printable(text), align=align, new_x="LMARGIN", new_y="NEXT")

    def markdown(self, text: str, left: float) -> None:
        text = _printable(text)
        try:
            blocks = _blocks(text)
        except Exception:  # markdown-it does not fail on text, but a PDF must not depend on that
            blocks = [_Block("text", [("", text)])]
        for index, block in enumerate(blocks):
            if index:
                self.pdf.ln(1.5)
            self.pdf.set_left_margin(left + block.indent * _INDENT)
            self.pdf.set_x(self.pdf.l_margin)
            try:
                self.block(block)
            except Exception:  # e.g. fpdf2 refusing a layout: show the piece as text
                self.pdf.set_left_margin(left)
                self.pdf.set_x(left)
                raw = block.source or "".join(text for _, text in block.runs)
                try:
                    self.plain(raw)
                except Exception:
                    self.plain("(this part of the text could not be shown)", "I")
        self.pdf.set_left_margin(left)

    def block(self, block: _Block) -> None:
        pdf, height = self.pdf, _LINE * block.size / 10
        if block.bullet:
            self.font("", block.size)
            pdf.set_x(pdf.l_margin - _INDENT)
            pdf.write(height, block.bullet)
            pdf.set_x(max(pdf.get_x() + 1.5, pdf.l_margin))
        if block.kind == "text":
            runs = [(style, text) for style, text in block.runs if text]
            if runs:  # no space at the start (text after a $$ formula) or end of a paragraph
                runs[0] = (runs[0][0], runs[0][1].lstrip(" "))
                runs[-1] = (runs[-1][0], runs[-1][1].rstrip())
            for style, text in runs:
                self.font(style, block.size - (0.5 if style == "code" else 0))
                self.write(height, _printable(text))
            pdf.ln(height)
        elif block.kind == "code":
            pdf.set_x(pdf.l_margin)
            self.plain(block.source or " ", "code", 9.0)
        elif block.kind == "math":
            self.display_math(block.source, block.label)
        elif block.kind == "rule":
            pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
            pdf.ln(2)

    def write(self, height: float, text: str) -> None:
        """`pdf.write`, which breaks a word that does not fit on the line a run starts on (it sees no
        space to break at): such a word starts the next line instead."""
        pdf = self.pdf
        word = re.match(r"\S+", text)
        if word and pdf.get_x() > pdf.l_margin + 0.01:
            room = pdf.w - pdf.r_margin - pdf.get_x() - 2 * pdf.c_margin
            if pdf.get_string_width(word.group()) > room:
                pdf.ln(height)
        pdf.write(height, text)

    def display_math(self, source: str, label: str) -> None:
        pdf = self.pdf
        formula = " ".join(source.split())
        label = f"   ({label})" if label else ""
        if pdf.get_x() > pdf.l_margin + 0.01:
            pdf.ln(_LINE)
        image = self.math_image(formula)
        if image is None:
            try:
                self.plain(latex_to_unicode(formula) + label, align="C")
            except _Unsupported:
                self.plain(f"$${source}$${label}")
            return
        png, width, height = image
        room = pdf.w - pdf.r_margin - pdf.l_margin
        if width > room:
            width, height = room, height * room / width
        pdf.ln(0.5)
        pdf.image(png, x=pdf.l_margin + (room - width) / 2, w=width, h=height)
        pdf.ln(0.5)
        if label:
            y = pdf.get_y()
            pdf.set_xy(pdf.l_margin, y - (height + _LINE) / 2)
            self.plain(label.strip(), align="R")
            pdf.set_y(y)

    def math_image(self, formula: str):
        """(PNG, width mm, height mm) of a formula drawn by mathtext, or None."""
        if not formula or len(formula) > _MAX_IMAGE_MATH or self.images >= _MAX_IMAGES:
            return None
        drawn = _mathtext_png(formula)
        if drawn is None:
            return None
        self.images += 1
        png, width, height = drawn
        return io.BytesIO(png), width / _MATH_DPI * 25.4, height / _MATH_DPI * 25.4

    def shade(self, start: tuple[int, float], end: tuple[int, float], left: float, right: float) -> None:
        """Grey behind what was drawn from `start` to `end` ((page, y) each): drawn afterwards, so it
        multiplies (white becomes grey, black stays black) instead of covering the text."""
        pdf = self.pdf
        current = pdf.page
        for page in range(start[0], end[0] + 1):
            top = start[1] if page == start[0] else pdf.t_margin
            bottom = end[1] if page == end[0] else pdf.page_break_trigger
            if bottom - top > 0.1:
                pdf.page = page
                with pdf.local_context(blend_mode="MULTIPLY", fill_color=_SHADE):
                    pdf.rect(left, top, right - left, bottom - top, style="F")
        pdf.page = current


def write_answer_pdf(*, path: Path, title: str, answers: list[WrittenAnswer]) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_creation_date(_EPOCH)  # also the seed of the file's /ID
    render = _Renderer(pdf)
    pdf.set_title(title)
    pdf.add_page()
    render.plain(title, "B", 14)
    total = sum(a.question.points for a in answers if a.question)
    render.plain(f"Written answers ({sum(1 for a in answers if a.question)} questions, {total:g} points). "
                 f"Written score: ______ / {total:g}")
    left, right = pdf.l_margin, pdf.w - pdf.r_margin
    for answer in answers:
        pdf.ln(4)
        label = (f"{answer.question.name} ({answer.question.points:g} points)   score: ____ / "
                 f"{answer.question.points:g}" if answer.question else "question not in the master")
        render.plain(label, "B", 11)
        render.markdown(answer.prompt, left)
        pdf.ln(1)
        start = (pdf.page, pdf.get_y())
        pdf.ln(1.5)
        pdf.set_right_margin(pdf.w - right + 2)
        if answer.answer:
            render.markdown(answer.answer, left + 2)
        else:
            pdf.set_x(left + 2)
            render.plain("(no answer)", "I")
        pdf.ln(1.5)
        pdf.set_right_margin(pdf.w - right)
        pdf.set_left_margin(left)
        render.shade(start, (pdf.page, pdf.get_y()), left, right)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))


@dataclass
class PdfRun:
    written: list[Path]
    failed: list[tuple[Submission, str]]


def write_answer_pdfs(*, paths: list[Path], out_dir: Path, questions: list[ManualQuestion]) -> PdfRun:
    """One PDF per submission, named after the submission; a file that cannot be read is reported
    and skipped, never the end of the batch."""
    run = PdfRun([], [])
    out_dir.mkdir(parents=True, exist_ok=True)
    for submission in discover(paths):
        workdir = Path(tempfile.mkdtemp(prefix="optgrade-pdf-"))
        try:
            notebook = nbformat.read(prepare(submission, workdir), as_version=4)
            title = submission.key + (f"  ({submission.student}, Canvas id {submission.student_id})"
                                      if submission.student_id else "")
            target = out_dir / f"{submission.name}.pdf"
            write_answer_pdf(path=target, title=title, answers=written_answers(notebook, questions))
            run.written.append(target)
        except InvalidSubmission as problem:
            run.failed.append((submission, str(problem)))
        except Exception as error:  # one unrenderable notebook must not cost the others their PDFs
            run.failed.append((submission, f"could not write the PDF: {error!r}"))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return run
