"""Canvas's gradebook import (Grades > Import): the roster's students with this assignment's total,
built on the shared export steps of shared.py."""

from __future__ import annotations

from pathlib import Path

from .shared import ExportError, ExportResult, ExportRun, csv_rows, fmt, join_students, load_class, read_mapping

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_POSSIBLE = "    Points Possible"  # indented exactly as in Canvas's own export


def read_canvas_roster(path: Path) -> list[dict[str, str]]:
    """The students of Canvas's gradebook export (without its Points Possible row and other columns)."""
    header, rows = csv_rows(path, "roster")
    if "Student" not in header or "ID" not in header:
        raise ExportError(f"the roster {path} is not a Canvas gradebook export (no Student and ID columns)")
    students, seen = [], set()
    for line, row in enumerate(rows, start=2):
        if row["Student"].strip() == "Points Possible" or not row["ID"]:
            continue  # Canvas's second row, or its "Manual Posting" row (no student id)
        if row["ID"] in seen:
            raise ExportError(f"{path.name} row {line}: Canvas id {row['ID']} appears twice")
        seen.add(row["ID"])
        students.append({c: row.get(c, "") for c in CANVAS_COLUMNS})
    return students


def export_canvas(*, grades_csv: Path, roster: Path, out: Path, assignment: str, assignment_id: str,
                  mapping: Path | None = None, manual: Path | None = None, master: Path | None = None,
                  late_penalty: float = 0.0, missing: str = "empty") -> ExportResult:
    """A CSV for Canvas's gradebook import: the roster's students with this assignment's total."""
    grades, manual_scores, scored = load_class(grades_csv=grades_csv, manual_csv=manual, master=master,
                                               late_penalty=late_penalty, missing=missing)
    mapped = read_mapping(mapping, id_column="canvas_id", known={r.file for r in grades.rows}) if mapping else {}
    students = read_canvas_roster(roster)
    keys = {e.row.file: ((mapped[e.row.file], "the mapped Canvas id") if e.row.file in mapped else
                         (e.row.student_id, "Canvas id") if e.row.student_id else
                         ("", "not a Canvas bulk-download name and not in the mapping file")) for e in scored}
    run = ExportRun(grades, manual_scores, join_students(scored, keys=keys, known={s["ID"] for s in students}),
               late_penalty, missing, mapped)
    rows = [[*CANVAS_COLUMNS, f"{assignment} ({assignment_id})"],
            [CANVAS_POINTS_POSSIBLE, "", "", "", "", fmt(run.possible)]]
    for student in students:
        entry = run.join.counted.get(student["ID"])
        rows.append([*(student[c] for c in CANVAS_COLUMNS),
                     fmt(entry.total) if entry else ("0" if missing == "zero" else "")])
    return run.finish(out, rows, [(s["ID"], s["Student"]) for s in students])
