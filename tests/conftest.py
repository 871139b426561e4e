from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest

from optgrade import Project, grade_with_otter

ROOT = Path(__file__).resolve().parents[1]


def _full_marks() -> float:
    from optgrade.results import autograder_points

    return sum(autograder_points(Project(ROOT).autograder_zip).values())


# Every autograded point of the committed assignment: what the reference and honest copies earn.
FULL_MARKS = _full_marks()


def docker_or_skip() -> bool:
    """True when a Docker engine with the grader image answers; otherwise skip the test, or fail it
    when OPTGRADE_REQUIRE_DOCKER=1 (CI, which must grade in containers)."""
    from optgrade.grade.engine import docker_available

    if docker_available():
        return True
    if os.environ.get("OPTGRADE_REQUIRE_DOCKER") == "1":
        pytest.fail("OPTGRADE_REQUIRE_DOCKER=1 but no Docker engine answers with the grader image")
    pytest.skip("no Docker engine with the grader image (see `make images`)")


@pytest.fixture(scope="session")
def verdict_cache(tmp_path_factory) -> Path:
    """One verdict cache for the whole session's hardened batches: the 2019 network is trained once,
    not once per submission. Cached and fresh grades are equal (test_verdict_cache.py)."""
    return tmp_path_factory.mktemp("verdict-cache")


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def reference_notebook(project: Project) -> nbformat.NotebookNode:
    return nbformat.read(project.reference_notebook, as_version=4)


def replace_in_code(notebook: nbformat.NotebookNode, old: str, new: str) -> nbformat.NotebookNode:
    """A copy of `notebook` with `old` replaced by `new` in exactly one code cell."""
    changed = nbformat.from_dict(notebook)
    cells = [c for c in changed.cells if c.cell_type == "code" and old in c.source]
    assert len(cells) == 1, f"{old!r} is in {len(cells)} code cells"
    cells[0].source = cells[0].source.replace(old, new)
    return changed


@pytest.fixture
def grade(project: Project, tmp_path: Path):
    """Grade a notebook object (written to tmp_path/<name>.ipynb) with the committed autograder."""

    def _grade(notebook: nbformat.NotebookNode, name: str, timeout: float = 600):
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(notebook, path)
        return grade_with_otter(path, autograder_zip=project.autograder_zip, timeout=timeout, name=name)

    return _grade


@pytest.fixture
def project_copy(project: Project, tmp_path: Path) -> Project:
    """A throwaway copy of the authoring inputs, for running the build without touching the checkout."""
    root = tmp_path / "project"
    (root / "solutions").mkdir(parents=True)
    for name in ("a5_optimization.py", "requirements.txt"):
        shutil.copy(project.root / "solutions" / name, root / "solutions" / name)
    shutil.copytree(project.data_dir, root / "data")
    shutil.copy(project.root / "optgrade.toml", root / "optgrade.toml")
    (root / "autograder").mkdir()
    shutil.copy(project.root / "autograder" / "requirements.lock", root / "autograder" / "requirements.lock")
    return Project(root)
