"""The build stage: master -> student template + autograder zip, and that the committed copies are current."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from optgrade.build.steps import build_assignment, master_from_source

SOLUTION_MARKERS = re.compile(r"BEGIN SOLUTION|END SOLUTION|#\s*SOLUTION\b|BEGIN TESTS|BEGIN TEST CONFIG")


def hidden_test_names(autograder_zip: Path) -> list[str]:
    from optgrade.results import zip_test_cases

    return [case.node.name for case in zip_test_cases(autograder_zip) if case.hidden]


def test_master_notebook_matches_its_source(project, tmp_path):
    nbformat.write(master_from_source(project.master_source), tmp_path / "master.ipynb")
    regenerated = (tmp_path / "master.ipynb").read_text()
    assert regenerated == project.master_notebook.read_text(), (
        "solutions/a5_optimization.ipynb is stale: run `optgrade build`")


def test_student_template_has_no_solutions_and_no_hidden_tests(project):
    hidden = hidden_test_names(project.autograder_zip)
    assert len(hidden) >= 25, "the autograder should carry the hidden tests"
    student_files = [p for p in project.assignment_dir.rglob("*") if p.suffix in (".ipynb", ".py")]
    assert project.student_notebook in student_files
    for path in student_files:
        text = path.read_text()
        assert not SOLUTION_MARKERS.search(text), f"solution/test markup left in {path}"
        leaked = [name for name in hidden if name in text]
        assert not leaked, f"hidden tests {leaked} visible to students in {path}"
        for reference_line in ("cur_grad = grad(x)", "random.shuffle(tr)", "BatchNormalization(momentum=bn_momentum)]"):
            assert reference_line not in text, f"reference code {reference_line!r} in {path}"


def test_autograder_zip_carries_data_requirements_and_config(project):
    with zipfile.ZipFile(project.autograder_zip) as archive:
        names = set(archive.namelist())
        environment = archive.read("environment.yml").decode()
        lock = [line.lower().replace("_", "-") for line in archive.read("requirements.lock").decode().splitlines()]
        config = archive.read("otter_config.json").decode()
    assert {"files/data/img-001.jpg", "files/data/img-001-gt.png", "files/lr.png", "run_autograder",
            "setup.sh", "run_otter.py"} <= names
    # setup.sh installs the whole lock (every package pinned), not environment.yml's few direct pins
    for pin in ("otter-grader==7.0.0", "tensorflow-cpu==2.21.0", "keras==3.15.1", "scikit-image==0.26.0",
                "scikit-learn==1.9.1", "numpy==2.4.6"):
        assert pin in lock
    assert len([line for line in lock if "==" in line and not line.startswith("#")]) > 100
    assert "python=3.11" in environment and "-r requirements.lock" in environment
    assert '"assignment_name": "a5_optimization"' in config


@pytest.mark.slow
def test_build_reproduces_the_committed_outputs(project, project_copy):
    """Rebuilding from the master gives byte-identical student template, tests and zip."""
    build_assignment(project=project_copy, check=False)
    for relative in ("assignment/a5_optimization.ipynb", "assignment/requirements.txt",
                     "autograder/a5_optimization-autograder.zip",
                     "autograder/hardened/probes.py", "autograder/hardened/checks.py",
                     "solutions/a5_optimization.ipynb", "solutions/reference/a5_optimization.ipynb",
                     *(str(p.relative_to(project.root)) for p in (project.assignment_dir / "tests").iterdir())):
        fresh, committed = project_copy.root / relative, project.root / relative
        assert fresh.read_bytes() == committed.read_bytes(), f"{relative} is stale: run `optgrade build`"


def _timed_check_cells(notebook_path: Path, workdir: Path) -> dict[str, tuple[float, str]]:
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells = [c for c in notebook.cells if "otter_ignore" not in c.metadata.get("tags", [])
                      and "grader.export" not in c.source]
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                            record_timing=True, resources={"metadata": {"path": str(workdir)}})
    client.execute()
    timings = {}
    for cell in notebook.cells:
        match = re.match(r'grader\.check\("(\w+)"\)', cell.source.strip())
        if match:
            meta = cell.metadata["execution"]
            start = meta["iopub.execute_input"]
            end = meta["shell.execute_reply"]
            seconds = (datetime.fromisoformat(end.replace("Z", "+00:00"))
                       - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
            text = "".join(o.get("text", "") + str(o.get("data", {})) for o in cell.outputs)
            timings[match.group(1)] = (seconds, text)
    return timings


@pytest.mark.slow
def test_student_checks_are_fast_and_pass_on_the_reference(project, tmp_path):
    """Every grader.check in the template runs in < 2 s; on the reference every public test passes."""
    import shutil

    workdir = tmp_path / "student"
    shutil.copytree(project.assignment_dir, workdir)
    shutil.copy(project.reference_notebook, workdir / "a5_optimization.ipynb")
    timings = _timed_check_cells(workdir / "a5_optimization.ipynb", workdir)
    assert len(timings) >= 10
    for question, (seconds, output) in timings.items():
        assert seconds < 2.0, f"grader.check('{question}') took {seconds:.2f} s"
        assert "passed" in output and "failed" not in output.lower(), f"{question}: {output[:300]}"

    blank_dir = tmp_path / "blank"
    shutil.copytree(project.assignment_dir, blank_dir)
    blank = _timed_check_cells(blank_dir / "a5_optimization.ipynb", blank_dir)
    for question, (seconds, _) in blank.items():
        assert seconds < 2.0, f"grader.check('{question}') took {seconds:.2f} s on the blank template"


def test_the_build_timeout_reaches_the_masters_execution(project, monkeypatch):
    from optgrade.build import steps as build

    class Reached(Exception):
        pass

    def execute_master(notebook, workdir, *, timeout):
        raise Reached(timeout)

    monkeypatch.setattr(build, "execute_master", execute_master)
    with pytest.raises(Reached) as reached:
        build.build_assignment(project=project, check=False, timeout=7)
    assert reached.value.args == (7,)
