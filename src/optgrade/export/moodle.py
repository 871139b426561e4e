"""Moodle's grade import (Grades > Import > CSV file): identifier, grade and feedback columns,
built on the shared export steps of export.py."""

from __future__ import annotations

from pathlib import Path

from .shared import ClassGrades, ExportError, ExportResult, Scored, csv_rows, ExportRun, fmt, join_students, \
    load_class, read_mapping
from ..gradebook import COMPLETED
from ..manual.scores import ManualScores

MOODLE_ID_HEADERS = {"email": ("email", "email address"), "username": ("username",),
                     "idnumber": ("idnumber", "id number")}


def read_moodle_roster(path: Path, *, id_column: str) -> list[dict[str, str]]:
    """Students: Moodle identifier, name, and the Canvas user id that links Canvas-named submissions."""
    header, rows = csv_rows(path, "roster")
    lower = {h.lower(): h for h in header}
    column = next((lower[h] for h in MOODLE_ID_HEADERS[id_column] if h in lower), None)
    if column is None:
        raise ExportError(f"the roster {path} has no {id_column} column ({' or '.join(MOODLE_ID_HEADERS[id_column])})")
    link = next((lower[h] for h in ("student_id", "canvas_id", "id") if h in lower), None)
    students, seen = [], set()
    for line, row in enumerate(rows, start=2):
        key = _moodle_key(row[column], id_column)
        if not key:
            continue
        if key in seen:
            raise ExportError(f"{path.name} row {line}: {id_column} {key} appears twice")
        seen.add(key)
        name = " ".join(row.get(lower.get(h, ""), "") for h in ("first name", "last name")).strip()
        students.append({"key": key, "name": name or row.get(lower.get("student", ""), ""),
                         "link": row[link] if link else ""})
    return students


def _moodle_key(value: str, id_column: str) -> str:
    return value.strip()  # Moodle matches every identifier, e-mail addresses too, case-sensitively


def feedback_text(entry: Scored, *, grades: ClassGrades, manual: ManualScores | None, late_penalty: float,
                  possible: float) -> str:
    """The short per-student summary Moodle shows as feedback."""
    row, parts = entry.row, []
    if row.status != COMPLETED:
        parts.append(f"Not autograded ({row.status}" + (f": {row.message[:200]}" if row.message else "") + ").")
    else:
        lost = [f"{q} {fmt(row.scores[q])}/{fmt(p)}" for q, p in grades.points.items() if row.scores[q] < p]
        parts.append(f"Autograded {fmt(row.autograded)}/{fmt(grades.possible)}"
                     + (f"; points lost: {', '.join(lost)}." if lost else "; no points lost."))
    if manual:
        lost = [f"{q.name} {fmt(entry.manual[q.name])}/{fmt(q.points)}" for q in manual.questions
                if entry.manual.get(q.name) is not None and entry.manual[q.name] < q.points]
        parts.append(f"Written {fmt(entry.manual_points)}/{fmt(manual.possible)}"
                     + (f"; points lost: {', '.join(lost)}" if lost else "")
                     + (f"; not graded yet: {', '.join(entry.not_graded)}" if entry.not_graded else "") + ".")
    if row.late:
        parts.append(f"Late submission: -{fmt(entry.penalty)} points ({late_penalty:g}% penalty)."
                     if late_penalty else "Late submission.")
    parts.append(f"Total {fmt(entry.total)}/{fmt(possible)}.")
    return " ".join(parts)


def export_moodle(*, grades_csv: Path, out: Path, id_column: str, assignment: str, roster: Path | None = None,
                  mapping: Path | None = None, manual: Path | None = None,
                  master: Path | None = None, late_penalty: float = 0.0, missing: str = "empty") -> ExportResult:
    """A CSV for Moodle's grade import: identifier, grade and feedback columns."""
    if id_column not in MOODLE_ID_HEADERS:
        raise ExportError(f"--id-column is one of {', '.join(MOODLE_ID_HEADERS)}, not {id_column!r}")
    if roster is None and mapping is None:
        raise ExportError(f"final_grades.csv has no Moodle identifiers: pass --mapping (file,{id_column}) or --roster")
    grades, manual_scores, scored = load_class(grades_csv=grades_csv, manual_csv=manual, master=master,
                                               late_penalty=late_penalty, missing=missing)
    mapped = ({f: _moodle_key(v, id_column) for f, v in
               read_mapping(mapping, id_column=id_column, known={r.file for r in grades.rows}).items()}
              if mapping else {})
    students = read_moodle_roster(roster, id_column=id_column) if roster else None
    if students and id_column == "email":  # a mapped address in another case means the roster's spelling
        spelled: dict[str, list[str]] = {}
        for student in students:
            spelled.setdefault(student["key"].lower(), []).append(student["key"])
        mapped = {f: v if v in {s["key"] for s in students} or len(spelled.get(v.lower(), [])) != 1
                  else spelled[v.lower()][0] for f, v in mapped.items()}
    by_link = {s["link"]: s["key"] for s in students or [] if s["link"]}
    keys = {e.row.file: ((mapped[e.row.file], id_column) if e.row.file in mapped else
                         (by_link[e.row.student_id], id_column) if e.row.student_id in by_link else
                         ("", "not in the mapping file" + (" and its Canvas id is not in the roster"
                                                            if e.row.student_id else ""))) for e in scored}
    join = join_students(scored, keys=keys, known={s["key"] for s in students} if students is not None else None)
    if students is None:  # no roster: the students are the mapped submissions, in grades order
        students = [{"key": key, "name": join.counted[key].row.student}
                    for key in dict.fromkeys(keys[e.row.file][0] for e in scored) if key in join.counted]
    run = ExportRun(grades, manual_scores, join, late_penalty, missing, mapped)
    rows = [[id_column, assignment, "feedback"]]
    for student in students:
        entry = join.counted.get(student["key"])
        rows.append([student["key"], fmt(entry.total), feedback_text(
            entry, grades=grades, manual=manual_scores, late_penalty=late_penalty, possible=run.possible)]
            if entry else [student["key"], "0" if missing == "zero" else "", "No submission received."])
    return run.finish(out, rows, [(s["key"], s["name"]) for s in students])
