"""Human-readable summaries of grading results."""

from __future__ import annotations

from ..results import SubmissionResult
from ..safetext import clean_line


def _points(value: float) -> str:
    return f"{value:g}"


def points_table(results: list[SubmissionResult]) -> str:
    """A plain-text table: one row per question (with its points), one column per submission."""
    questions: dict[str, float] = {}
    for result in results:
        for question, score in result.scores.items():
            questions.setdefault(question, score.possible)
    names = [clean_line(r.submission) for r in results]
    width = max([len("question")] + [len(q) for q in questions] + [len("total")]) + 2
    columns = [max(len(n), 9) + 2 for n in names]
    lines = ["question".ljust(width) + "points".rjust(8) + "".join(n.rjust(c) for n, c in zip(names, columns))]
    for question, possible in questions.items():
        row = question.ljust(width) + _points(possible).rjust(8)
        for result, column in zip(results, columns):
            score = result.scores.get(question)
            row += (_points(score.earned) if score else "-").rjust(column)
        lines.append(row)
    total = "total".ljust(width) + _points(sum(questions.values())).rjust(8)
    total += "".join(_points(r.earned).rjust(c) for r, c in zip(results, columns))
    status = "status".ljust(width) + "".rjust(8) + "".join(r.status.rjust(c) for r, c in zip(results, columns))
    lines += ["-" * len(total), total, status]
    for result in results:
        if result.message:
            lines.append(clean_line(f"{result.submission}: {result.message.splitlines()[0][:200]}"))
    return "\n".join(lines)


def class_summary(run) -> str:
    """One line per submission of this batch (score, status, late, skipped), then the statistics of
    the whole class record, over the rows with an outcome (as report.png and question_stats.csv)."""
    from ..results import OUTCOMES

    possible = sum(run.points.values())
    rows = [(clean_line(g.submission.key), g) for g in run.graded]  # names come from students
    width = max([len("submission")] + [len(name) for name, _ in rows]) + 2
    lines = ["submission".ljust(width) + "score".rjust(10) + "  status", "-" * (width + 26)]
    for name, graded in rows:
        status = graded.result.status + (" (late)" if graded.submission.late else "")
        status += " (unchanged, not graded again)" if graded.skipped else ""
        lines.append(name.ljust(width) + f"{graded.result.earned:g}/{possible:g}".rjust(10) + "  " + status)
    counted = [g.result for g in run.rows if g.result.status in OUTCOMES]
    others = len(run.rows) - len(counted)
    if run.skipped:
        lines.append(f"{run.skipped} of {len(rows)} unchanged since they were graded (--force grades them again)")
    summary = f"class: {len(run.rows)} submissions in final_grades.csv"
    if counted:
        totals = sorted(r.earned for r in counted)
        middle = len(totals) // 2
        median = totals[middle] if len(totals) % 2 else (totals[middle - 1] + totals[middle]) / 2
        summary += (f"; over the {len(counted)} with an outcome (graded, timeout, crashed, invalid): "
                    f"mean {sum(totals) / len(totals):.2f}, median {median:g} of {possible:g}")
    if others:
        summary += f"; {others} without one (grader-error or not graded)"
    lines.append(summary)
    return "\n".join(lines)
