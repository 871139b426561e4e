"""What the hardened grader reads at grade time: the built bundle of public files, probes (the
untrusted side), checks and data (the trusted side), written by `optgrade build` (hidden_split.py).

checks.py's constants (questions, points, hints, time budgets) are read once per Bundle, that is
once per batch, without running checks.py.
"""

from __future__ import annotations

import ast
import shutil
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

# the hidden tests' helpers for Otter's own kernel: Otter copies files/ next to the notebook it grades
HELPERS_IN_ZIP = ("files/optgrade_checks.py", "files/optgrade_probes.py")


@dataclass(frozen=True)
class Bundle:
    """What the hardened grader needs: public files, probes (untrusted side), checks and data (trusted)."""
    assignment_dir: Path
    probes: Path
    checks: Path
    autograder_zip: Path

    @classmethod
    def of(cls, project) -> "Bundle":
        return cls(project.assignment_dir, project.hardened_dir / "probes.py",
                   project.hardened_dir / "checks.py", project.autograder_zip)

    def missing(self) -> list[Path]:
        return [p for p in (self.assignment_dir, self.probes, self.checks, self.autograder_zip) if not p.exists()]

    @cached_property
    def constants(self) -> dict:
        """QUESTIONS, POINTS, HINTS and SECONDS of checks.py, read without running it (once). On
        Gradescope SECONDS is what the build gave each check (optgrade.toml's check_seconds)."""
        values = {}
        for node in ast.parse(self.checks.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = getattr(node.targets[0], "id", "")
                if target in ("QUESTIONS", "POINTS", "HINTS", "SECONDS"):
                    values[target] = ast.literal_eval(node.value)
        return values

    @cached_property
    def _hidden_tests(self) -> dict[str, list[tuple[str, float]]]:
        values = self.constants
        return {q: [(t, float(values["POINTS"][t])) for t in tests] for q, tests in values["QUESTIONS"].items()}

    def hidden_tests(self) -> dict[str, list[tuple[str, float]]]:
        """Question -> [(hidden test, points)], read from checks.py without running it."""
        return {q: list(cases) for q, cases in self._hidden_tests.items()}

    def hints(self) -> dict[str, str]:
        """Hidden test -> the hint a student sees when it fails."""
        return dict(self.constants.get("HINTS", {}))

    @cached_property
    def _grader_lines(self) -> frozenset[str]:
        lines = set()
        for path in (self.probes, self.checks):
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if len(line) >= 16 and not line.startswith(("def ", "import ", "from ", "return probe", "#")):
                    lines.add(line)
        return frozenset(lines)

    def grader_lines(self) -> frozenset[str]:
        """Distinctive lines of probes.py and checks.py (for keeping them out of student feedback)."""
        return self._grader_lines

    def stage_checker(self, target: Path) -> None:
        """checks.py and the grading data (the zip's files/)."""
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.checks, target / "checks.py")
        with zipfile.ZipFile(self.autograder_zip) as archive:
            for member in archive.namelist():
                parts = Path(member).parts
                # files/.optgrade/ is the zip's own runtime (gradescope_zip.py) and HELPERS_IN_ZIP the
                # helpers' copies for Otter's kernel (the checker imports its own): not grading data
                if (len(parts) > 1 and parts[0] == "files" and parts[1] != ".optgrade" and ".." not in parts
                        and member not in HELPERS_IN_ZIP and not member.endswith("/")):
                    destination = target.joinpath(*parts[1:])
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    destination.write_bytes(archive.read(member))

    def stage_probes(self, target: Path) -> None:
        """Only probes.py: the checks must never be where the student's code runs."""
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.probes, target / "probes.py")
