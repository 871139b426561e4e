#!/usr/bin/env python3
"""(Re)write examples/submissions/: a small, realistic class of submissions for assignment 5.

Every sample is derived from the reference solution (solutions/reference/a5_optimization.ipynb) by
small edits a student could plausibly make, so the samples follow the assignment when it changes:

    python examples/make_submissions.py              # notebooks (fast, deterministic)
    python examples/make_submissions.py --with-zip   # also re-export exported-zip.zip (~1 min)

Each edit names the text it replaces and must match exactly once (in code cells unless stated), so a
change to the reference that breaks a sample fails loudly instead of producing a sample that no
longer shows what its name says. Outputs are cleared in every notebook.

`exported-zip.zip` is what `grader.export()` writes when the passes-all notebook is run top to
bottom (with nbclient, in a temporary copy of assignment/). It holds timestamps and Otter's log, so
it is not byte-reproducible: it is committed and only rebuilt with --with-zip; without the flag an
existing copy is left alone.

The expected scores of every sample are in examples/golden_scores.csv (kept by hand, checked with
`optgrade check`); see examples/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "solutions" / "reference" / "a5_optimization.ipynb"
ASSIGNMENT = ROOT / "assignment"
OUT = ROOT / "examples" / "submissions"
NOTEBOOK_NAME = "a5_optimization.ipynb"
ZIP_NAME = "exported-zip.zip"
IGNORE_TAG = "otter_ignore"  # the long experiment cells, which the autograder skips


# --- edits --------------------------------------------------------------------------------------

def replace_once(nb: nbformat.NotebookNode, old: str, new: str, *, cell_type: str = "code") -> None:
    """Replace `old` by `new` in place; `old` must occur exactly once in the cells of `cell_type`."""
    hits = [(cell, cell.source.count(old)) for cell in nb.cells
            if cell.cell_type == cell_type and old in cell.source]
    count = sum(n for _, n in hits)
    if count != 1:
        raise SystemExit(f"make_submissions: expected {old!r} once in the {cell_type} cells of "
                         f"{REFERENCE.relative_to(ROOT)}, found it {count} times")
    cell = hits[0][0]
    cell.source = cell.source.replace(old, new)


def student(name: str, student_id: str) -> Callable[[nbformat.NotebookNode], None]:
    """Fill in the template's `**Name:** ...` and `**Student ID:** ...` lines."""
    def edit(nb: nbformat.NotebookNode) -> None:
        replace_once(nb, "**Name:** ...", f"**Name:** {name}", cell_type="markdown")
        replace_once(nb, "**Student ID:** ...", f"**Student ID:** {student_id}", cell_type="markdown")
    return edit


def sgd_sign_error(nb: nbformat.NotebookNode) -> None:
    # `x -= update` only occurs in sgd (sgd_momentum does `x += momentum`)
    replace_once(nb, "        x -= update\n", "        x += update\n")


def wrong_momentum_update(nb: nbformat.NotebookNode) -> None:
    replace_once(nb, "momentum = momentum_factor * momentum - update",
                 "momentum = momentum_factor * momentum + update")


def off_by_one_patches(nb: nbformat.NotebookNode) -> None:
    replace_once(nb, "while y + h < height:", "while y + h <= height:")
    replace_once(nb, "while x + w < width:", "while x + w <= width:")


def unbalanced_balance(nb: nbformat.NotebookNode) -> None:
    # forgot to cut the majority class down to the minority's size
    replace_once(nb, "X_new = np.asarray(tr[:n] + fa[:n])", "X_new = np.asarray(tr + fa)")
    replace_once(nb, "y_new = np.asarray([1] * n + [0] * n)",
                 "y_new = np.asarray([1] * len(tr) + [0] * len(fa))")


ALWAYS_ZERO_NET = '''\
    # placeholder until my CNN works: "no separator" everywhere (sigmoid(-20) ~ 2e-9)
    return keras.Sequential([
        keras.Input(shape=(img_h, img_w, channels)),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation='sigmoid', trainable=False, kernel_initializer='zeros',
                           bias_initializer=keras.initializers.Constant(-20.0)),
    ])
'''


def always_zero_model(nb: nbformat.NotebookNode) -> None:
    # the student's get_net body is a placeholder instead of the CNN
    start = "    # BEGIN SOLUTION\n    init = dict(kernel_initializer=weight_init, bias_initializer=bias_init)\n"
    end = "    return keras.Sequential(layers)\n    # END SOLUTION\n"
    cells = [c for c in nb.cells if c.cell_type == "code" and start in c.source]
    if len(cells) != 1 or cells[0].source.count(start) != 1 or end not in cells[0].source:
        raise SystemExit("make_submissions: cannot find the body of get_net in the reference")
    body = cells[0].source[cells[0].source.index(start):cells[0].source.index(end) + len(end)]
    replace_once(nb, body, ALWAYS_ZERO_NET)


def raises_halfway(nb: nbformat.NotebookNode) -> None:
    # a typo in the Q3 plotting cell (a cell without tests): NameError, `momentum_hist` undefined
    replace_once(nb, "momentum_hist = sgd_momentum(theta_0, loss, grad, callbacks=[print_dot])",
                 "momentum_hist = sgd_momentum(theta_0, loss, grad, callbacks=[print_dots])")


