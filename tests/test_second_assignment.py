"""The engine grades what it is given: a second, small assignment (tests/assignments/tiny_numpy)
goes through `optgrade build --root`, both grading backends and the exports, with nothing of
assignment 5 in the way."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import docker_or_skip
from optgrade.gradebook import COMPLETED, FILE, POINTS_ROW, STATUS, TOTAL

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "assignments" / "tiny_numpy"
# what each submission deserves: q1_softmax (2 points), q2_mse (1 point)
EXPECTED = {"reference.ipynb": 3.0, "blank.ipynb": 0.0, "unstable-softmax.ipynb": 1.0, "mse-as-sum.ipynb": 2.0}
MISTAKES = {"unstable-softmax.ipynb": ("e = np.exp(z - z.max())", "e = np.exp(z)"),
            "mse-as-sum.ipynb": ("np.mean((", "np.sum((")}


def optgrade(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from optgrade.cli import main; main()", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """The tiny assignment, built in a folder of its own with the main project's grading environment."""
    root = tmp_path_factory.mktemp("second") / "tiny_numpy"
    shutil.copytree(TINY, root)
    (root / "autograder").mkdir()
    for name in ("Dockerfile", "requirements.lock"):
        shutil.copy(ROOT / "autograder" / name, root / "autograder" / name)
    shutil.copy(ROOT / "solutions" / "requirements.txt", root / "solutions" / "requirements.txt")
    built = optgrade("build", "--root", str(root), cwd=root.parent)
    assert built.returncode == 0, built.stdout + built.stderr
    # the points table: the reference earns all 3 points by both graders, the blank template none
    assert re.search(r"^total\s+3\s+3\s+0\s*$", built.stdout, re.MULTILINE), built.stdout
    return root


@pytest.fixture(scope="module")
def submissions(tiny) -> Path:
    folder = tiny.parent / "submissions"
    folder.mkdir()
    reference = tiny / "solutions" / "reference" / "tiny_numpy.ipynb"
    shutil.copy(reference, folder / "reference.ipynb")
    shutil.copy(tiny / "assignment" / "tiny_numpy.ipynb", folder / "blank.ipynb")
    for name, (right, wrong) in MISTAKES.items():
        notebook = nbformat.read(reference, as_version=4)
        changed = 0
        for cell in notebook.cells:
            if right in cell.source:
                cell.source, changed = cell.source.replace(right, wrong), changed + 1
        assert changed == 1, name
        nbformat.write(notebook, folder / name)
    return folder


def test_the_build_names_only_the_given_assignment(tiny):
    assert (tiny / "assignment" / "tiny_numpy.ipynb").is_file()
    assert (tiny / "solutions" / "reference" / "tiny_numpy.ipynb").is_file()
    checks = (tiny / "autograder" / "hardened" / "checks.py").read_text()
    assert "solutions/tiny_numpy.py" in checks and 'SECONDS = {}' in checks and 'WARM = []' in checks
    # q2's hidden test is in the short form: cut at its probe statement, its check holds only the data
    probes = (tiny / "autograder" / "hardened" / "probes.py").read_text()
    assert "return [float(mse(" in probes and "probed" not in probes and "[2.0, 0.5]" not in probes
    assert "def check(values):" in checks and "mse(" not in checks
    with zipfile.ZipFile(tiny / "autograder" / "tiny_numpy-autograder.zip") as archive:
        assert json.loads(archive.read("otter_config.json"))["assignment_name"] == "tiny_numpy"
        engine = [n for n in archive.namelist() if n.startswith("files/.optgrade/optgrade/")]
        assert engine
        for name in engine:  # the engine the zip ships names no assignment of its own
            assert b"a5_optimization" not in archive.read(name), name
        assert not [n for n in archive.namelist() if n.endswith("tiny_numpy.ipynb")]  # no template inside


@pytest.fixture(scope="module")
def graded(tiny, submissions):
    """OUT_DIR of `optgrade grade --root` with each backend, graded once for this module."""
    outs: dict[str, Path] = {}

    def grade(backend: str) -> Path:
        if backend not in outs:
            out = tiny.parent / f"out-{backend}"
            done = optgrade("grade", str(submissions), "-o", str(out), "--root", str(tiny), "--backend", backend,
                            "--workers", "2", "--timeout", "300", "--no-progress", "--no-cache", cwd=tiny.parent)
            assert done.returncode == 0, done.stdout + done.stderr
            outs[backend] = out
        return outs[backend]

    return grade


@pytest.mark.parametrize("backend", ["docker", "local"])
def test_both_backends_grade_the_second_assignment(graded, backend):
    if backend == "docker":
        docker_or_skip()
    out = graded(backend)
    with open(out / "final_grades.csv", newline="") as file:
        rows = {r[FILE]: r for r in csv.DictReader(file)}
    assert [float(rows[POINTS_ROW][q]) for q in ("q1_softmax", "q2_mse")] == [2.0, 1.0]
    del rows[POINTS_ROW]
    assert {name: float(row[TOTAL]) for name, row in rows.items()} == EXPECTED
    assert {row[STATUS] for row in rows.values()} == {COMPLETED}
    assert float(rows["mse-as-sum.ipynb"]["q1_softmax"]) == 2.0 and float(rows["mse-as-sum.ipynb"]["q2_mse"]) == 0
    assert "q4_quality" not in rows["reference.ipynb"]  # nothing of assignment 5 leaks in


def test_the_exports_take_the_assignments_own_name(tiny, graded, tmp_path):
    out = graded("local")
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("file,email\n" + "".join(f"{name},{Path(name).stem}@example.org\n" for name in EXPECTED))
    moodle = optgrade("export", "moodle", "--grades", str(out / "final_grades.csv"), "--id-column", "email",
                      "--mapping", str(mapping), "-o", str(tmp_path / "moodle.csv"), "--root", str(tiny), cwd=tmp_path)
    assert moodle.returncode == 0, moodle.stdout + moodle.stderr
    with open(tmp_path / "moodle.csv", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["email", "tiny_numpy", "feedback"]
    assert {r[0]: float(r[1]) for r in rows[1:]} == {f"{Path(n).stem}@example.org": v for n, v in EXPECTED.items()}
    checked = optgrade("export", "gradescope", "--grades", str(out / "final_grades.csv"), "--autograder",
                       str(tiny / "autograder" / "tiny_numpy-autograder.zip"), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
