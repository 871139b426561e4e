"""Human-readable summaries of grading results."""

from __future__ import annotations

from .results import SubmissionResult
from .safetext import clean_line


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


def class_summary(rows: list[tuple[str, SubmissionResult, bool]], points: dict[str, float]) -> str:
    """One line per submission (score, status, late), then the class's statistics."""
    possible = sum(points.values())
    rows = [(clean_line(name), result, late) for name, result, late in rows]  # names come from students
    width = max([len("submission")] + [len(name) for name, _, _ in rows]) + 2
    lines = ["submission".ljust(width) + "score".rjust(10) + "  status", "-" * (width + 26)]
    for name, result, late in rows:
        status = result.status + (" (late)" if late else "")
        lines.append(name.ljust(width) + f"{result.earned:g}/{possible:g}".rjust(10) + "  " + status)
    graded = [result for _, result, _ in rows if result.status == "graded"]
    if graded:
        totals = sorted(r.earned for r in graded)
        middle = len(totals) // 2
        median = totals[middle] if len(totals) % 2 else (totals[middle - 1] + totals[middle]) / 2
        lines.append(f"{len(graded)} of {len(rows)} graded; mean {sum(totals) / len(totals):.2f}, "
                     f"median {median:g} of {possible:g}")
    else:
        lines.append(f"0 of {len(rows)} graded")
    return "\n".join(lines)
