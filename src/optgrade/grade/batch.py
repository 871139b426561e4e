"""Grade stage: a whole class, in parallel, into the class record kept in OUT_DIR.

Per submission the steps are: prepare (extract the notebook, reject what cannot be graded) ->
run (hardened containers, or the local backend only when asked for) -> record (its record, results
JSON, feedback). After the batch, finished or interrupted: the class files from every record.

Nothing is lost: grading into an existing OUT_DIR adds or replaces only the submissions graded now;
a submission whose content, grader and limits are unchanged is not graded again (`force` does);
an interrupted batch keeps every finished row and records the rest as `not graded`, so running
the same command again resumes it; a class file a run changes is kept as a numbered backup.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import outputs
from ..assignment import name_in_zip
from .container import grade_in_container, remove_live_containers
from .container import stopping as container_stopping
from .engine import DEFAULT_IMAGE, engine_problem, engine_resources, image_id
from ..errors import GradingError, UsageProblem
from ..bundle import Bundle
from ..limits import BACKENDS, Limits, validate
from ..project import Project
from .record import ClassRecord
from ..threads import thread_environment
from ..results import GRADER_ERROR, INVALID, NOT_GRADED, SubmissionResult, autograder_points
from .runner import grade_with_otter, kill_live_processes
from ..submissions import InvalidSubmission, Submission, discover, identify, prepare
from .verdicts import VerdictCache, digest

UNISOLATED_WARNING = ("optgrade: warning: --backend local runs every student's notebook unisolated, as you, with "
                      "your files and network, in the kernel that also runs the hidden tests")


@dataclass
class Graded:
    submission: Submission
    result: SubmissionResult
    skipped: bool = False  # unchanged since it was graded: its recorded result


@dataclass
class GradingRun:
    graded: list[Graded]  # this batch's submissions, graded now or skipped as unchanged
    out_dir: Path
    backend: str
    points: dict[str, float] = field(default_factory=dict)
    rows: list[Graded] = field(default_factory=list)  # every row of the class record, by key
    backups: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for stderr: what was found but not graded

    @property
    def grader_errors(self) -> list[Graded]:
        return [g for g in self.graded if g.result.status == GRADER_ERROR]

    @property
    def skipped(self) -> int:
        return sum(1 for g in self.graded if g.skipped)


def choose_backend(requested: str, image: str, autograder_dir: Path | None = None) -> str:
    """The hardened backend unless `local` is asked for; no silent fallback to running code unisolated."""
    if requested not in BACKENDS:
        raise UsageProblem(f"unknown backend {requested!r}; choose one of {', '.join(BACKENDS)}")
    if requested == "docker":
        problem = engine_problem(image, autograder_dir)
        if problem:
            raise GradingError(f"cannot grade in isolated containers: {problem}. Nothing was graded. (Only if you "
                               "accept running the students' code unisolated as you: --backend local.)")
    return requested


def bundle_for(autograder_zip: Path) -> Bundle:
    """The hardened grader's files of the project that holds `autograder_zip`."""
    bundle = Bundle.of(Project.find(autograder_zip.parent))
    if bundle.autograder_zip.resolve() != autograder_zip.resolve():
        raise GradingError(f"the container backend grades with its project's own autograder "
                           f"({bundle.autograder_zip}), not {autograder_zip}")
    if bundle.missing():
        raise GradingError(f"missing {', '.join(map(str, bundle.missing()))}: run `optgrade build`")
    return bundle


def machine_resources(backend: str) -> tuple[int, int]:
    """(CPUs, memory in bytes) of what runs the submissions: the Docker engine's machine, or this one."""
    if backend == "docker":
        return engine_resources()
    import psutil

    return os.cpu_count() or 0, psutil.virtual_memory().total


def idle_core(workers: int, limits: Limits, cpus_available: int) -> bool:
    """Whether the workers' student containers leave a core free for warm checkers (see grade_one)."""
    return max(1, workers) * limits.cpus + 1 <= cpus_available


def notebook_order(points: dict[str, float], project: Project | None) -> dict[str, float]:
    """`points` in the order the questions come in the master notebook (`# BEGIN QUESTION` cells);
    as they are when there is no project or master next to the zip."""
    try:
        cells = json.loads(project.master_notebook.read_text(encoding="utf-8"))["cells"]
    except (AttributeError, OSError, ValueError, KeyError):  # no project, no master: keep the zip's order
        return points
    order = []
    for cell in cells:
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "raw" and source.lstrip().startswith("# BEGIN QUESTION"):
            order += re.findall(r"^name:\s*(\S+)", source, flags=re.MULTILINE)
    ranked = [q for q in order if q in points] + [q for q in points if q not in order]
    return {q: points[q] for q in ranked}


