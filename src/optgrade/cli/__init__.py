"""The `optgrade` command: a thin click layer over the stage modules.

Exit status is part of the interface: 0 the command did its job, 1 it failed (an OptgradeError),
2 bad usage (click's own convention).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from .common import CliContext, pass_context, root_option
from .lms import export, manual
from ..errors import BuildError, GradingError, OptgradeError, UsageProblem
from ..limits import BACKENDS, Limits
from ..safetext import clean_text


@click.group()
@root_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Build, grade and export an Otter assignment: the one the project's optgrade.toml describes."""
    ctx.ensure_object(CliContext)


@cli.command()
@click.option("-o", "--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the data (default: the project's data/ folder).")
@root_option
@pass_context
def data(context: CliContext, out_dir: Path | None) -> None:
    """Generate the assignment's data with its own generator (optgrade.toml's data_generator)."""
    import subprocess

    project = context.project
    generator = project.assignment.data_generator
    if generator is None:
        raise UsageProblem("this assignment declares no data_generator in optgrade.toml: nothing to generate")
    target = out_dir or project.data_dir
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, str(project.root / generator), str(target.resolve())], cwd=project.root)
    if done.returncode != 0:
        raise BuildError(f"{generator} exited with {done.returncode}: the data in {target} may be incomplete")


@cli.command()
@click.option("--no-check", is_flag=True, help="Skip grading the reference and the blank template.")
@click.option("--timeout", type=click.FloatRange(min=1), default=600, show_default=True,
              help="Seconds allowed for each cell of the master and for grading each check notebook.")
@root_option
@pass_context
def build(context: CliContext, no_check: bool, timeout: float) -> None:
    """Build assignment/ and the autograder zip from solutions/, then check the reference."""
    from ..build.steps import build_assignment
    from ..grade.report import points_table

    project = context.project
    result = build_assignment(project=project, check=not no_check, timeout=timeout)
    click.echo(f"student template: {result.student_notebook.relative_to(project.root)}")
    click.echo(f"autograder zip:   {result.autograder_zip.relative_to(project.root)}")
    click.echo(f"reference:        {result.reference_notebook.relative_to(project.root)}")
    if result.reference and result.blank_template:
        click.echo(points_table([result.reference, result.blank_template]))


@cli.command()
@click.argument("submissions", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--timeout", type=click.FloatRange(min=1), default=Limits.timeout, show_default=True,
              help="Seconds allowed per submission.")
@root_option
@pass_context
def check(context: CliContext, submissions: tuple[Path, ...], timeout: float) -> None:
    """Grade notebooks one by one with `otter run` (no container) and print their scores."""
    from ..grade.batch import UNISOLATED_WARNING
    from ..grade.report import points_table
    from ..grade.runner import grade_with_otter

    click.echo(UNISOLATED_WARNING.replace("--backend local", "optgrade check"), err=True)
    results = [grade_with_otter(path, autograder_zip=context.project.autograder_zip, timeout=timeout)
               for path in submissions]
    click.echo(points_table(results))


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The class's record: final_grades.csv, question_stats.csv, report.png, results/, feedback/ "
                   "and records/. Grading into it again adds or replaces only the submissions graded now.")
@click.option("--backend", type=click.Choice(BACKENDS), default="docker", show_default=True,
              help="docker: the hardened grader (student code and the checks in separate containers; needs "
                   "`make images`); local: `otter run` here, NOT isolated or tamper-resistant (a warning says so).")
@click.option("--only", multiple=True, metavar="NAME",
              help="Grade only this submission (key, file name, student or student id; repeatable), afresh; "
                   "the other rows of OUT_DIR stay as they are.")
@click.option("--force", is_flag=True, help="Also grade submissions that are unchanged since they were graded.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Submissions graded at the same time.")
@click.option("--timeout", type=click.FloatRange(min=1), default=Limits.timeout, show_default=True,
              help="Wall-clock seconds per submission (per phase with docker).")
@click.option("--memory", default=Limits.memory, show_default=True, help="Memory (and swap) limit per container.")
@click.option("--cpus", type=click.FloatRange(min=0.1), default=Limits.cpus, show_default=True,
              help="CPUs per submission, at most the machine's (TensorFlow runs one thread whatever it is).")
@click.option("--pids-limit", type=click.IntRange(min=16), default=Limits.pids, show_default=True,
              help="Processes per container.")
@click.option("--image", default=None, help="Grader image (default: optgrade-grader:latest).")
@click.option("--autograder", "autograder_zip", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Autograder zip for the local backend (default: the project's).")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the verdicts of expensive checks (training the CNN) are kept for reuse "
                   "[default: ~/.cache/optgrade/verdicts].")
@click.option("--no-cache", is_flag=True, help="Grade every check afresh (the grades are the same).")
@root_option
@pass_context
def grade(context: CliContext, paths: tuple[Path, ...], out_dir: Path, backend: str, only: tuple[str, ...],
          force: bool, workers: int, timeout: float, memory: str, cpus: float, pids_limit: int, image: str | None,
          autograder_zip: Path | None, no_progress: bool, cache_dir: Path | None, no_cache: bool) -> None:
    """Grade notebooks, exported zips, Canvas's submissions.zip or folders of them into OUT_DIR."""
    from ..grade.engine import DEFAULT_IMAGE
    from ..grade.batch import UNISOLATED_WARNING, grade_submissions
    from ..grade.report import class_summary

    def interrupted(signum, frame):
        raise KeyboardInterrupt  # the batch stops its containers and still writes its class files

    signal.signal(signal.SIGTERM, interrupted)
    zip_path = autograder_zip or context.project.autograder_zip
    if backend == "local":
        click.echo(UNISOLATED_WARNING, err=True)
    try:
        run = grade_submissions(paths=list(paths), out_dir=out_dir, autograder_zip=zip_path, backend=backend,
                                workers=workers, image=image or DEFAULT_IMAGE, progress=not no_progress,
                                limits=Limits(timeout=timeout, memory=memory, cpus=cpus, pids=pids_limit),
                                cache_dir=None if no_cache else cache_dir or Path.home() / ".cache" / "optgrade" / "verdicts",
                                only=only, force=force)
    except KeyboardInterrupt:
        raise GradingError(f"interrupted: every finished submission is in {out_dir / 'final_grades.csv'}, the "
                           "others are `not graded`; run the same command again to grade them") from None
    for note in run.notes:
        click.echo(clean_text(f"optgrade: note: {note}"), err=True)
    click.echo(f"backend: {run.backend}")
    click.echo(class_summary(run))
    click.echo(f"grades: {out_dir / 'final_grades.csv'}")
    click.echo(f"report: {out_dir / 'report.png'} (per question: {out_dir / 'question_stats.csv'})")
    for backup in run.backups:
        click.echo(f"kept the previous version as {backup}")
    if run.grader_errors:
        names = ", ".join(g.submission.key for g in run.grader_errors[:10])
        raise GradingError(f"{len(run.grader_errors)} submissions could not be graded because the grader or the "
                           f"engine failed, not the students ({names}); see the message column of final_grades.csv, "
                           "fix the cause and run the same command again (only those are graded again)")


# the last mile (LMS exports, written answers) lives in its own module
cli.add_command(export)
cli.add_command(manual)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as usage:
        usage.show()
        sys.exit(2 if isinstance(usage, click.UsageError) else 1)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except OptgradeError as error:  # messages may quote file names and cells: no control characters
        click.echo(clean_text(f"optgrade: error: {error}"), err=True)
        sys.exit(error.exit_code)
