"""Grade stage: a whole class, in parallel, with a result row for every submission.

Per submission the steps are: prepare (extract the notebook, reject what cannot be graded) ->
run (container or local backend, with limits) -> record (results JSON, feedback). After the
batch: the class CSV, the report figure and the summary table. Output files are written even
when every submission fails.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import outputs
from .container import (DEFAULT_IMAGE, Limits, docker_available, grade_in_container, image_id,
                        remove_live_containers, thread_environment)
from .container import stopping as container_stopping
from .errors import GradingError, OptgradeError
from .hardened import Bundle
from .project import Project
from .results import CRASHED, INVALID, SubmissionResult, autograder_points
from .runner import grade_with_otter
from .verdicts import VerdictCache
from .submissions import InvalidSubmission, Submission, discover, prepare

BACKENDS = ("auto", "docker", "local")


@dataclass
class Graded:
    submission: Submission
    result: SubmissionResult


@dataclass
class GradingRun:
    graded: list[Graded]
    out_dir: Path
    backend: str
    points: dict[str, float] = field(default_factory=dict)


def choose_backend(requested: str, image: str) -> str:
    if requested not in BACKENDS:
        raise OptgradeError(f"unknown backend {requested!r}; choose one of {', '.join(BACKENDS)}")
    if requested == "local":
        return "local"
    if docker_available(image):
        return "docker"
    if requested == "docker":
        raise GradingError(f"no Docker engine answers with the image {image} "
                           "(start one with scripts/docker-engine.sh and build scripts/build-images.sh)")
    return "local"


def bundle_for(autograder_zip: Path) -> Bundle:
    """The hardened grader's files of the project that holds `autograder_zip`."""
    bundle = Bundle.of(Project.find(autograder_zip.parent))
    if bundle.autograder_zip.resolve() != autograder_zip.resolve():
        raise GradingError(f"the container backend grades with its project's own autograder "
                           f"({bundle.autograder_zip}), not {autograder_zip}")
    if bundle.missing():
        raise GradingError(f"missing {', '.join(map(str, bundle.missing()))}: run `optgrade build`")
    return bundle


def grade_one(submission: Submission, *, backend: str, autograder_zip: Path, limits: Limits,
              image: str, bundle: Bundle | None = None, cache: VerdictCache | None = None) -> SubmissionResult:
    """Prepare, run and always return a result, whatever the submission does."""
    workdir = Path(tempfile.mkdtemp(prefix="optgrade-prepare-"))
    try:
        try:
            notebook = prepare(submission, workdir)
        except InvalidSubmission as problem:
            return SubmissionResult(submission.name, INVALID, message=str(problem))
        if backend == "docker":
            bundle = bundle or bundle_for(autograder_zip)
            return grade_in_container(notebook, name=submission.name, bundle=bundle, image=image, limits=limits,
                                      cache=cache)
        return grade_with_otter(notebook, autograder_zip=autograder_zip, timeout=limits.timeout,
                                name=submission.name, cpus=limits.cpus)
    except Exception as error:  # a grader bug must not cost the rest of the batch its results
        return SubmissionResult(submission.name, CRASHED, message=f"grader error: {error!r}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def grade_submissions(*, paths: list[Path], out_dir: Path, autograder_zip: Path, backend: str = "auto",
                      workers: int = 1, limits: Limits = Limits(), image: str = DEFAULT_IMAGE,
                      progress: bool = True, cache_dir: Path | None = None) -> GradingRun:
    """Grade every submission under `paths` and write the outputs to `out_dir`.

    `cache_dir`: where the hardened backend keeps the verdicts of expensive checks (training the
    CNN) for reuse; None grades everything afresh. Cached or not, every grade is the same."""
    if not autograder_zip.is_file():
        raise GradingError(f"autograder zip not found: {autograder_zip} (run `optgrade build`)")
    submissions = discover(paths)
    chosen = choose_backend(backend, image)
    bundle = bundle_for(autograder_zip) if chosen == "docker" else None
    cache = None
    if bundle is not None and cache_dir is not None:
        runtime = json.dumps({"image": image_id(image), "threads": thread_environment()}, sort_keys=True)
        cache = VerdictCache.for_bundle(cache_dir, bundle, runtime=runtime)
    points = autograder_points(autograder_zip)
    outputs.prepare_out_dir(out_dir)
    container_stopping.clear()
    graded: list[Graded] = []
    bar = tqdm(total=len(submissions), desc=f"grading ({chosen})", unit="submission",
               file=sys.stderr, disable=not progress)
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(grade_one, s, backend=chosen, autograder_zip=autograder_zip,
                                   limits=limits, image=image, bundle=bundle, cache=cache): s for s in submissions}
            try:
                for future in as_completed(futures):
                    submission, result = futures[future], future.result()
                    outputs.record(out_dir, submission, result, points)
                    graded.append(Graded(submission, result))
                    bar.set_postfix_str(f"{submission.name[:30]}: {result.status}")
                    bar.update()
            except BaseException:  # Ctrl-C / SIGTERM: stop the containers, or the pool waits for them
                for future in futures:
                    future.cancel()
                if chosen == "docker":
                    remove_live_containers()
                raise
    finally:
        bar.close()
        # The class files are written whatever happened above, from what was graded so far.
        order = {s.name: i for i, s in enumerate(submissions)}
        graded.sort(key=lambda g: order[g.submission.name])
        outputs.write_class_files(out_dir, [(g.submission, g.result) for g in graded], points)
    return GradingRun(graded, out_dir, chosen, points)
