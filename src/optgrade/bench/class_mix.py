"""A realistic class for the cost benchmark: many students, written by nobody here, with known grades.

Drawn (seeded) from the notebooks the project already knows the right grade of, in the proportions
of a real class: mostly the 2019 network in independently written fair variants, a quarter with a
mistake somewhere, a few own architectures (each its own CNN training), and a few broken uploads
(invalid JSON, a crash halfway, one infinite loop, a `grader.export()` zip). Every copy is a
distinct submission (a markdown cell with its student's number is appended), so nothing is graded
once for two students. The expected total of each comes from the source's own answer key
(examples/corpus/expected.csv, examples/golden_scores.csv), so the benchmark also proves that no
optimisation changed a grade.
"""

from __future__ import annotations

import csv
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import gradebook as book

# share of the class by kind (an own architecture is drawn from OWN_ARCHITECTURES)
MIX = (("fair", 0.58), ("mistake", 0.27), ("own", 0.05), ("sample class", 0.10))
OWN_ARCHITECTURES = ("fair-own-cnn-leaky-gmp.ipynb", "fair-own-cnn-avgpool.ipynb", "mistake-weak-linear-model.ipynb",
                     "always-zero-model.ipynb")
# examples/submissions: broken uploads among the sample class's mistakes
SAMPLE_CLASS = ("invalid-json.ipynb", "raises-halfway.ipynb", "exported-zip.zip", "sgd-sign-error.ipynb",
                "wrong-momentum-update.ipynb", "off-by-one-patches.ipynb", "unbalanced-balance.ipynb")
AT_MOST_ONCE = ("infinite-loop.ipynb",)  # one student's runaway loop costs its whole timeout


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


def draw(root: Path, size: int, seed: int = 2019) -> list[tuple[str, str]]:
    """(student file name, source file name) for `size` students, the same for the same seed."""
    keys = answer_keys(root)
    pools = {"fair": sorted(k for k in keys if k.startswith("fair-") and k not in OWN_ARCHITECTURES) + ["passes-all.ipynb"],
             "mistake": sorted(k for k in keys if k.startswith("mistake-") and k not in OWN_ARCHITECTURES),
             "own": list(OWN_ARCHITECTURES), "sample class": list(SAMPLE_CLASS)}
    rng = random.Random(seed)
    kinds, weights = zip(*MIX)
    chosen = [rng.choice(pools[kind]) for kind in rng.choices(kinds, weights, k=size)]
    if size >= 50:
        chosen[rng.randrange(size)] = AT_MOST_ONCE[0]
    return [(f"s{index:03d}-{Path(source).stem}{Path(source).suffix}", source) for index, source in enumerate(chosen)]


def write_class(root: Path, folder: Path, size: int, seed: int = 2019) -> list[Student]:
    keys = answer_keys(root)
    folder.mkdir(parents=True, exist_ok=True)
    students = []
    for file, source in draw(root, size, seed):
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
