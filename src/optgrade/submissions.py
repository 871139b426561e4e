"""Find and prepare submissions: notebooks, `grader.export()` zips, folders of them, Canvas names.

Preparing a submission means producing the one notebook the autograder will run, under the name
the autograder expects, or a reason why there is none (the submission then gets the status
`invalid` and a result row like every other).
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import nbformat

from .errors import OptgradeError
from .safetext import clean_line

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
    key: str = ""  # unique within a batch: the `file` column of final_grades.csv (default: the file's name)
    source: str = ""  # where it came from: the file's absolute path, or `<zip>!<member>` for a bulk download

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", clean_key(self.path.name))
        if not self.source:
            object.__setattr__(self, "source", str(self.path.resolve()))


def parse_canvas_name(filename: str) -> dict[str, str | bool]:
    match = CANVAS_NAME.match(filename)
    if not match:
        return {}
    return {"student": match["student"], "student_id": match["user_id"],
            "attachment_id": match["attachment_id"], "late": bool(match["late"])}


def safe_stem(path: Path | str) -> str:
    """A file-name-safe stem of a file name or key (`alice/hw.ipynb` -> `alice_hw`)."""
    text = path if isinstance(path, str) else path.name
    suffix = PurePosixPath(text).suffix
    stem = text[: -len(suffix)] if suffix else text
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "submission"


def clean_key(text: str) -> str:
    """A name as it may appear in a CSV or on a terminal: no control characters, no outer spaces
    (spreadsheets and our readers strip those)."""
    return clean_line(text.strip()) or "submission"


def discover(paths: list[Path], *, unpack_dir: Path | None = None, notes: list[str] | None = None) -> list[Submission]:
    """Every submission file under `paths` (files as given, folders searched recursively), sorted.

    Keys: the bare name of a file given directly; for a file found in a folder, its path relative
    to that folder (`alice/NAME.ipynb`, so a flat folder gives bare names); `-2`, `-3`...
    when that still clashes. A notebook in a direct subfolder whose name carries no student (not a
    Canvas name) gets the subfolder's name as its student. A Canvas bulk download (`submissions.zip`,
    members named `lastfirst_<user id>_<attachment id>_<name>`) counts as the folder it unpacks to:
    its members are unpacked into `unpack_dir` and keyed by their Canvas names. `notes` collects
    what was found but not taken (files of a bulk download that are no submissions).
    """
    found: list[tuple[Path, str, str, str]] = []  # file, key, student folder, source

    def add(file: Path, key: str, folder: str) -> None:
        if file.suffix.lower() == ".zip" and unpack_dir is not None and is_bulk_download(file):
            prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
            target = Path(tempfile.mkdtemp(prefix="bulk-", dir=unpack_dir))
            for member, name, source in unpack_bulk_download(file, target, notes if notes is not None else []):
                found.append((member, prefix + name, "", source))
        else:
            found.append((file, key, folder, ""))

    for path in paths:
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                relative = file.relative_to(path)
                if file.is_file() and file.suffix.lower() in SUBMISSION_SUFFIXES and not any(
                        part.startswith(".") for part in relative.parts):
                    add(file, relative.as_posix(), relative.parts[0] if len(relative.parts) == 2 else "")
        elif path.is_file():
            add(path, path.name, "")
        else:
            raise OptgradeError(f"no such file or folder: {path}")
    keys = unique_keys([key for _, key, _, _ in found])
    return [Submission(file, name, **{"student": clean_key(folder) if folder else "",
                                      **parse_canvas_name(PurePosixPath(key).name)}, key=key, source=source)
            for (file, _, folder, source), key, name in zip(found, keys, unique_names(keys))]


# ---- Canvas bulk downloads ------------------------------------------------------------------------
MAX_BULK_MEMBER_BYTES = 200 * 2**20
MAX_BULK_BYTES = 8 * 2**30


def _bulk_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]


def is_bulk_download(path: Path) -> bool:
    """True for a zip whose files carry Canvas submission names (a student's `grader.export()` zip
    never does: it holds the assignment's notebook and Otter's own files)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(CANVAS_NAME.match(PurePosixPath(m.filename.replace("\\", "/")).name)
                       and PurePosixPath(m.filename).suffix.lower() in SUBMISSION_SUFFIXES
                       for m in _bulk_members(archive))
    except (zipfile.BadZipFile, OSError):
        return False


def unpack_bulk_download(path: Path, target: Path, notes: list[str]) -> list[tuple[Path, str, str]]:
    """(unpacked file, its Canvas name, source) for each notebook or zip of a bulk download. Only the
    member's base name is used (Canvas's zips are flat), so no member can write outside `target`;
    oversized members become notes, not files."""
    taken, total = [], 0
    with zipfile.ZipFile(path) as archive:
        named = [(clean_key(PurePosixPath(m.filename.replace("\\", "/")).name), m) for m in _bulk_members(archive)]
        for index, (name, member) in enumerate(sorted(named, key=lambda pair: pair[0])):
            if PurePosixPath(name).suffix.lower() not in SUBMISSION_SUFFIXES:
                notes.append(f"{path.name}: {name} is not a notebook or zip; not graded")
                continue
            total += member.file_size
            if member.file_size > MAX_BULK_MEMBER_BYTES or total > MAX_BULK_BYTES:
                notes.append(f"{path.name}: {name} is too large to unpack ({member.file_size} bytes); not graded")
                continue
            file = target / f"{index:05d}{PurePosixPath(name).suffix.lower()}"
            file.write_bytes(archive.read(member))
            taken.append((file, name, f"{path.resolve()}!{member.filename}"))
    return taken


