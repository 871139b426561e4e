"""What a grading run leaves in OUTDIR (the class record itself is record.py's).

- `final_grades.csv`: the class's grades, in the format gradebook.py defines (Otter's columns, then
  optgrade's own);
- `question_stats.csv`: per question, in notebook order: mean, share of full marks, zeros;
- `results/<name>.json`: Gradescope's results schema, for every submission;
- `feedback/<name>.txt`: what a student may see (never hidden test output);
- `report.png`: score histogram and per-question share of points earned.

The class statistics (report, question_stats.csv, the summary on stdout) count the same rows: the
submissions with an outcome (graded, timeout, crashed, invalid), not `grader-error` / `not graded`.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from .. import gradebook as book
from ..gradebook import EXTRA_COLUMNS, POINTS_ROW
from ..results import GRADER_ERROR, NOT_GRADED, OUTCOMES, SubmissionResult
from ..safetext import clean_line, clean_text, write_csv
from ..submissions import Submission

STATS_COLUMNS = ("question", "points", "submissions", "mean", "share_of_points", "full_marks", "share_full_marks",
                 "zeros")
NO_FAULT_OF_YOURS = {
    GRADER_ERROR: "Your notebook could not be graded because of a problem with the grader, not with your work. "
                  "Your instructor has been told and will grade it again; you need not do anything.",
    NOT_GRADED: "Your notebook has not been graded yet (grading was stopped before it). It will be graded; "
                "you need not do anything.",
}


def prepare_out_dir(out_dir: Path) -> None:
    """The per-submission folders (never emptied: OUT_DIR is a class record, see record.py)."""
    for folder in ("results", "feedback"):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)


def file_name(submission: Submission) -> str:
    """The name the student gave the file (a bulk download's member: its Canvas name)."""
    return PurePosixPath(submission.key).name if "!" in submission.source else submission.path.name


def results_name(submission: Submission) -> str:
    """The row's results file, relative to OUTDIR (the `results` column)."""
    return book.results_name(submission.name)


def grading_status(result: SubmissionResult) -> str:
    return book.status_label(result.status)


def gradescope_results(result: SubmissionResult, points: dict[str, float]) -> dict:
    """The grader's own results when it wrote any (the hardened grader always does, whatever the
    status); otherwise a zero-score results dict saying why."""
    if result.results_json and result.status not in NO_FAULT_OF_YOURS:
        return result.results_json
    return {
        "score": 0.0,
        "output": NO_FAULT_OF_YOURS.get(result.status) or f"{result.status}: {result.message}".strip(),
        "visibility": "visible",
        "tests": [{"name": question, "score": 0.0, "max_score": possible, "visibility": "visible",
                   "output": f"not graded ({result.status})"} for question, possible in points.items()],
    }


def feedback_text(submission: Submission, result: SubmissionResult, points: dict[str, float]) -> str:
    if result.status in NO_FAULT_OF_YOURS:  # the reason is the instructor's to read (final_grades.csv)
        return (f"Submission: {clean_line(file_name(submission))}\nStatus: {result.status}\n\n"
                f"{NO_FAULT_OF_YOURS[result.status]}\n")
    lines = [f"Submission: {clean_line(file_name(submission))}",
             f"Status: {result.status}" + (f" ({result.message.splitlines()[0][:300]})" if result.message else ""),
             f"Autograded score: {result.earned:g} / {sum(points.values()):g}", "", "Per question:"]
    for question, possible in points.items():
        score = result.scores.get(question)
        earned = score.earned if score else 0.0
        mark = "" if earned >= possible else "   <- lost points"
        lines.append(f"  {question:<14} {earned:>5g} / {possible:g}{mark}")
        # the instructor's hint for each failed hidden test: what to look at, never the test itself
        lines += [f"      hint: {hint}" for hint in dict.fromkeys(result.hints.get(question, []))]
    visible = [t for t in result.results_json.get("tests", []) if t.get("visibility") == "visible"
               and t.get("output")]
    if visible:
        lines += ["", "Public test results:"]
        for test in visible:
            lines += [f"--- {test.get('name', '')} ---", str(test["output"]).rstrip()]
    lines += ["", "Written answers are graded by hand and are not included here."]
    return "\n".join(lines) + "\n"


def record(out_dir: Path, submission: Submission, result: SubmissionResult, points: dict[str, float]) -> None:
    results = gradescope_results(result, points)
    (out_dir / "results" / f"{submission.name}.json").write_text(json.dumps(results, indent=2))
    # Names, messages and test output come from the submission: no control characters reach the reader.
    feedback = clean_text(feedback_text(submission, result, points))
    (out_dir / "feedback" / f"{submission.name}.txt").write_text(feedback, encoding="utf-8")


def grades_rows(graded: list[tuple[Submission, SubmissionResult]], points: dict[str, float]) -> list[dict]:
    questions = sorted(points)  # Otter sorts the question columns too
    possible = sum(points.values())
    rows = [{book.FILE: POINTS_ROW, **{q: f"{points[q]:g}" for q in questions},
             book.TOTAL: f"{possible:g}", book.PERCENT: "1", book.STATUS: "--", **{c: "" for c in EXTRA_COLUMNS}}]
    for submission, result in graded:
        earned = {q: (result.scores[q].earned if q in result.scores else 0.0) for q in questions}
        total = round(sum(earned.values()), 6)
        rows.append({
            book.FILE: submission.key, **{q: f"{earned[q]:g}" for q in questions},
            book.TOTAL: f"{total:g}",
            book.PERCENT: f"{(total / possible if possible else 0):.4f}",
            book.STATUS: grading_status(result),
            "student": submission.student, "student_id": submission.student_id,
            "attachment_id": submission.attachment_id, "late": "true" if submission.late else "false",
            "message": clean_line(result.message.splitlines()[0][:300]) if result.message else "",
            "seconds": f"{result.seconds:.1f}", book.RESULTS: results_name(submission),
        })
    return rows


def write_grades_csv(path: Path, rows: list[dict]) -> None:
    write_csv(path, rows, list(rows[0]))  # text cleaned, formula-like cells neutralised


def with_outcome(graded: list[tuple[Submission, SubmissionResult]]) -> list[SubmissionResult]:
    """The rows the class statistics count: those with a grade of their own (see the module doc)."""
    return [result for _, result in graded if result.status in OUTCOMES]


def question_stats(results: list[SubmissionResult], points: dict[str, float]) -> list[dict]:
    """One row per question, in the order of `points` (the notebook's)."""
    rows = []
    for question in points:
        earned = [r.scores[question].earned if question in r.scores else 0.0 for r in results]
        full = sum(1 for e in earned if e >= points[question] - 1e-9)
        count = len(earned)
        rows.append({"question": question, "points": f"{points[question]:g}", "submissions": count,
                     "mean": f"{sum(earned) / count:.3f}" if count else "",
                     "share_of_points": f"{sum(earned) / (points[question] * count):.3f}" if count else "",
                     "full_marks": full, "share_full_marks": f"{full / count:.3f}" if count else "",
                     "zeros": sum(1 for e in earned if e <= 1e-9)})
    return rows


def write_report_png(path: Path, results: list[SubmissionResult], points: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals = [result.earned for result in results]
    possible = sum(points.values())
    order = list(points)
    shares = [float(row["share_of_points"] or 0) for row in question_stats(results, points)]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.hist(totals, bins=min(28, max(5, int(possible) + 1)), range=(0, possible), color="#4477aa")
    left.set(title=f"Autograded scores ({len(results)} submissions with an outcome)",
             xlabel=f"points (of {possible:g})", ylabel="submissions")
    right.barh(order[::-1], [100 * s for s in shares[::-1]], color="#66aa55")
    right.set(title="Share of points earned per question", xlabel="% of possible points", xlim=(0, 100))
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def write_class_files(record, points: dict[str, float]) -> list[Path]:
    """final_grades.csv, question_stats.csv and report.png from every row of `record` (a
    ClassRecord), questions in the order of `points`; returns the backups of the versions replaced."""
    graded = [(entry.submission, entry.result) for entry in record.rows()]
    counted = with_outcome(graded)
    writers = {
        "final_grades.csv": lambda path: write_grades_csv(path, grades_rows(graded, points)),
        "question_stats.csv": lambda path: write_csv(path, question_stats(counted, points), STATS_COLUMNS),
        "report.png": lambda path: write_report_png(path, counted, points),
    }
    backups = [record.replace_class_file(name, write) for name, write in writers.items()]
    return [b for b in backups if b]
