"""What every export to the LMS shares (Canvas's is in canvas.py, Moodle's in moodle.py).

Each export: read final_grades.csv -> add the TAs' manual points -> apply the late penalty -> join
submissions to students -> write FILE (what the LMS imports), FILE.report.csv (per student: status,
late, autograded and manual points, written questions not graded yet, penalty, total) and
FILE.unmatched.csv (submissions that match no student; written even when empty, so that a stale list
cannot mislead). Nothing is dropped silently: every problem is also returned for stderr.

Late penalty: a late submission loses PERCENT % of its points earned (autograded + manual), rounded
to 2 decimals: total = earned - round(earned * PERCENT / 100, 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OptgradeError
from .. import gradebook as book
from ..gradebook import COMPLETED, POINTS_ROW
from ..results import GRADER_ERROR, NOT_GRADED
from ..manual.scores import ManualScores, default_master, manual_questions, read_manual_scores
from ..safetext import clean_line, match_key, restore, write_csv

UNFINISHED = (GRADER_ERROR, NOT_GRADED)  # rows with no grade yet: exporting them would blame the student
REPORT_COLUMNS = ("student_key", "name", "file", "grading_status", "late", "autograded", "manual",
                  "manual_not_graded", "late_penalty", "total", "note")
UNMATCHED_COLUMNS = ("file", "student", "student_id", "attachment_id", "late", "total", "reason")
MISSING = ("empty", "zero")


class ExportError(OptgradeError):
    """An input of an export (grades, roster, mapping) cannot be used; the message says why."""


@dataclass(frozen=True)
class GradeRow:
    file: str
    scores: dict[str, float]
    autograded: float
    status: str
    student: str = ""
    student_id: str = ""
    attachment_id: str = ""
    late: bool = False
    message: str = ""
    results: str = ""  # its results file, relative to the grades file's folder


@dataclass(frozen=True)
class ClassGrades:
    points: dict[str, float]
    rows: list[GradeRow]

    @property
    def possible(self) -> float:
        return round(sum(self.points.values()), 6)


@dataclass(frozen=True)
class Scored:
    row: GradeRow
    manual: dict[str, float | None]  # question -> points; None: not graded yet
    penalty: float
    total: float

    @property
    def manual_points(self) -> float:
        return round(sum(v for v in self.manual.values() if v is not None), 6)

    @property
    def not_graded(self) -> list[str]:
        return [q for q, v in self.manual.items() if v is None]


@dataclass
class ExportResult:
    output: Path
    report: Path
    unmatched_file: Path
    students: int = 0
    unmatched: int = 0
    messages: list[str] = field(default_factory=list)  # for stderr


def csv_rows(path: Path, what: str) -> tuple[list[str], list[dict[str, str]]]:
    try:
        return book.read_rows(path)
    except book.NotAGradebook as error:
        raise ExportError(f"the {what}: {error}")


def _number(text: str, where: str) -> float:
    try:
        return float(text or 0)
    except ValueError:
        raise ExportError(f"{where}: {text!r} is not a number")


def fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def read_grades(path: Path) -> ClassGrades:
    """final_grades.csv as written by `optgrade grade` (the points-per-question row first); cells we
    neutralised for spreadsheets (`'=...`) are read back as the names they stand for."""
    header, rows = csv_rows(path, "grades file")
    rows = [{column: restore(clean_line(value)) for column, value in row.items()} for row in rows]
    try:
        questions = book.check_header(header, path)
    except book.NotAGradebook as error:
        raise ExportError(str(error))
    if not rows or rows[0][book.FILE] != POINTS_ROW:
        raise ExportError(f"{path}: the first row must be the {POINTS_ROW!r} row")
    points = {q: _number(rows[0][q], f"{path.name} {POINTS_ROW} {q}") for q in questions}
    graded = []
    for line, row in enumerate(rows[1:], start=3):
        where = f"{path.name} row {line}"
        graded.append(GradeRow(
            file=row[book.FILE], scores={q: _number(row[q], f"{where} {q}") for q in questions},
            autograded=_number(row[book.TOTAL], f"{where} {book.TOTAL}"),
            status=row[book.STATUS], student=row.get("student", ""), student_id=row.get("student_id", ""),
            attachment_id=row.get("attachment_id", ""), late=row.get("late", "").lower() == "true",
            message=row.get("message", ""), results=row.get(book.RESULTS, "")))
    return ClassGrades(points, graded)


def score_class(grades: ClassGrades, *, manual: ManualScores | None = None, late_penalty: float = 0.0
                ) -> list[Scored]:
    if not 0 <= late_penalty <= 100:
        raise ExportError(f"the late penalty is a percentage from 0 to 100, not {late_penalty:g}")
    scored = []
    for row in grades.rows:
        marks = manual.for_file(row.file) if manual else {}
        earned = round(row.autograded + sum(v for v in marks.values() if v is not None), 6)
        penalty = round(earned * late_penalty / 100, 2) if row.late else 0.0
        scored.append(Scored(row, marks, penalty, round(earned - penalty, 2)))
    return scored


def read_mapping(path: Path, *, id_column: str, known: set[str] | frozenset[str] = frozenset()) -> dict[str, str]:
    """file -> student identifier, for submissions whose names carry none (not Canvas-named). A file
    cell may be the key as final_grades.csv shows it (`'=x.ipynb`) or the raw name (`=x.ipynb`): both
    mean the key in `known` (the grades file's keys)."""
    header, rows = csv_rows(path, "mapping file")
    if "file" not in header or id_column not in header:
        raise ExportError(f"the mapping file {path} needs the columns file,{id_column} (has {','.join(header)})")
    mapping: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        if not row["file"] and not row[id_column]:
            continue
        if not row["file"] or not row[id_column]:
            raise ExportError(f"{path.name} row {line}: both file and {id_column} are needed")
        file = match_key(row["file"], known)
        if file in mapping and mapping[file] != row[id_column]:
            raise ExportError(f"{path.name} row {line}: {file} is mapped twice")
        mapping[file] = row[id_column]
    return mapping


@dataclass
class Join:
    counted: dict[str, Scored]  # student key -> the submission that counts
    unmatched: list[tuple[Scored, str]]
    notes: list[str]
    ignored: dict[str, list[str]] = field(default_factory=dict)  # student key -> earlier submissions


def join_students(scored: list[Scored], *, keys: dict[str, tuple[str, str]], known: set[str] | None) -> Join:
    """`keys`: file -> (student key or "", why there is none). `known`: the roster's keys, if any.
    Of two submissions for one student the highest Canvas attachment id (the latest upload) counts;
    without attachment ids there is no safe choice, so that is an error."""
    by_key: dict[str, list[Scored]] = {}
    unmatched = []
    for entry in scored:
        key, reason = keys.get(entry.row.file, ("", "no student identifier"))
        if not key:
            unmatched.append((entry, reason))
        elif known is not None and key not in known:
            unmatched.append((entry, f"{reason or 'student'} {key} is not in the roster"))
        else:
            by_key.setdefault(key, []).append(entry)
    counted, notes, ignored = {}, [], {}
    for key, entries in by_key.items():
        if len(entries) > 1:
            if not all(e.row.attachment_id.isdigit() for e in entries):
                raise ExportError(f"student {key} has {len(entries)} submissions "
                                  f"({', '.join(e.row.file for e in entries)}) and no attachment ids "
                                  "tell which is the latest; remove all but one from the mapping file")
            entries = sorted(entries, key=lambda e: int(e.row.attachment_id), reverse=True)
            ignored[key] = [e.row.file for e in entries[1:]]
            notes.append(f"duplicate: student {key} has {len(entries)} submissions; counting the latest, "
                         f"{entries[0].row.file}; ignoring {', '.join(ignored[key])}")
        counted[key] = entries[0]
    return Join(counted, unmatched, notes, ignored)


def _student_notes(entry: Scored, late_penalty: float) -> list[tuple[str, str]]:
    notes = []
    if entry.row.status != COMPLETED:
        notes.append(("not autograded", entry.row.status + (f": {entry.row.message}" if entry.row.message else "")))
    if entry.row.late:
        notes.append(("late", f"-{fmt(entry.penalty)} points ({late_penalty:g}% penalty)" if late_penalty
                      else "no penalty applied"))
    if entry.not_graded:
        notes.append(("written answers not graded yet", ", ".join(entry.not_graded)))
    return notes


@dataclass
class ExportRun:
    """One export's inputs after reading, scoring and joining."""
    grades: ClassGrades
    manual: ManualScores | None
    join: Join
    late_penalty: float
    missing: str
    mapping: dict[str, str]

    @property
    def possible(self) -> float:
        return self.grades.possible + (self.manual.possible if self.manual else 0.0)

    def report_row(self, key: str, name: str) -> dict:
        entry, empty = self.join.counted.get(key), "0" if self.missing == "zero" else ""
        if entry is None:
            return {"student_key": key, "name": name, "total": empty, "note": "no submission"}
        return {"student_key": key, "name": name, "file": entry.row.file, "grading_status": entry.row.status,
                "late": "true" if entry.row.late else "false", "autograded": fmt(entry.row.autograded),
                "manual": fmt(entry.manual_points) if entry.manual else "",
                "manual_not_graded": " ".join(entry.not_graded), "late_penalty": fmt(entry.penalty),
                "total": fmt(entry.total),
                "note": "; ".join([f"{kind}: {detail}" for kind, detail in _student_notes(entry, self.late_penalty)]
                                  + [f"earlier submission ignored: {f}" for f in self.join.ignored.get(key, [])])}

    def finish(self, out: Path, rows: list[list[str]], students: list[tuple[str, str]]) -> ExportResult:
        """Write the LMS file `rows`, the report over `students` (key, name) and the unmatched list."""
        result = ExportResult(out, Path(f"{out}.report.csv"), Path(f"{out}.unmatched.csv"), students=len(students),
                              unmatched=len(self.join.unmatched))
        write_csv(out, rows)  # every cell cleaned, formula-like ones neutralised
        write_csv(result.report, [self.report_row(key, name) for key, name in students], REPORT_COLUMNS)
        write_csv(result.unmatched_file, [
            {"file": e.row.file, "student": e.row.student, "student_id": e.row.student_id,
             "attachment_id": e.row.attachment_id, "late": "true" if e.row.late else "false",
             "total": fmt(e.total), "reason": reason} for e, reason in self.join.unmatched], UNMATCHED_COLUMNS)
        counted = [(name or key, self.join.counted[key]) for key, name in students if key in self.join.counted]
        messages = [f"unmatched: {e.row.file} ({reason}); not exported" for e, reason in self.join.unmatched]
        messages += self.join.notes
        messages += [f"{kind}: {entry.row.file} ({name}): {detail}"
                     for name, entry in counted for kind, detail in _student_notes(entry, self.late_penalty)]
        known_files = {r.file for r in self.grades.rows}
        messages += [f"mapping: {file} is not in the grades file (ignored)" for file in self.mapping
                     if file not in known_files]
        if len(students) > len(counted):
            messages.append(f"missing: {len(students) - len(counted)} students have no submission "
                            f"({'0' if self.missing == 'zero' else 'empty cell'})")
        result.messages = messages
        return result


def load_class(*, grades_csv: Path, manual_csv: Path | None = None, master: Path | None = None,
               late_penalty: float = 0.0, missing: str = "empty", unfinished_ok: bool = False
               ) -> tuple[ClassGrades, ManualScores | None, list[Scored]]:
    """The class's grades, manual points and totals. A row without a grade yet (grader-error, not
    graded) stops an export: its 0 would reach the LMS as the student's grade."""
    if missing not in MISSING:
        raise ExportError(f"--missing is one of {', '.join(MISSING)}, not {missing!r}")
    grades = read_grades(grades_csv)
    unfinished = [r for r in grades.rows if r.status in UNFINISHED]
    if unfinished and not unfinished_ok:
        listed = ", ".join(f"{r.file} ({r.status})" for r in unfinished[:10])
        raise ExportError(f"{len(unfinished)} submissions in {grades_csv} have no grade yet: {listed}. Run the same "
                          "`optgrade grade` command again (it grades only those), then export; nothing was exported")
    manual = read_manual_scores(path=manual_csv, questions=manual_questions(master=master or default_master()),
                                submissions=[r.file for r in grades.rows]) if manual_csv else None
    return grades, manual, score_class(grades, manual=manual, late_penalty=late_penalty)
