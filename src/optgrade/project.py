"""Where each stage of the pipeline keeps its files.

author (solutions/) -> build -> student (assignment/) -> grade (autograder/) -> export.
Which assignment the project holds is data (`optgrade.toml`, see optgrade.assignment).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .assignment import CONFIG_FILE, Assignment
from .errors import OptgradeError


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> "Project":
        """The checkout that contains `start` (default: the working directory)."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file():
                return cls(folder)
        raise OptgradeError(f"no optgrade project found at or above {here} (looked for {CONFIG_FILE}); pass --root")

    @classmethod
    def at(cls, root: Path | None) -> "Project":
        """The project at `root` (a command's --root), else the one around the working directory."""
        return cls(root.resolve()) if root else cls.find()

    @cached_property
    def assignment(self) -> Assignment:
        """What the project's optgrade.toml and master say about its assignment (read once)."""
        return Assignment.load(self.root)

    # author
    @property
    def master_source(self) -> Path:
        """The master notebook as a jupytext script: the file authors edit and review."""
        return self.root / self.assignment.master_source

    @property
    def master_notebook(self) -> Path:
        """The Otter Assign master notebook generated from `master_source`."""
        return self.master_source.with_suffix(".ipynb")

    @property
    def grading_requirements(self) -> Path:
        return self.master_source.parent / "requirements.txt"

    @property
    def reference_notebook(self) -> Path:
        """The reference solution as a student would submit it (Otter's autograder notebook)."""
        return self.master_source.parent / "reference" / self.assignment.notebook

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    # student
    @property
    def assignment_dir(self) -> Path:
        return self.root / "assignment"

    @property
    def student_notebook(self) -> Path:
        return self.assignment_dir / self.assignment.notebook

    # grade
    @property
    def autograder_zip(self) -> Path:
        return self.root / "autograder" / f"{self.assignment.name}-autograder.zip"

    @property
    def hardened_dir(self) -> Path:
        """probes.py and checks.py for the hardened grader (generated from the zip's hidden tests)."""
        return self.root / "autograder" / "hardened"