def grader_version(*, backend: str, autograder_zip: Path, bundle: Bundle | None, image_digest: str,
                   limits: Limits) -> str:
    """Everything besides the submission a grade depends on: optgrade's own code, the autograder, the
    hardened bundle, the image, the thread settings and the limits. A record with another version is
    graded again."""
    package = Path(__file__).resolve().parents[1]  # all of optgrade
    parts: list[bytes | str] = [backend, json.dumps(limits.__dict__, sort_keys=True),
                                json.dumps(thread_environment(), sort_keys=True), autograder_zip.read_bytes()]
    parts += [p.relative_to(package).as_posix().encode() + p.read_bytes() for p in sorted(package.rglob("*.py"))]
    if bundle is not None:
        parts += [bundle.checks.read_bytes(), image_digest]
    return digest(*parts)


def fingerprint(version: str, submission: Submission) -> str:
    return digest(version, hashlib.sha256(submission.path.read_bytes()).hexdigest())


def select(submissions: list[Submission], only: tuple[str, ...], record: ClassRecord | None = None
           ) -> list[Submission]:
    """The submissions `only` names, each by its key, file name, output name, student or student id
    (also as the record knows them from the notebook's own Name / Mat. No. lines)."""
    def names(s: Submission) -> set[str]:
        known = record.entries.get(s.key) if record else None
        extra = {known.submission.student, known.submission.student_id} if known else set()
        return {s.key, Path(s.key).name, s.name, s.student, s.student_id, *extra} - {""}

    unknown = [n for n in only if not any(n in names(s) for s in submissions)]
    if unknown:
        raise UsageProblem(f"--only: no submission is named {', '.join(map(repr, unknown))} (a key as in "
                           "final_grades.csv's file column, a file name, a student or a student id); nothing was graded")
    return [s for s in submissions if names(s) & set(only)]


