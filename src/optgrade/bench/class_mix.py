"""A realistic class for the cost benchmark: many students, written by nobody here, with known grades.

Drawn (seeded) from the notebooks the project already knows the right grade of, in the proportions
of a real class: mostly the 2019 network in independently written fair variants, a quarter with a
mistake somewhere, a few own architectures (each its own CNN training), and a few broken uploads
(invalid JSON, a crash halfway, one infinite loop, a `grader.export()` zip). Every copy is a
distinct submission (a markdown cell with its student's number is appended), so nothing is graded
once for two students. The kinds, their shares and their pools are the project's, not the engine's
(examples/bench_class.toml). The expected total of each comes from the source's own answer key
(examples/corpus/expected.csv, examples/golden_scores.csv), so the benchmark also proves that no
optimisation changed a grade.
"""

from __future__ import annotations

import csv
import fnmatch
import random
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import gradebook as book

CONFIG = Path("examples") / "bench_class.toml"  # the class's kinds, shares and pools, in the project


@dataclass(frozen=True)
class Student:
    file: str       # the submission's file name in the class folder
    source: Path    # the notebook it was drawn from
    total: float    # the grade its answer key gives
    status: str


def answer_keys(root: Path) -> dict[str, tuple[Path, float, str]]:
    keys = {}
    with open(root / "examples" / "corpus" / "expected.csv", newline="") as file:
        for row in csv.DictReader(file):
            keys[row["file"]] = (root / "examples" / "corpus" / "submissions" / row["file"], float(row["total"]),
                                 row["status"])
    with open(root / "examples" / "golden_scores.csv", newline="") as file:
        for row in csv.DictReader(file):
            keys[row[book.FILE]] = (root / "examples" / "submissions" / row[book.FILE],
                                    float(row[book.TOTAL]), row[book.STATUS])
    return keys


def pools(config: dict, files: list[str]) -> dict[str, list[str]]:
    """Each kind's pool: its patterns' matches among `files` (sorted; minus the files another kind
    names outright), then the names it gives outright, in its order."""
    def is_pattern(name: str) -> bool:
        return any(c in name for c in "*?[")

    named = {name for kind in config["kind"] for name in kind["files"] if not is_pattern(name)}
    result = {}
    for kind in config["kind"]:
        pool = []
        for pattern in kind["files"]:
            if is_pattern(pattern):
                pool += sorted(f for f in files if fnmatch.fnmatchcase(f, pattern) and f not in named)
            else:
                pool.append(pattern)
        result[kind["name"]] = pool
    return result


def draw(root: Path, size: int) -> list[tuple[str, str]]:
    """(student file name, source file name) for `size` students, the same for the same config."""
    config = tomllib.loads((root / CONFIG).read_text(encoding="utf-8"))
    keys = answer_keys(root)
    by_kind = pools(config, sorted(keys))
    unknown = sorted({f for pool in by_kind.values() for f in pool} - set(keys)) + \
        ([config["once"]["file"]] if config["once"]["file"] not in keys else [])
    if unknown:
        raise ValueError(f"{root / CONFIG} names files without an answer key: {', '.join(unknown)}")
    rng = random.Random(config["seed"])
    kinds, weights = zip(*((kind["name"], kind["share"]) for kind in config["kind"]))
    chosen = [rng.choice(by_kind[kind]) for kind in rng.choices(kinds, weights, k=size)]
    if size >= config["once"]["from_class_size"]:
        chosen[rng.randrange(size)] = config["once"]["file"]
    return [(f"s{index:03d}-{Path(source).stem}{Path(source).suffix}", source) for index, source in enumerate(chosen)]


def write_class(root: Path, folder: Path, size: int) -> list[Student]:
    keys = answer_keys(root)
    folder.mkdir(parents=True, exist_ok=True)
    students = []
    for file, source in draw(root, size):
        path, total, status = keys[source]
        target = folder / file
        try:
            notebook = nbformat.read(path, as_version=4) if path.suffix == ".ipynb" else None
        except Exception:  # the broken uploads are copied byte for byte
            notebook = None
        if notebook is None:
            shutil.copy(path, target)
        else:
            notebook.cells.append(nbformat.v4.new_markdown_cell(f"Submitted by student {file[1:4]}."))
            nbformat.write(notebook, target)
        students.append(Student(file, path, total, status))
    return students
