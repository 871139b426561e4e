"""Where each stage of the pipeline keeps its files.

author (solutions/) -> build -> student (assignment/) -> grade (autograder/) -> export.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import OptgradeError

ASSIGNMENT_NAME = "a5_optimization"
NOTEBOOK_NAME = f"{ASSIGNMENT_NAME}.ipynb"


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> "Project":
        """The checkout that contains `start` (default: the working directory)."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "solutions" / f"{ASSIGNMENT_NAME}.py").is_file():
                return cls(folder)
        raise OptgradeError(
            f"no optgrade project found at or above {here} "
            f"(looked for solutions/{ASSIGNMENT_NAME}.py); pass --root"
        )

    # author
    @property
    def master_source(self) -> Path:
        """The master notebook as a jupytext script: the file authors edit and review."""
        return self.root / "solutions" / f"{ASSIGNMENT_NAME}.py"

    @property
    def master_notebook(self) -> Path:
        """The Otter Assign master notebook generated from `master_source`."""
        return self.root / "solutions" / NOTEBOOK_NAME

    @property
    def grading_requirements(self) -> Path:
        return self.root / "solutions" / "requirements.txt"

    @property
    def reference_notebook(self) -> Path:
        """The reference solution as a student would submit it (Otter's autograder notebook)."""
        return self.root / "solutions" / "reference" / NOTEBOOK_NAME

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    # student
    @property
    def assignment_dir(self) -> Path:
        return self.root / "assignment"

    @property
    def student_notebook(self) -> Path:
        return self.assignment_dir / NOTEBOOK_NAME

    # grade
    @property
    def autograder_zip(self) -> Path:
        return self.root / "autograder" / f"{ASSIGNMENT_NAME}-autograder.zip"

    @property
    def hardened_dir(self) -> Path:
        """probes.py and checks.py for the hardened grader (generated from the zip's hidden tests)."""
        return self.root / "autograder" / "hardened"
