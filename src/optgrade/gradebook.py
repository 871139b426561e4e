"""The contract of `final_grades.csv`, the record of a graded class: defined here once, imported by
its writer (outputs.py) and every reader (export.py, manual.py, gradescope.py).

Otter's format, first: a `points-per-question` row, then one row per submission with `file` (the
submission's key, unique within the batch), one column per question (sorted, as Otter sorts them),
`total_points_earned`, `percent_correct` and `grading_status` (Otter's `Completed` for a graded
submission, else optgrade's status word); then optgrade's own columns (EXTRA_COLUMNS): the
student's identity from a Canvas download, a one-line message, the grading's seconds, and the
row's results file.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .results import GRADED

FILE = "file"
TOTAL = "total_points_earned"
PERCENT = "percent_correct"
STATUS = "grading_status"
POINTS_ROW = "points-per-question"  # the `file` of the first row, which holds each question's points
RESULTS = "results"  # the row's Gradescope-schema results file, relative to OUT_DIR
STATUS_LABELS = {GRADED: "Completed"}  # Otter's own word for a graded submission
COMPLETED = STATUS_LABELS[GRADED]
CANVAS_COLUMNS = ("student", "student_id", "attachment_id", "late")
EXTRA_COLUMNS = (*CANVAS_COLUMNS, "message", "seconds", RESULTS)
NOT_QUESTIONS = (FILE, TOTAL, PERCENT, STATUS, *EXTRA_COLUMNS)
REQUIRED = (FILE, TOTAL, STATUS)


def status_label(status: str) -> str:
    """The `grading_status` cell for a result's status."""
    return STATUS_LABELS.get(status, status)


def results_name(name: str) -> str:
    """The `results` cell of the submission whose unique name is `name`."""
    return f"results/{name}.json"


class NotAGradebook(ValueError):
    """The file cannot be read as a final_grades.csv; the message says why."""


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV as a spreadsheet may have saved it (a BOM, padded cells, short rows)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:  # Excel and Canvas may add a BOM
            reader = csv.DictReader(file)
            return [h.strip() for h in reader.fieldnames or []], [
                {(k or "").strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in row.items()}
                for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise NotAGradebook(f"cannot read {path}: {error}")


def check_header(header: list[str], path: Path) -> list[str]:
    """The question columns of a final_grades.csv header; NotAGradebook when a required column is missing."""
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise NotAGradebook(f"{path} is not a final_grades.csv (no column {', '.join(missing)})")
    return [column for column in header if column not in NOT_QUESTIONS]
