"""Human-readable summaries of grading results."""

from __future__ import annotations

from .results import SubmissionResult


def _points(value: float) -> str:
    return f"{value:g}"


def points_table(results: list[SubmissionResult]) -> str:
    """A plain-text table: one row per question (with its points), one column per submission."""
    questions: dict[str, float] = {}
    for result in results:
        for question, score in result.scores.items():
            questions.setdefault(question, score.possible)
    names = [r.submission for r in results]
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
            lines.append(f"{result.submission}: {result.message.splitlines()[0][:200]}")
    return "\n".join(lines)
