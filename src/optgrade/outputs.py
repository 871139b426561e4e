"""What a grading run leaves in OUTDIR.

- `final_grades.csv`: Otter's format (a `points-per-question` row first; `file`, one column per
  question, `total_points_earned`, `percent_correct`, `grading_status`) plus Canvas columns;
- `results/<submission>.json`: Gradescope's results schema, for every submission;
- `feedback/<submission>.txt`: what a student may see (never hidden test output);
- `report.png`: score histogram and per-question share of points earned.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .results import GRADED, SubmissionResult
from .safetext import clean_line, clean_text, write_csv
from .submissions import Submission

STATUS_LABELS = {GRADED: "Completed"}  # Otter's own word for a graded submission
CANVAS_COLUMNS = ("student", "student_id", "attachment_id", "late")


def prepare_out_dir(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for folder in ("results", "feedback"):
        if (out_dir / folder).exists():
            shutil.rmtree(out_dir / folder)  # stale files from an earlier run would mislead
        (out_dir / folder).mkdir()


def grading_status(result: SubmissionResult) -> str:
    return STATUS_LABELS.get(result.status, result.status)


def gradescope_results(result: SubmissionResult, points: dict[str, float]) -> dict:
    """The grader's own results when it wrote any (the hardened grader always does, whatever the
    status); otherwise a zero-score results dict saying why."""
    if result.results_json:
        return result.results_json
    return {
        "score": 0.0,
        "output": f"{result.status}: {result.message}".strip(),
        "visibility": "visible",
        "tests": [{"name": question, "score": 0.0, "max_score": possible, "visibility": "visible",
                   "output": f"not graded ({result.status})"} for question, possible in points.items()],
    }


def feedback_text(submission: Submission, result: SubmissionResult, points: dict[str, float]) -> str:
    lines = [f"Submission: {clean_line(submission.path.name)}",
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
    rows = [{"file": "points-per-question", **{q: f"{points[q]:g}" for q in questions},
             "total_points_earned": f"{possible:g}", "percent_correct": "1", "grading_status": "--",
             **{c: "" for c in CANVAS_COLUMNS}, "message": ""}]
    for submission, result in graded:
        earned = {q: (result.scores[q].earned if q in result.scores else 0.0) for q in questions}
        total = round(sum(earned.values()), 6)
        rows.append({
            "file": submission.key, **{q: f"{earned[q]:g}" for q in questions},
            "total_points_earned": f"{total:g}",
            "percent_correct": f"{(total / possible if possible else 0):.4f}",
            "grading_status": grading_status(result),
            "student": submission.student, "student_id": submission.student_id,
            "attachment_id": submission.attachment_id, "late": "true" if submission.late else "false",
            "message": clean_line(result.message.splitlines()[0][:300]) if result.message else "",
        })
    return rows


def write_grades_csv(path: Path, rows: list[dict]) -> None:
    write_csv(path, rows, list(rows[0]))  # text cleaned, formula-like cells neutralised


def write_report_png(path: Path, graded: list[tuple[Submission, SubmissionResult]],
                     points: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals = [result.earned for _, result in graded]
    possible = sum(points.values())
    questions = list(points)
    shares = [sum((r.scores[q].earned if q in r.scores else 0.0) for _, r in graded)
              / (points[q] * len(graded)) if graded else 0.0 for q in questions]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.hist(totals, bins=min(28, max(5, int(possible) + 1)), range=(0, possible), color="#4477aa")
    left.set(title=f"Autograded scores ({len(graded)} submissions)", xlabel=f"points (of {possible:g})",
             ylabel="submissions")
    right.barh(questions[::-1], [100 * s for s in shares[::-1]], color="#66aa55")
    right.set(title="Share of points earned per question", xlabel="% of possible points", xlim=(0, 100))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_class_files(out_dir: Path, graded: list[tuple[Submission, SubmissionResult]],
                      points: dict[str, float]) -> None:
    write_grades_csv(out_dir / "final_grades.csv", grades_rows(graded, points))
    write_report_png(out_dir / "report.png", graded, points)
