"""The assignment a project holds, as data: read once from `optgrade.toml` and the master's own
Otter config, handed down as one frozen object. The engine names no assignment of its own.

`optgrade.toml` (at the project's root) says where the master is and what the master cannot say:

    [assignment]
    master = "solutions/hw1.py"               # jupytext master; its ASSIGNMENT CONFIG gives name and files
    data_generator = "data/newspaper.py"      # optional: what `optgrade data` runs (with an output folder)

    [assignment.check_seconds]                # hidden tests that may take longer than the checker's 60 s
    test_q4_quality_balanced_accuracy = 600

Everything else (questions, points, tests) comes from the master through Otter Assign.
"""

from __future__ import annotations

import json
import re
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageProblem

CONFIG_FILE = "optgrade.toml"
DATA_FOLDER = "data/"  # master `files:` under it come from the project's data folder, the rest from its run
_CONFIG_BLOCK = re.compile(r"^# # ASSIGNMENT CONFIG\n((?:#.*\n)+)", re.MULTILINE)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class AssignmentError(UsageProblem):
    """The project's assignment description is missing or wrong: nothing was built or graded."""


@dataclass(frozen=True)
class Assignment:
    name: str                      # Otter's assignment_name; students submit `<name>.ipynb`
    master_source: Path            # the jupytext master, relative to the project's root
    files: tuple[str, ...] = ()    # the master's `files:` (what students and the autograder get)
    check_seconds: dict[str, float] = field(default_factory=dict)
    data_generator: Path | None = None  # a script `optgrade data` runs with an output folder

    @property
    def notebook(self) -> str:
        return f"{self.name}.ipynb"

    @property
    def data_files(self) -> tuple[str, ...]:
        """`files:` taken from the project's data folder (names inside it)."""
        return tuple(f[len(DATA_FOLDER):] for f in self.files if f.startswith(DATA_FOLDER))

    @property
    def produced_files(self) -> tuple[str, ...]:
        """`files:` that running the master writes (e.g. a figure), kept next to the master."""
        return tuple(f for f in self.files if not f.startswith(DATA_FOLDER))

    @classmethod
    def load(cls, root: Path) -> "Assignment":
        """The assignment of the project at `root`; AssignmentError saying what is wrong otherwise."""
        path = root / CONFIG_FILE
        try:
            declared = tomllib.loads(path.read_text(encoding="utf-8"))["assignment"]
            master = Path(declared["master"])
            generator = Path(declared["data_generator"]) if "data_generator" in declared else None
            seconds = dict(declared.get("check_seconds", {}))
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in seconds.values()):
                raise ValueError("check_seconds: every budget is a number of seconds above 0")
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
            raise AssignmentError(f"{path}: {error!r}; it needs [assignment] master = \"solutions/NAME.py\"")
        otter = master_config(root / master)
        name = otter.get("name")
        if not (isinstance(name, str) and _NAME.fullmatch(name)):
            raise AssignmentError(f"{root / master}: its ASSIGNMENT CONFIG needs `name:` (letters, digits, _ . -)")
        if master.stem != name:  # Otter Assign names the notebooks it writes after the master's file
            raise AssignmentError(f"{root / master}: the master's file must be named after the assignment "
                                  f"({name}.py), as the notebooks Otter Assign writes are")
        files = otter.get("files") or []
        if not (isinstance(files, list) and all(isinstance(f, str) for f in files)):
            raise AssignmentError(f"{root / master}: `files:` must be a list of paths")
        return cls(name, master, tuple(files), seconds, generator)


def master_config(master: Path) -> dict:
    """The Otter Assign config (`# # ASSIGNMENT CONFIG` block, YAML) of a jupytext master script."""
    import yaml

    try:
        text = master.read_text(encoding="utf-8")
    except OSError as error:
        raise AssignmentError(f"the master {master} cannot be read: {error}")
    found = _CONFIG_BLOCK.search(text)
    if not found:
        raise AssignmentError(f"{master} has no `# # ASSIGNMENT CONFIG` block")
    block = "\n".join(line[2:] if line.startswith("# ") else line[1:] for line in found.group(1).splitlines())
    config = yaml.safe_load(block)
    if not isinstance(config, dict):
        raise AssignmentError(f"{master}: its ASSIGNMENT CONFIG is not a YAML mapping")
    return config


def name_in_zip(autograder_zip: Path) -> str:
    """The assignment's name as the autograder zip records it (Otter's otter_config.json)."""
    with zipfile.ZipFile(autograder_zip) as archive:
        return name_in_config(archive.read("otter_config.json"))


def name_in_config(data: bytes) -> str:
    name = json.loads(data).get("assignment_name")
    if not (isinstance(name, str) and _NAME.fullmatch(name)):
        raise AssignmentError("the autograder's otter_config.json names no assignment (assignment_name)")
    return name