def grade_one(submission: Submission, *, backend: str, autograder_zip: Path, limits: Limits,
              image: str, bundle: Bundle | None = None, cache: VerdictCache | None = None,
              warm: bool = False, assignment: str | None = None) -> SubmissionResult:
    """Prepare, run and always return a result, whatever the submission does. `warm`: see
    grade_in_container (only when a core would otherwise idle: it changes timing, never a grade).
    `assignment`: its name (read from the zip when not given)."""
    workdir = Path(tempfile.mkdtemp(prefix="optgrade-prepare-"))
    try:
        try:
            notebook = prepare(submission, workdir, assignment=assignment or name_in_zip(autograder_zip))
        except InvalidSubmission as problem:
            return SubmissionResult(submission.name, INVALID, message=str(problem))
        if backend == "docker":
            bundle = bundle or bundle_for(autograder_zip)
            result = grade_in_container(notebook, name=submission.name, bundle=bundle, image=image, limits=limits,
                                        cache=cache, warm=warm)
        else:
            result = grade_with_otter(notebook, autograder_zip=autograder_zip, timeout=limits.timeout,
                                      name=submission.name, cpus=limits.cpus)
        return result
    except Exception as error:  # a grader bug must not cost the rest of the batch its results
        return SubmissionResult(submission.name, GRADER_ERROR, message=f"grader error: {error!r}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _work(submission: Submission, **options) -> Graded:
    started = time.monotonic()
    submission = identify(submission)
    result = grade_one(submission, **options)
    result.seconds = time.monotonic() - started
    return Graded(submission, result)


def verdict_cache(cache_dir: Path, bundle: Bundle, image_digest: str) -> VerdictCache:
    """The verdict cache in `cache_dir` for this bundle, run by the grader image `image_digest` with
    this process's thread settings (all part of every key)."""
    runtime = json.dumps({"image": image_digest, "threads": thread_environment()}, sort_keys=True)
    return VerdictCache.for_bundle(cache_dir, bundle, runtime=runtime)


def grade_submissions(*, paths: list[Path], out_dir: Path, autograder_zip: Path, backend: str = "docker",
                      workers: int = 1, limits: Limits = Limits(), image: str = DEFAULT_IMAGE,
                      progress: bool = True, cache_dir: Path | None = None, only: tuple[str, ...] = (),
                      force: bool = False) -> GradingRun:
    """Grade every submission under `paths` into the class record in `out_dir`.

    `only`: grade just the submissions so named (always afresh); `force`: also those unchanged since
    they were graded. `cache_dir`: where the hardened backend keeps the verdicts of expensive checks
    (training the CNN) for reuse; None grades everything afresh. Cached or not, every grade is the same."""
    if not autograder_zip.is_file():
        raise GradingError(f"autograder zip not found: {autograder_zip} (run `optgrade build`)")
    project = _project_of(autograder_zip)
    chosen = choose_backend(backend, image, project.root / "autograder" if project else None)
    cpus, memory = machine_resources(chosen)  # asked once: the limits' check and the warm checkers
    limits = validate(limits, cpus_available=cpus, memory_available=memory)
    bundle = bundle_for(autograder_zip) if chosen == "docker" else None
    image_digest = image_id(image) if bundle is not None else ""  # asked once: the cache key and the version
    cache = verdict_cache(cache_dir, bundle, image_digest) if bundle is not None and cache_dir is not None else None
    points = notebook_order(autograder_points(autograder_zip), project)
    version = grader_version(backend=chosen, autograder_zip=autograder_zip, bundle=bundle, image_digest=image_digest,
                             limits=limits)
    with tempfile.TemporaryDirectory(prefix="optgrade-unpack-") as unpack:
        notes: list[str] = []
        found = discover(paths, unpack_dir=Path(unpack), notes=notes)
        if not found:
            raise GradingError(f"no submissions (.ipynb notebooks or .zip files) in {', '.join(map(str, paths))}; "
                               "nothing was graded")
        with ClassRecord.open(out_dir) as record:
            run = _grade_batch(record, found, only=only, force=force or bool(only), version=version, points=points,
                               workers=workers, progress=progress, chosen=chosen,
                               options=dict(backend=chosen, autograder_zip=autograder_zip, limits=limits,
                                            image=image, bundle=bundle, cache=cache,
                                            assignment=name_in_zip(autograder_zip),
                                            warm=chosen == "docker" and idle_core(workers, limits, cpus)))
    run.notes = notes
    return run


def _project_of(autograder_zip: Path) -> Project | None:
    try:
        return Project.find(autograder_zip.parent)
    except Exception:
        return None


def _grade_batch(record: ClassRecord, found: list[Submission], *, only, force: bool, version: str,
                 points: dict[str, float], workers: int, progress: bool, chosen: str, options: dict) -> GradingRun:
    batch = record.place(found)
    if only:
        batch = select(batch, only, record)
    prints = {s.key: fingerprint(version, s) for s in batch}
    done: dict[str, Graded] = {}
    todo = []
    for submission in batch:
        entry = None if force else record.current(submission, prints[submission.key])
        if entry:
            done[submission.key] = Graded(entry.submission, entry.result, skipped=True)
        else:
            todo.append(submission)
    container_stopping.clear()
    bar = tqdm(total=len(todo), desc=f"grading ({chosen})", unit="submission", file=sys.stderr,
               disable=not progress or not todo)
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(_work, s, **options): s for s in todo}
            try:
                for future in as_completed(futures):
                    graded = future.result()
                    if graded.result.status == NOT_GRADED:
                        continue  # stopped half-way: recorded below unless an earlier grade of it stands
                    record.store(graded.submission, graded.result, prints[graded.submission.key])
                    outputs.record(record.out_dir, graded.submission, graded.result, points)
                    done[graded.submission.key] = graded
                    bar.set_postfix_str(f"{graded.submission.name[:30]}: {graded.result.status}")
                    bar.update()
            except BaseException:  # Ctrl-C / SIGTERM: stop the containers, or the pool waits for them
                for future in futures:
                    future.cancel()
                remove_live_containers() if chosen == "docker" else kill_live_processes()
                raise
    finally:
        bar.close()
        for submission in todo:  # interrupted: keep what stands, say `not graded` for the rest
            if submission.key not in done:
                entry = record.current(submission, prints[submission.key])
                if entry:
                    done[submission.key] = Graded(entry.submission, entry.result, skipped=True)
                    continue
                result = SubmissionResult(submission.name, NOT_GRADED, message="grading was stopped before this "
                                          "submission was finished; run the same command again to grade it")
                record.store(submission, result, prints[submission.key])
                outputs.record(record.out_dir, submission, result, points)
                done[submission.key] = Graded(submission, result)
        # The class files are written whatever happened above, from every record.
        backups = outputs.write_class_files(record, points)
    rows = [Graded(e.submission, e.result) for e in record.rows()]
    return GradingRun([done[s.key] for s in batch], record.out_dir, chosen, points, rows, backups)
