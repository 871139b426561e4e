"""Build stage: master (solutions/) -> student template (assignment/) + autograder zip (autograder/).

The steps, in order:
1. turn the jupytext master script into the Otter Assign master notebook;
2. execute it (skipping `otter_ignore` experiment cells) in a staging folder, which also draws `lr.png`;
3. run Otter Assign on it;
4. copy Otter's outputs to stable paths (no timestamps, byte-for-byte reproducible zip), with the
   students' requirements.txt next to their notebook;
5. check that every autograded question has a public test and that only hidden tests carry points;
6. cut every hidden test into its probe and its check for the hardened grader (autograder/hardened/);
7. grade the reference solution and the blank template both ways, with Otter (`otter run` on the
   zip) and with the probes and checks, and fail loudly unless the reference gets every autograded
   point and the template none each time.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from ..errors import BuildError
from .gradescope_zip import add_hardened_runtime
from .hidden_split import write_bundle
from ..project import Project
from ..results import SubmissionResult, zip_test_cases

IGNORE_TAG = "otter_ignore"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
# what students install besides the grading requirements: Otter (for grader.check) and the kernel
STUDENT_TOOLS = ("otter-grader", "ipykernel")
STUDENT_REQUIREMENTS_HEADER = """\
# The packages for working on {notebook}, at the versions the autograder grades with.
# Python 3.11:
#   python3.11 -m venv .venv
#   .venv/bin/pip install -r requirements.txt
# and a notebook front end of your choice, e.g. `.venv/bin/pip install jupyterlab`.
"""


@dataclass(frozen=True)
class BuildResult:
    student_notebook: Path
    autograder_zip: Path
    reference_notebook: Path
    reference: SubmissionResult | None
    blank_template: SubmissionResult | None


def master_from_source(source: Path) -> nbformat.NotebookNode:
    """The Otter Assign master notebook for a jupytext master script."""
    notebook = jupytext.read(source)
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:03d}"  # stable ids keep the generated notebook diff-free
    return notebook


def write_master_notebook(project: Project) -> nbformat.NotebookNode:
    """Write the master notebook (solutions/NAME.ipynb) from its jupytext source and return it."""
    notebook = master_from_source(project.master_source)
    nbformat.write(notebook, project.master_notebook)
    return notebook


def execute_master(notebook: nbformat.NotebookNode, workdir: Path, *, timeout: float = 600) -> None:
    """Run the master's cells as the autograder would (experiment cells skipped) in `workdir`;
    `timeout` seconds per cell."""
    runnable = nbformat.from_dict(notebook)
    runnable.cells = [c for c in runnable.cells if IGNORE_TAG not in c.metadata.get("tags", [])]
    client = NotebookClient(runnable, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute()
    except Exception as error:  # nbclient raises CellExecutionError with the cell and traceback
        raise BuildError(f"the master notebook failed to run:\n{error}") from error


def stage(project: Project, workdir: Path) -> Path:
    """Lay out what Otter Assign reads, relative to the master notebook."""
    notebook = project.assignment.notebook
    shutil.copy(project.master_notebook, workdir / notebook)
    shutil.copy(project.grading_requirements, workdir / "requirements.txt")
    (workdir / "data").mkdir()
    for name in project.assignment.data_files:  # the master's `files:` from data/
        source = project.data_dir / name
        if not source.is_file():
            raise BuildError(f"missing {source}: run `optgrade data` first")
        shutil.copy(source, workdir / "data" / name)
    return workdir / notebook


def run_otter_assign(master: Path, dist: Path) -> str:
    """Run Otter Assign; returns what it printed (shown only when it fails)."""
    from otter.assign import main as otter_assign

    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            otter_assign(str(master), str(dist), no_pdfs=True, no_run_tests=True)
    except Exception as error:
        raise BuildError(f"otter assign failed: {error}\n{printed.getvalue()}") from error
    return printed.getvalue()


def normalize_zip(source: Path, target: Path) -> None:
    """Copy a zip with sorted entries and fixed timestamps so that rebuilding gives the same bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(n for n in src.namelist() if not n.endswith("/")):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.external_attr = (0o755 if name.endswith("run_autograder") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(name))


def normalize_notebook(notebook_path: Path, target: Path) -> None:
    """Copy a notebook without outputs and with stable cell ids (Otter draws random ones)."""
    notebook = nbformat.read(notebook_path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:03d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)


def student_requirements(project: Project) -> str:
    """assignment/requirements.txt: Otter and ipykernel at the versions this build runs with (the ones
    pyproject.toml pins), then the grading requirements as the autograder installs them."""
    from importlib.metadata import version

    grading = [line.strip() for line in project.grading_requirements.read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.strip().startswith("#")]
    tools = [f"{name}=={version(name)}" for name in STUDENT_TOOLS]
    header = STUDENT_REQUIREMENTS_HEADER.format(notebook=project.assignment.notebook)
    return header + "\n".join(tools + grading) + "\n"


