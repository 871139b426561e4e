"""Cost benchmark (`make bench` / `python -m optgrade.bench`): what grading costs on this machine.

(a) grading the reference submission, per backend (container / local);
(b) executing the whole student notebook, experiment cells included, as a naive grader would;
(c) a class of N copies of the reference with --workers 1 and 2;
(d) a realistic class (bench_class.py: 100 students by default, mostly the 2019 network, some own
    architectures, some broken) with --workers 2, its verdict cache empty at the start, every grade
    compared with its answer key; the issue's target is 12 minutes for 100;
(e) the reference's profile (bench_profile.py): the bare execution of its graded cells, a container's
    start, and hardened gradings on a first sight of its architecture and with its verdict cached,
    phase by phase; then every target with its measured value.
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

from .profile import CLASS_OF_100_S, execute_reference, median_of, profile_reference, targets
from ..grade.engine import DEFAULT_IMAGE, docker_available
from ..limits import Limits
from ..grade.batch import grade_one, grade_submissions, idle_core, machine_resources
from ..project import Project
from ..submissions import discover


def grade_reference(project: Project, backend: str) -> None:
    submission = discover([project.reference_notebook])[0]
    limits = Limits(timeout=900)  # as `optgrade grade --workers 1` would: a warm checker if a core is free
    warm = backend == "docker" and idle_core(1, limits, machine_resources(backend)[0])
    result = grade_one(submission, backend=backend, autograder_zip=project.autograder_zip,
                       limits=limits, image=DEFAULT_IMAGE, warm=warm)
    if result.earned != result.possible:
        raise RuntimeError(f"reference scored {result.earned}/{result.possible} ({result.status}) on {backend}")


def execute_full_notebook(project: Project) -> None:
    """Run every cell of the reference, experiments included, in the student folder layout."""
    execute_reference(project, lambda c: "grader.export" not in c.source, timeout=7200)


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


def grade_realistic_class(project: Project, backend: str, size: int) -> dict:
    from .class_mix import write_class

    with tempfile.TemporaryDirectory(prefix="optgrade-bench-realistic-") as tmp:
        students = write_class(project.root, Path(tmp) / "class", size)
        start = time.perf_counter()
        run = grade_submissions(paths=[Path(tmp) / "class"], out_dir=Path(tmp) / "out",
                                autograder_zip=project.autograder_zip, backend=backend, workers=2,
                                limits=Limits(timeout=180), progress=False, cache_dir=Path(tmp) / "verdicts")
        wall = time.perf_counter() - start
        got = {g.submission.key: g.result for g in run.graded}
        wrong = [(s.file, s.total, got[s.file].earned, got[s.file].status) for s in students
                 if s.file not in got or got[s.file].earned != s.total]
        if wrong:
            raise RuntimeError(f"grades differ from their answer keys: {wrong[:10]}")
        seconds = sorted(r.seconds for r in got.values())
        return {"wall_s": round(wall, 1), "per_submission_median_s": round(statistics.median(seconds), 1),
                "per_submission_max_s": round(seconds[-1], 1),
                "networks_trained": len(list((Path(tmp) / "verdicts").rglob("*.json")))}


@click.command()
@click.option("--repeats", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--class-size", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--full-notebook-repeats", type=click.IntRange(min=0), default=None,
              help="Runs of (b), the slowest part (default: --repeats; 0 skips it).")
@click.option("--realistic-size", type=click.IntRange(min=1), default=100, show_default=True,
              help="Students in (d)'s realistic class.")
@click.option("--parts", default="abcde", show_default=True,
              help="Which measurements to take (a, b, c, d, e); ratios need their parts in the same run.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the figures as JSON.")
def main(repeats: int, class_size: int, full_notebook_repeats: int | None, realistic_size: int, parts: str,
         output: Path | None) -> None:
    """Measure what grading costs; prints figures and ratios."""
    project = Project.find()
    backends = ["local"] + (["docker"] if docker_available() else [])
    figures: dict[str, object] = {"repeats": repeats, "class_size": class_size}
    for backend in backends if "a" in parts else []:
        median, times = median_of(lambda: grade_reference(project, backend), repeats)
        figures[f"reference_{backend}_s"] = round(median, 1)
        click.echo(f"(a) reference graded, {backend}: median {median:.1f} s of {[round(t, 1) for t in times]}")
    full_repeats = repeats if full_notebook_repeats is None else full_notebook_repeats
    figures["full_notebook_repeats"] = full_repeats
    if full_repeats and "b" in parts:
        median, times = median_of(lambda: execute_full_notebook(project), full_repeats)
        figures["full_notebook_s"] = round(median, 1)
        click.echo(f"(b) whole notebook with experiments: median {median:.1f} s of {[round(t, 1) for t in times]}")
    class_backend = backends[-1]
    for workers in (1, 2) if "c" in parts else ():
        median, _ = median_of(lambda: grade_class(project, class_backend, class_size, workers), 1)
        figures[f"class_{class_backend}_workers{workers}_s"] = round(median, 1)
        click.echo(f"(c) {class_size} submissions, {class_backend}, --workers {workers}: {median:.1f} s")
    if "d" in parts:
        realistic = grade_realistic_class(project, class_backend, realistic_size)
        figures[f"realistic_class_{realistic_size}_{class_backend}_workers2"] = realistic
        verdict = "met" if realistic["wall_s"] * 100 / realistic_size <= CLASS_OF_100_S else "NOT met"
        click.echo(f"(d) realistic class of {realistic_size}, {class_backend}, --workers 2: {realistic['wall_s']:.1f} s "
                   f"(per submission median {realistic['per_submission_median_s']} s, "
                   f"{realistic['networks_trained']} networks trained); target 12 min per 100: {verdict}")
    if "e" in parts and "docker" in backends:
        figures.update(profile_reference(project, repeats))
        click.echo(f"(e) bare graded cells: median {figures['bare_graded_cells_s']:.1f} s of {figures['bare_runs']}; "
                   f"container start {figures['container_start_s']:.2f} s")
        for label in ("first_sight", "cached"):
            click.echo(f"(e) reference hardened, {label.replace('_', ' ')}: median {figures[f'hardened_{label}_s']:.1f} s "
                       f"of {figures[f'hardened_{label}_runs']}; by phase (medians, s):")
            for phase, seconds in figures[f"phases_{label}"].items():
                click.echo(f"      {phase:<48} {seconds:8.2f}")
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
    rows = targets(figures)
    figures["targets"] = [{"target": t, "measured": m, "met": met} for t, m, met in rows]
    if rows:
        click.echo("targets:")
    for target, measured, met in rows:
        click.echo(f"  [{'met' if met else 'NOT met'}] {target}: {measured}")
    if output:
        output.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
