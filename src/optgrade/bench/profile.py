"""Where grading the reference spends its time, and the cost targets (`make bench`, parts e and the
summary).

The floor is the bare execution of the notebook's graded cells: the cells a grading run executes
(not `otter_ignore`d, no `grader.export()`), once, in a kernel, in the student's folder layout. A
hardened grading adds a container, the probes, the checker and, on a first sight of an
architecture, the CNN check's training; with the verdict cache, a known architecture costs no
training at all.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from ..grade.engine import DEFAULT_IMAGE
from ..project import Project

# The targets: (figure, comparison, bound, what it means)
CLASS_OF_100_S = 720.0
CACHED_OVER_BARE = 1.5
FIRST_SIGHT_SLACK_S = 3.0
NAIVE_OVER_GRADED = 30.0


def median_of(run, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(round(time.perf_counter() - start, 2))
    return statistics.median(times), times


def execute_reference(project: Project, keep, *, timeout: float) -> None:
    """Run the reference's cells for which `keep(cell)` holds, once, in a kernel, in the student
    folder layout (grader.check runs the public tests as a student's would)."""
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="optgrade-bench-") as tmp:
        workdir = Path(tmp) / "assignment"
        shutil.copytree(project.assignment_dir, workdir)
        notebook = nbformat.read(project.reference_notebook, as_version=4)
        notebook.cells = [c for c in notebook.cells if keep(c)]
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(workdir)}}).execute()


def execute_graded_cells(project: Project) -> None:
    """The floor: the cells a grading run executes (no `otter_ignore`, no `grader.export()`)."""
    from ..sandbox.probe_runner import ignored

    execute_reference(project, lambda c: c.cell_type == "code" and not ignored(c) and "grader.export" not in c.source,
                      timeout=1800)


def container_start(image: str) -> None:
    from ..grade.engine import docker_environment

    subprocess.run(["docker", "run", "--rm", "--network", "none", "--entrypoint", "true", image], check=True,
                   capture_output=True, env=docker_environment(), timeout=120)


def grade_reference_profiled(project: Project, cache_dir: Path | None, image: str) -> dict[str, float]:
    """One hardened grading of the reference; its phase times (raises if it lost a point)."""
    from ..grade.container import grade_in_container
    from ..grade.engine import image_id
    from ..grade.batch import bundle_for, idle_core, machine_resources, verdict_cache
    from ..limits import Limits

    bundle = bundle_for(project.autograder_zip)
    cache = verdict_cache(cache_dir, bundle, image_id(image)) if cache_dir is not None else None
    profile: dict[str, float] = {}
    start = time.perf_counter()
    limits = Limits(timeout=900)
    warm = idle_core(1, limits, machine_resources("docker")[0])
    result = grade_in_container(project.reference_notebook, name="reference", bundle=bundle, image=image,
                                limits=limits, cache=cache, profile=profile, warm=warm)
    profile["total"] = round(time.perf_counter() - start, 3)
    if result.earned != result.possible:
        raise RuntimeError(f"the reference scored {result.earned}/{result.possible} ({result.status})")
    return profile


def profile_reference(project: Project, repeats: int, image: str = DEFAULT_IMAGE) -> dict:
    """Part (e): the bare floor, a container's start, and the hardened reference on a first sight of
    its architecture (no cache) and with its verdict cached; medians of `repeats`."""
    figures: dict = {}
    figures["bare_graded_cells_s"], figures["bare_runs"] = median_of(lambda: execute_graded_cells(project), repeats)
    figures["container_start_s"], _ = median_of(lambda: container_start(image), repeats)
    first = [grade_reference_profiled(project, None, image) for _ in range(repeats)]
    with tempfile.TemporaryDirectory(prefix="optgrade-bench-verdicts-") as cache:
        grade_reference_profiled(project, Path(cache), image)  # fills the cache
        cached = [grade_reference_profiled(project, Path(cache), image) for _ in range(repeats)]
    for label, runs in (("first_sight", first), ("cached", cached)):
        figures[f"hardened_{label}_s"] = statistics.median(r["total"] for r in runs)
        figures[f"hardened_{label}_runs"] = [r["total"] for r in runs]
        figures[f"phases_{label}"] = {k: round(statistics.median(r.get(k, 0.0) for r in runs), 2) for k in runs[0]}
    # the training: the checks the cache spares (each over its default time budget's tenth)
    expensive = [v for k, v in figures["phases_first_sight"].items()
                 if k.startswith("  check:") and "checker start" not in k and "the other" not in k
                 and k not in figures["phases_cached"]]
    figures["training_s"] = round(sum(expensive), 2)
    return figures


def targets(figures: dict) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for every target whose figures were measured in this run."""
    rows: list[tuple[str, str, bool | None]] = []
    realistic = next((v for k, v in figures.items() if k.startswith("realistic_class_")), None)
    if realistic:
        size = int(next(k for k in figures if k.startswith("realistic_class_")).split("_")[2])
        per_100 = realistic["wall_s"] * 100 / size
        rows.append(("a class of 100, --workers 2: <= 12 min", f"{per_100 / 60:.1f} min for 100 "
                     f"({realistic['wall_s']:.0f} s for {size})", per_100 <= CLASS_OF_100_S))
    if "hardened_cached_s" in figures:
        bare, cached, first = figures["bare_graded_cells_s"], figures["hardened_cached_s"], figures["hardened_first_sight_s"]
        rows.append(("reference, architecture already trained: <= 1.5x bare graded cells",
                     f"{cached:.1f} s vs bare {bare:.1f} s = {cached / bare:.2f}x", cached <= CACHED_OVER_BARE * bare))
        bound = bare + figures["training_s"] + FIRST_SIGHT_SLACK_S
        rows.append(("reference, first sight: <= bare + its training + 3 s",
                     f"{first:.1f} s vs {bare:.1f} + {figures['training_s']:.1f} + 3 = {bound:.1f} s", first <= bound))
        if "reference_local_s" in figures:
            local = figures["reference_local_s"]
            rows.append(("hardened <= local (otter run)", f"first sight {first / local:.2f}x, cached {cached / local:.2f}x "
                         f"of local {local:.1f} s", first <= local))
        if "full_notebook_s" in figures:
            ratio = figures["full_notebook_s"] / cached
            rows.append((">= 30x cheaper than the whole notebook", f"{figures['full_notebook_s']:.0f} s / {cached:.1f} s "
                         f"= {ratio:.1f}x", ratio >= NAIVE_OVER_GRADED))
    return rows