def publish(project: Project, workdir: Path, dist: Path) -> None:
    """Copy Otter's outputs from `dist` to the project's stable paths."""
    student, autograder = dist / "student", dist / "autograder"
    if project.assignment_dir.exists():
        shutil.rmtree(project.assignment_dir)
    shutil.copytree(student, project.assignment_dir)
    (project.assignment_dir / "requirements.txt").write_text(student_requirements(project), encoding="utf-8")
    notebook = project.assignment.notebook
    normalize_notebook(student / notebook, project.student_notebook)
    normalize_notebook(autograder / notebook, project.reference_notebook)
    for name in project.assignment.produced_files:  # what running the master wrote (a figure, say)
        target = project.master_notebook.parent / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(workdir / name, target)
    zips = sorted(autograder.glob("*-autograder_*.zip"))
    if len(zips) != 1:
        raise BuildError(f"expected one autograder zip from Otter Assign, found {zips}")
    normalize_zip(zips[0], project.autograder_zip)


def check_public_tests(autograder_zip: Path) -> None:
    """Every autograded question needs a public test, and only hidden tests may carry points.

    Without a public test Otter's `grader.check` (and `grader.export`, and Gradescope's "Public Tests")
    reports "All test cases passed!" for a question it never checked; and the hardened grader scores
    hidden tests only, so a point on a public test would be counted by `otter run` alone."""
    cases = zip_test_cases(autograder_zip)
    public = {case.question for case in cases if not case.hidden}
    graded = sorted({case.question for case in cases if case.hidden} - public)
    if graded:
        raise BuildError(f"questions without a public test: {', '.join(graded)}. grader.check would report "
                         "'All test cases passed!' without checking anything: give each a public test (points: 0)")
    paid = sorted({case.question for case in cases if not case.hidden and case.points})
    if paid:
        raise BuildError(f"public tests with points in {', '.join(paid)}: the points belong to hidden tests")


def _problems(how: str, reference: SubmissionResult, blank: SubmissionResult) -> list[str]:
    problems = []
    if reference.status != "graded" or reference.earned != reference.possible:
        lost = {q: s for q, s in reference.scores.items() if s.earned < s.possible}
        problems.append(f"{how}: the reference scored {reference.earned}/{reference.possible} "
                        f"({reference.status}); lost points in {sorted(lost) or 'grading'}: "
                        f"{reference.message}")
    if blank.status != "graded" or blank.earned != 0:
        problems.append(f"{how}: the blank template scored {blank.earned} ({blank.status}), expected 0")
    return problems


def verify(project: Project, *, timeout: float) -> tuple[SubmissionResult, SubmissionResult]:
    """Grade the reference and the blank template with Otter and with the probes and checks."""
    from ..bundle import Bundle
    from ..grade.runner import grade_with_otter, probe_and_check_locally

    import os
    from concurrent.futures import ThreadPoolExecutor

    bundle = Bundle.of(project)
    notebooks = ((project.reference_notebook, "reference"), (project.student_notebook, "blank template"))
    # four independent gradings, each in processes of its own (TensorFlow pinned to one thread):
    # side by side on a machine with two cores or more
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        by_otter = [pool.submit(grade_with_otter, notebook, autograder_zip=project.autograder_zip, timeout=timeout,
                                name=name) for notebook, name in notebooks]
        split = [pool.submit(probe_and_check_locally, notebook, bundle=bundle, timeout=timeout, name=name)
                 for notebook, name in notebooks]
        reference, blank = (future.result() for future in by_otter)
        split_results = [future.result() for future in split]
    problems = _problems("otter run", reference, blank) + _problems("probes and checks", *split_results)
    if problems:
        raise BuildError("\n".join(problems))
    return reference, blank


def build_assignment(*, project: Project, check: bool = True, timeout: float = 600) -> BuildResult:
    """Build the student template and the autograder zip from the master; see the module docstring."""
    master = write_master_notebook(project)
    with tempfile.TemporaryDirectory(prefix="optgrade-build-") as tmp:
        workdir, dist = Path(tmp) / "master", Path(tmp) / "dist"
        workdir.mkdir()
        staged = stage(project, workdir)
        execute_master(master, workdir, timeout=timeout)
        run_otter_assign(staged, dist)
        publish(project, workdir, dist)
    check_public_tests(project.autograder_zip)
    write_bundle(project.autograder_zip, project.hardened_dir, project.assignment)
    # the zip's own run_autograder/setup.sh: the same probe/check split on Gradescope and `otter grade`
    add_hardened_runtime(project.autograder_zip, root=project.root, hardened_dir=project.hardened_dir,
                         assignment_dir=project.assignment_dir, notebook=project.assignment.notebook)
    reference = blank = None
    if check:
        reference, blank = verify(project, timeout=timeout)
    return BuildResult(project.student_notebook, project.autograder_zip, project.reference_notebook,
                       reference, blank)