def infinite_loop(nb: nbformat.NotebookNode) -> None:
    replace_once(nb, "import matplotlib.pyplot as plt",
                 "import matplotlib.pyplot as plt\n\n"
                 "# keeps my JupyterHub session alive while I am away -- TODO delete\n"
                 "while True:\n"
                 "    pass")


def own_explanation(nb: nbformat.NotebookNode) -> None:
    """A written answer in the student's own words (graded by hand; no autograded points)."""
    replace_once(nb, "Yes. Plain gradient descent takes 164 small steps downhill",
                 "Yes, it gets stuck. Without momentum gradient descent takes 164 small steps downhill",
                 cell_type="markdown")


def late_partial(nb: nbformat.NotebookNode) -> None:
    """A typical late, partly wrong submission: A/D mixed up, one statement too many, bad momentum."""
    replace_once(nb, 'q1_1_labels = {"A": "high", "B": "low", "C": "very high", "D": "good"}',
                 'q1_1_labels = {"A": "good", "B": "low", "C": "very high", "D": "high"}')
    replace_once(nb, 'q2_2_true_statements = {"C", "D"}', 'q2_2_true_statements = {"A", "C", "D"}')
    wrong_momentum_update(nb)


def invalid_json(text: str) -> str:
    """An upload cut off part-way: the first 60 % of the file."""
    return text[: int(len(text) * 0.6)]


# --- the class ----------------------------------------------------------------------------------

# file name -> (edits, whether to truncate the JSON). Names say what the sample shows.
SAMPLES: dict[str, tuple[list[Callable[[nbformat.NotebookNode], None]], bool]] = {
    "passes-all.ipynb": ([student("Ada Lovelace", "s1815001")], False),
    "sgd-sign-error.ipynb": ([student("Blaise Pascal", "s1623002"), sgd_sign_error], False),
    "wrong-momentum-update.ipynb": ([student("Carl Gauss", "s1777003"), wrong_momentum_update], False),
    "off-by-one-patches.ipynb": ([student("Dora Maar", "s1907004"), off_by_one_patches], False),
    "unbalanced-balance.ipynb": ([student("Emmy Noether", "s1882005"), unbalanced_balance], False),
    "always-zero-model.ipynb": ([student("Felix Klein", "s1849006"), always_zero_model], False),
    "raises-halfway.ipynb": ([student("Grace Hopper", "s1906007"), raises_halfway], False),
    "infinite-loop.ipynb": ([student("Hedy Lamarr", "s1914008"), infinite_loop], False),
    "invalid-json.ipynb": ([student("Ida Rhodes", "s1900009")], True),
    "my_a5_final_v2.ipynb": ([student("Joan Clarke", "s1917010")], False),
    # Canvas bulk download: lastfirst[_LATE]_<canvas user id>_<attachment id>_<original name>
    "doejane_48213_9120377_a5_optimization.ipynb": ([student("Jane Doe", "s2019213"),
                                                     own_explanation], False),
    "smithjohn_LATE_48217_9120391_a5_optimization.ipynb": ([student("John Smith", "s2019217"),
                                                            late_partial], False),
}


def clear_outputs(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None


def make_notebook(edits: list[Callable[[nbformat.NotebookNode], None]]) -> nbformat.NotebookNode:
    nb = nbformat.read(REFERENCE, as_version=4)
    for edit in edits:
        edit(nb)
    clear_outputs(nb)
    return nb


def write_notebooks(out: Path) -> list[Path]:
    written = []
    for name, (edits, truncate) in SAMPLES.items():
        nb = make_notebook(edits)
        path = out / name
        if truncate:
            path.write_text(invalid_json(nbformat.writes(nb) + "\n"), encoding="utf-8")
        else:
            nbformat.validate(nb)
            nbformat.write(nb, path)
        written.append(path)
    return written


# --- the exported zip ---------------------------------------------------------------------------

def export_zip(notebook: Path, target: Path, *, timeout: int = 900) -> None:
    """Run `notebook` top to bottom like a student (export cell included) and keep Otter's zip."""
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="optgrade-export-") as tmp:
        work = Path(tmp)
        for name in ("data", "tests"):
            shutil.copytree(ASSIGNMENT / name, work / name)
        shutil.copy(ASSIGNMENT / "lr.png", work / "lr.png")
        # grader.export() zips the notebook file saved on disk, so that is the unchanged sample
        shutil.copy(notebook, work / NOTEBOOK_NAME)
        runnable = nbformat.read(notebook, as_version=4)
        # a student would run the experiments too; they take many minutes and change nothing graded
        runnable.cells = [c for c in runnable.cells if IGNORE_TAG not in c.metadata.get("tags", [])]
        client = NotebookClient(runnable, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(work)}})
        client.execute()
        zips = sorted(work.glob("a5_optimization_*.zip"))
        if len(zips) != 1:
            raise SystemExit(f"make_submissions: expected one export zip, found {zips}")
        shutil.copy(zips[0], target)


# --- main ---------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--with-zip", action="store_true",
                        help=f"also rebuild {ZIP_NAME} by executing passes-all.ipynb (~1 min)")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    keep = set(SAMPLES) | {ZIP_NAME}
    for stale in out.iterdir():
        if stale.name not in keep:
            stale.unlink()
    written = write_notebooks(out)
    if args.with_zip:
        export_zip(out / "passes-all.ipynb", out / ZIP_NAME)
        written.append(out / ZIP_NAME)
    elif not (out / ZIP_NAME).exists():
        print(f"note: {ZIP_NAME} is missing; rebuild it with --with-zip", file=sys.stderr)
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