# ---- who wrote it ----------------------------------------------------------------------------------
_IDENTITY = re.compile(r"^[\s*_>#-]*(?P<label>name|mat(?:r|riculation)?\.?\s*(?:no|nr|number)\.?|student\s*id"
                       r"|registration\s*number)[\s*_]*:[\s*_]*(?P<value>.*?)[\s*_]*$", re.IGNORECASE)
_PLACEHOLDERS = {"", "...", "\u2026", "[name]", "[mat. no.]", "your name", "todo"}


def notebook_identity(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """`student` / `student_id` from the notebook's own "Name:" and "Mat. No.:" (or "Student ID:")
    lines in its markdown cells, the first filled-in one of each; placeholders such as `...` count
    as empty."""
    found: dict[str, str] = {}
    for cell in notebook.cells:
        if cell.get("cell_type") != "markdown" or not isinstance(cell.get("source"), str):
            continue
        for line in cell.source.splitlines():
            match = _IDENTITY.match(line)
            if not match:
                continue
            value = clean_key(match["value"])[:100]
            field_name = "student" if match["label"].lower() == "name" else "student_id"
            if value.lower() not in _PLACEHOLDERS and field_name not in found:
                found[field_name] = value
    return found


def identify(submission: Submission) -> Submission:
    """`submission` with the student and student id its notebook names, where its file name and
    folder named none; unchanged when the notebook cannot be read (grading then says why)."""
    if submission.student and submission.student_id:
        return submission
    try:
        data = (_notebook_from_zip(submission.path)[0] if submission.path.suffix.lower() == ".zip"
                else submission.path.read_bytes())
        notebook = _read_notebook(data, submission.path.name)
    except (InvalidSubmission, OSError):
        return submission
    named = notebook_identity(notebook)
    return replace(submission, student=submission.student or named.get("student", ""),
                   student_id=submission.student_id or named.get("student_id", ""))


def unique_keys(keys: list[str]) -> list[str]:
    """`keys` cleaned and made unique, in order: a clashing key gets `-2`, `-3`... before its suffix;
    a key that is unique as it stands is never taken by another's `-2`."""
    cleaned = [clean_key(key) for key in keys]
    reserved = set(cleaned)
    unique, taken = [], set()
    for key in cleaned:
        candidate, counter = key, 2
        suffix = PurePosixPath(key).suffix
        stem = key[: -len(suffix)] if suffix else key
        while candidate in taken or (candidate != key and candidate in reserved):
            candidate, counter = f"{stem}-{counter}{suffix}", counter + 1
        taken.add(candidate)
        unique.append(candidate)
    return unique


def unique_names(keys: list[str]) -> list[str]:
    """Output-file names (results/<name>.json, feedback/<name>.txt) for a batch's keys, in order:
    the sanitised key, then `-2`, `-3`... on clashes. Each row of final_grades.csv records its
    results file, so no reader needs to replay this."""
    names, taken = [], set()
    for key in keys:
        name = base = safe_stem(key)
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


def read_submission(submission: Submission) -> nbformat.NotebookNode:
    """The submission's notebook, read and validated (InvalidSubmission saying why not).

    Only the notebook is taken from a zip: other files a student packed (such as Otter's
    `.OTTER_LOG`, a pickle, or a module shadowing a library) never reach the grader.
    """
    if submission.path.suffix.lower() == ".zip":
        data, origin = _notebook_from_zip(submission.path)
    elif submission.path.suffix.lower() == ".ipynb":
        data, origin = submission.path.read_bytes(), submission.path.name
    else:
        raise InvalidSubmission(f"{submission.path.name} is neither a notebook nor a zip file")
    return _read_notebook(data, origin)


def prepare(submission: Submission, workdir: Path, *, assignment: str) -> Path:
    """Write the submission's notebook to `workdir/<assignment>.ipynb`, ready to grade, and return that path."""
    notebook = read_submission(submission)
    # Otter refuses a notebook without the assignment's name (e.g. one a student started afresh and
    # pasted the cells into); a different name, i.e. another assignment, is still refused.
    otter = notebook.metadata.setdefault("otter", {})
    if isinstance(otter, dict) and not otter.get("assignment_name"):
        otter["assignment_name"] = assignment
    # The grader always runs the submission in a plain Python 3 kernel, whatever it names.
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    target = workdir / f"{assignment}.ipynb"
    workdir.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return target
