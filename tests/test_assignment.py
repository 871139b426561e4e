"""The assignment as data: optgrade.toml and the master's own config, read once into one frozen
object; a broken description is a clear usage error, never a half-built assignment."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import pytest

from optgrade.assignment import Assignment, AssignmentError, name_in_zip
from optgrade.errors import BuildError
from optgrade.build.hidden_split import hidden_tests
from optgrade.project import Project

MASTER = """# %% [raw]
# # ASSIGNMENT CONFIG
# name: {name}
# files:
#   - data/page.png
#   - figure.png

# %%
x = 1
"""


def folder(tmp_path: Path, toml: str, name: str = "hw1", master: str = "hw1") -> Path:
    (tmp_path / "solutions").mkdir(exist_ok=True)
    (tmp_path / "solutions" / f"{master}.py").write_text(MASTER.format(name=name))
    (tmp_path / "optgrade.toml").write_text(toml)
    return tmp_path


def test_assignment_5_is_read_from_its_files(project):
    assignment = project.assignment
    assert (assignment.name, assignment.notebook) == ("a5_optimization", "a5_optimization.ipynb")
    assert assignment.data_files == ("img-001.jpg", "img-001-gt.png") and assignment.produced_files == ("lr.png",)
    assert assignment.check_seconds == {"test_q4_quality_balanced_accuracy": 600}
    assert name_in_zip(project.autograder_zip) == assignment.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        assignment.name = "other"


def test_another_folder_is_another_assignment(tmp_path):
    root = folder(tmp_path, '[assignment]\nmaster = "solutions/hw1.py"\n[assignment.check_seconds]\nt_slow = 90\n')
    project = Project.find(root / "solutions")
    assert project.root == root and project.assignment.name == "hw1"
    assert project.assignment.check_seconds == {"t_slow": 90}
    assert project.student_notebook == root / "assignment" / "hw1.ipynb"
    assert project.autograder_zip == root / "autograder" / "hw1-autograder.zip"


@pytest.mark.parametrize("toml, name, master, problem", [
    ("", "hw1", "hw1", "master"),
    ('[assignment]\nmaster = "solutions/missing.py"\n', "hw1", "hw1", "cannot be read"),
    ('[assignment]\nmaster = "solutions/hw1.py"\n', "hw 1!", "hw1", "needs `name:`"),
    ('[assignment]\nmaster = "solutions/hw1.py"\n', "hw2", "hw1", "named after the assignment"),
    ('[assignment]\nmaster = "solutions/hw1.py"\n[assignment.check_seconds]\nt = "long"\n', "hw1", "hw1",
     "check_seconds"),
    ("not toml [", "hw1", "hw1", "master"),
])
def test_a_broken_description_says_what_is_wrong(tmp_path, toml, name, master, problem):
    root = folder(tmp_path, toml, name, master)
    with pytest.raises(AssignmentError, match=problem) as raised:
        Assignment.load(root)
    assert raised.value.exit_code == 2


def test_a_time_budget_for_a_test_that_does_not_exist_is_refused(project):
    with pytest.raises(BuildError, match="test_q4_quality_balanced_acuracy"):
        hidden_tests(project.autograder_zip, {"test_q4_quality_balanced_acuracy": 600})


def test_a_zip_that_names_no_assignment_is_refused(tmp_path):
    broken = tmp_path / "x-autograder.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("otter_config.json", '{"assignment_name": "../../etc"}')
    with pytest.raises(AssignmentError):
        name_in_zip(broken)
