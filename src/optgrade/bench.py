"""Cost benchmark (`make bench` / `python -m optgrade.bench`): what grading costs on this machine.

(a) grading the reference submission, per backend (container / local);
(b) executing the whole student notebook, experiment cells included, as a naive grader would;
(c) a class of N copies of the reference with --workers 1 and 2.
Each figure is the median of --repeats runs (c: one run each, it is already an aggregate);
ratios are computed from figures measured in the same run of this script.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import click
import nbformat
from nbclient import NotebookClient

from .container import Limits, docker_available
from .grade import grade_one, grade_submissions
from .project import Project
from .submissions import discover


def _median_seconds(run, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def grade_reference(project: Project, backend: str) -> None:
    submission = discover([project.reference_notebook])[0]
    result = grade_one(submission, backend=backend, autograder_zip=project.autograder_zip,
                       limits=Limits(timeout=900), image="optgrade-grader:latest")
    if result.earned != result.possible:
        raise RuntimeError(f"reference scored {result.earned}/{result.possible} ({result.status}) on {backend}")


def execute_full_notebook(project: Project) -> None:
    """Run every cell of the reference, experiments included, in the student folder layout."""
    with tempfile.TemporaryDirectory(prefix="optgrade-bench-") as tmp:
        workdir = Path(tmp) / "assignment"
        shutil.copytree(project.assignment_dir, workdir)
        notebook = nbformat.read(project.reference_notebook, as_version=4)
        notebook.cells = [c for c in notebook.cells if "grader.export" not in c.source]
        NotebookClient(notebook, timeout=7200, kernel_name="python3",
                       resources={"metadata": {"path": str(workdir)}}).execute()


def grade_class(project: Project, backend: str, size: int, workers: int) -> None:
    with tempfile.TemporaryDirectory(prefix="optgrade-bench-class-") as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        for index in range(size):
            shutil.copy(project.reference_notebook, folder / f"student{index:03d}.ipynb")
        run = grade_submissions(paths=[folder], out_dir=Path(tmp) / "out", autograder_zip=project.autograder_zip,
                                backend=backend, workers=workers, limits=Limits(timeout=900), progress=False)
        bad = [g.submission.name for g in run.graded if g.result.earned != g.result.possible]
        if bad:
            raise RuntimeError(f"copies of the reference lost points: {bad}")


@click.command()
@click.option("--repeats", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--class-size", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--full-notebook-repeats", type=click.IntRange(min=0), default=None,
              help="Runs of (b), the slowest part (default: --repeats; 0 skips it).")
@click.option("--parts", default="abc", show_default=True,
              help="Which measurements to take (a, b, c); ratios need their parts in the same run.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the figures as JSON.")
def main(repeats: int, class_size: int, full_notebook_repeats: int | None, parts: str,
         output: Path | None) -> None:
    """Measure what grading costs; prints figures and ratios."""
    project = Project.find()
    backends = ["local"] + (["docker"] if docker_available() else [])
    figures: dict[str, object] = {"repeats": repeats, "class_size": class_size}
    for backend in backends if "a" in parts else []:
        median, times = _median_seconds(lambda: grade_reference(project, backend), repeats)
        figures[f"reference_{backend}_s"] = round(median, 1)
        click.echo(f"(a) reference graded, {backend}: median {median:.1f} s of {[round(t, 1) for t in times]}")
    full_repeats = repeats if full_notebook_repeats is None else full_notebook_repeats
    figures["full_notebook_repeats"] = full_repeats
    if full_repeats and "b" in parts:
        median, times = _median_seconds(lambda: execute_full_notebook(project), full_repeats)
        figures["full_notebook_s"] = round(median, 1)
        click.echo(f"(b) whole notebook with experiments: median {median:.1f} s of {[round(t, 1) for t in times]}")
    class_backend = backends[-1]
    for workers in (1, 2) if "c" in parts else ():
        median, _ = _median_seconds(lambda: grade_class(project, class_backend, class_size, workers), 1)
        figures[f"class_{class_backend}_workers{workers}_s"] = round(median, 1)
        click.echo(f"(c) {class_size} submissions, {class_backend}, --workers {workers}: {median:.1f} s")
    if "reference_docker_s" in figures:
        overhead = figures["reference_docker_s"] / figures["reference_local_s"] - 1
        figures["container_overhead"] = round(overhead, 3)
        click.echo(f"container overhead over local: {100 * overhead:+.1f}%")
    if "full_notebook_s" in figures and "reference_local_s" in figures:
        reference = figures.get("reference_docker_s", figures["reference_local_s"])
        figures["naive_over_graded"] = round(figures["full_notebook_s"] / reference, 1)
        click.echo(f"whole notebook / graded reference: {figures['naive_over_graded']}x")
    if "c" in parts:
        one = figures[f"class_{class_backend}_workers1_s"]
        two = figures[f"class_{class_backend}_workers2_s"]
        figures["workers2_speedup"] = round(one / two, 2)
        click.echo(f"--workers 2 speed-up: {one / two:.2f}x")
    if output:
        output.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
