"""`optgrade export` (Canvas, Moodle, Gradescope) and `optgrade manual` (score sheet, answer PDFs).

Kept apart from cli.py so that the LMS commands can grow without touching the grading commands;
cli.py only adds the two groups. What a grader should look at (unmatched submissions, late ones,
written answers not graded yet) goes to stderr, one line each; the exit status follows cli.py: 0 the
command did its job, 1 an OptgradeError (bad input, failed check), 2 bad usage.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import CliContext, existing_file, output_file, pass_context, root_option
from ..errors import OptgradeError
from ..safetext import clean_line

_file, _output = existing_file, output_file


class GradescopeCheckFailed(OptgradeError):
    """The autograder zip or a results file does not follow Gradescope's format."""


def _scoring(context: CliContext, manual_csv: Path | None, master: Path | None, late_penalty: float) -> dict:
    """The keyword arguments every export takes for what `_scoring_options` reads."""
    return {"manual": manual_csv, "master": context.master(master) if manual_csv else None,
            "late_penalty": late_penalty}


def _scoring_options(function):
    """Options every export shares: the grades, manual scores and the late penalty."""
    for option in reversed([
        click.option("--grades", "grades_csv", required=True, type=_file,
                     help="final_grades.csv written by `optgrade grade`."),
        click.option("--manual", "manual_csv", type=_file, default=None,
                     help="The TAs' score sheet (`optgrade manual template`): adds the written answers' points."),
        click.option("--master", type=_file, default=None,
                     help="Master notebook with the manual questions (default: the project's)."),
        click.option("--late-penalty", type=click.FloatRange(0, 100), default=0.0, show_default=True,
                     help="Percent of the points earned taken off late submissions' totals."),
        root_option,
    ]):
        function = option(function)
    return function


def _lms_options(function):
    for option in reversed([
        click.option("-o", "--output", required=True, type=_output, help="The CSV to write."),
        click.option("--mapping", type=_file, default=None,
                     help="CSV file,<id> for submissions whose names carry no student id "
                          "(file as in final_grades.csv)."),
        click.option("--missing", type=click.Choice(["empty", "zero"]), default="empty", show_default=True,
                     help="What students without a submission get."),
    ]):
        function = option(function)
    return function


def _print_result(result) -> None:
    for message in result.messages:  # they quote file names and mapping cells
        click.echo(clean_line(message), err=True)
    click.echo(f"wrote {result.output} ({result.students} students)")
    click.echo(f"report: {result.report}")
    click.echo(f"unmatched: {result.unmatched_file} ({result.unmatched} submissions)")


@click.group()
def export() -> None:
    """Scores to Canvas or Moodle, or check the files for Gradescope (see docs/lms.md)."""


@export.command()
@_scoring_options
@_lms_options
@click.option("--roster", required=True, type=_file, help="Canvas's gradebook export (Grades > Export).")
@click.option("--assignment", required=True, help="The assignment's name in Canvas.")
@click.option("--assignment-id", required=True, help="The assignment's id in Canvas (in its URL).")
@pass_context
def canvas(context: CliContext, grades_csv: Path, manual_csv: Path | None, master: Path | None, late_penalty: float,
           output: Path, mapping: Path | None, missing: str, roster: Path, assignment: str, assignment_id: str) -> None:
    """A CSV for Canvas's gradebook import (Grades > Import)."""
    from ..export.canvas import export_canvas

    _print_result(export_canvas(grades_csv=grades_csv, roster=roster, out=output, assignment=assignment,
                                assignment_id=assignment_id, mapping=mapping, missing=missing,
                                **_scoring(context, manual_csv, master, late_penalty)))


@export.command()
@_scoring_options
@_lms_options
@click.option("--id-column", required=True, type=click.Choice(["email", "username", "idnumber"]),
              help="The user field Moodle matches the rows on.")
@click.option("--roster", type=_file, default=None, help="CSV of the students with that identifier.")
@click.option("--assignment", default=None, help="The grade column's name (default: the project's assignment name).")
@pass_context
def moodle(context: CliContext, grades_csv: Path, manual_csv: Path | None, master: Path | None, late_penalty: float,
           output: Path, mapping: Path | None, missing: str, id_column: str, roster: Path | None,
           assignment: str | None) -> None:
    """A CSV for Moodle's grade import (Grades > Import > CSV file), with feedback."""
    from ..export.moodle import export_moodle

    _print_result(export_moodle(grades_csv=grades_csv, out=output, id_column=id_column, roster=roster,
                                mapping=mapping, missing=missing,
                                assignment=assignment or context.project.assignment.name,
                                **_scoring(context, manual_csv, master, late_penalty)))


@export.command()
@_scoring_options
@click.option("--autograder", "autograder_zip", type=_file, default=None,
              help="The autograder zip to upload (default: the project's).")
@click.option("-o", "--output", type=_output, default=None, help="Also write the report to this file.")
@pass_context
def gradescope(context: CliContext, grades_csv: Path, manual_csv: Path | None, master: Path | None,
               late_penalty: float, autograder_zip: Path | None, output: Path | None) -> None:
    """Check the autograder zip and OUTDIR/results/*.json against Gradescope's format."""
    from ..export.gradescope import validate

    report = validate(grades_csv=grades_csv, autograder_zip=autograder_zip or context.project.autograder_zip,
                      manual_csv=manual_csv, master=_scoring(context, manual_csv, master, late_penalty)["master"],
                      late_penalty=late_penalty)
    lines = report.lines()
    click.echo("\n".join(lines))
    if output:
        output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not report.ok:
        raise GradescopeCheckFailed(f"{len(report.violations)} violations of Gradescope's format (listed above)")


@click.group()
def manual() -> None:
    """Written questions: the TAs' score sheet and PDFs of the answers."""


@manual.command()
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", type=_output, default=None, help="Default: OUT_DIR/manual_scores.csv.")
@click.option("--master", type=_file, default=None, help="Master notebook (default: the project's).")
@root_option
@click.option("--force", is_flag=True, help="Overwrite an existing score sheet.")
@pass_context
def template(context: CliContext, out_dir: Path, output: Path | None, master: Path | None, force: bool) -> None:
    """Write the score sheet: one row per submission in OUT_DIR, one column per written question."""
    from ..manual.scores import manual_questions, write_template

    target = output or out_dir / "manual_scores.csv"
    questions = manual_questions(master=context.master(master))
    rows = write_template(grades_csv=out_dir / "final_grades.csv", out=target, questions=questions, force=force)
    click.echo(f"wrote {target}: {rows} submissions x {len(questions)} questions "
               f"({sum(q.points for q in questions):g} points)")


@manual.command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where to write one PDF per submission.")
@click.option("--master", type=_file, default=None, help="Master notebook (default: the project's).")
@root_option
@pass_context
def pdfs(context: CliContext, submissions: tuple[Path, ...], out_dir: Path, master: Path | None) -> None:
    """PDFs of the written answers under each question's prompt, one per submission."""
    from ..manual.scores import manual_questions, write_answer_pdfs
    from ..submissions import discover

    if not discover(list(submissions)):
        raise OptgradeError(f"no submissions (.ipynb or .zip) in {', '.join(map(str, submissions))}")
    run = write_answer_pdfs(paths=list(submissions), out_dir=out_dir,
                            questions=manual_questions(master=context.master(master)))
    for submission, problem in run.failed:
        click.echo(clean_line(f"optgrade: {submission.path}: error: {problem}"), err=True)
    click.echo(f"wrote {len(run.written)} PDFs to {out_dir}"
               + (f"; {len(run.failed)} submissions could not be read (listed on stderr)" if run.failed else ""))
