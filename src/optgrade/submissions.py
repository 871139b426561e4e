"""Find and prepare submissions: notebooks, `grader.export()` zips, folders of them, Canvas names.

Preparing a submission means producing the one notebook the autograder will run, under the name
the autograder expects, or a reason why there is none (the submission then gets the status
`invalid` and a result row like every other).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat

from .errors import OptgradeError
from .project import ASSIGNMENT_NAME, NOTEBOOK_NAME

SUBMISSION_SUFFIXES = (".ipynb", ".zip")
# Canvas bulk downloads: lastfirst[_LATE]_<canvas user id>_<attachment id>_<original name>
CANVAS_NAME = re.compile(r"^(?P<student>[a-z0-9]+)(?P<late>_LATE)?_(?P<user_id>\d+)_(?P<attachment_id>\d+)_(?P<original>.+)$")
MAX_NOTEBOOK_BYTES = 50 * 2**20


class InvalidSubmission(OptgradeError):
    """The file is not something the autograder can run; the message says why."""


@dataclass(frozen=True)
class Submission:
    path: Path
    name: str  # unique within a batch; names the per-submission output files
    student: str = ""
    student_id: str = ""
    attachment_id: str = ""
    late: bool = False


def parse_canvas_name(filename: str) -> dict[str, str | bool]:
    match = CANVAS_NAME.match(filename)
    if not match:
        return {}
    return {"student": match["student"], "student_id": match["user_id"],
            "attachment_id": match["attachment_id"], "late": bool(match["late"])}


def safe_stem(path: Path) -> str:
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "submission"


def discover(paths: list[Path]) -> list[Submission]:
    """Every submission file under `paths` (files as given, folders searched recursively), sorted."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in
                            SUBMISSION_SUFFIXES and not any(part.startswith(".") for part in p.parts))
        elif path.is_file():
            files.append(path)
        else:
            raise OptgradeError(f"no such file or folder: {path}")
    return [Submission(file, name, **parse_canvas_name(file.name))
            for file, name in zip(files, unique_names(files))]


def unique_names(files: list[Path]) -> list[str]:
    """Output-file names for a batch, in order: the sanitised stem, then `-2`, `-3`... on clashes."""
    names, taken = [], set()
    for file in files:
        name = base = safe_stem(file)
        counter = 2
        while name in taken:
            name, counter = f"{base}-{counter}", counter + 1
        taken.add(name)
        names.append(name)
    return names


def _read_notebook(data: bytes, origin: str) -> nbformat.NotebookNode:
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InvalidSubmission(f"{origin} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    try:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as error:  # nbformat raises several kinds for bad JSON and bad structure
        raise InvalidSubmission(f"{origin} is not a valid notebook: {str(error).splitlines()[0][:300]}")
    if not any(cell.get("cell_type") == "code" for cell in notebook.cells):
        raise InvalidSubmission(f"{origin} has no code cells")
    return notebook


def _notebook_from_zip(path: Path) -> tuple[bytes, str]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise InvalidSubmission(f"{path.name} is not a readable zip file: {error}")
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        for member in members:
            parts = PurePosixPath(member.filename.replace("\\", "/")).parts
            if member.filename.startswith(("/", "\\")) or ".." in parts or ":" in member.filename:
                raise InvalidSubmission(f"{path.name} contains an unsafe path: {member.filename!r}")
        notebooks = [m for m in members if m.filename.endswith(".ipynb")
                     and not m.filename.startswith("__MACOSX/")
                     and ".ipynb_checkpoints" not in m.filename]
        if not notebooks:
            raise InvalidSubmission(f"{path.name} contains no notebook")
        if len(notebooks) > 1:
            names = ", ".join(m.filename for m in notebooks)
            raise InvalidSubmission(f"{path.name} contains {len(notebooks)} notebooks ({names})")
        if notebooks[0].file_size > MAX_NOTEBOOK_BYTES:
            raise InvalidSubmission(f"{notebooks[0].filename} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
        return archive.read(notebooks[0]), f"{path.name}:{notebooks[0].filename}"


def prepare(submission: Submission, workdir: Path) -> Path:
    """Write the submission's notebook to `workdir/a5_optimization.ipynb` and return that path.

    Only the notebook is taken from a zip: other files a student packed (such as Otter's
    `.OTTER_LOG`, a pickle, or a module shadowing a library) never reach the grader.
    """
    if submission.path.suffix.lower() == ".zip":
        data, origin = _notebook_from_zip(submission.path)
    elif submission.path.suffix.lower() == ".ipynb":
        data, origin = submission.path.read_bytes(), submission.path.name
    else:
        raise InvalidSubmission(f"{submission.path.name} is neither a notebook nor a zip file")
    notebook = _read_notebook(data, origin)
    # Otter refuses a notebook without the assignment's name (e.g. one a student started afresh and
    # pasted the cells into); a different name, i.e. another assignment, is still refused.
    otter = notebook.metadata.setdefault("otter", {})
    if isinstance(otter, dict) and not otter.get("assignment_name"):
        otter["assignment_name"] = ASSIGNMENT_NAME
    # The grader always runs the submission in a plain Python 3 kernel, whatever it names.
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    target = workdir / NOTEBOOK_NAME
    workdir.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return target
