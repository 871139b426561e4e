"""What the optgrade commands share, written once: the one context every command is handed (the
project, found from `--root` or the working directory), the `--root` option and the file types.

`--root` may come before or after the command (`optgrade --root F grade ...` or `optgrade grade
... --root F`); either way it lands in the same context. The project is looked up only when a
command asks for it, so `--help` reads no project and imports nothing of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..project import Project

existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)
output_file = click.Path(dir_okay=False, path_type=Path)


@dataclass
class CliContext:
    """Handed to every command (`@pass_context`)."""

    root: Path | None = None

    @cached_property
    def project(self) -> "Project":
        from ..project import Project

        return Project.at(self.root)

    def master(self, given: Path | None) -> Path:
        """The master notebook with the written questions: `given`, else the project's."""
        from ..manual.scores import default_master

        return given or default_master(self.project)


def _remember_root(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(CliContext).root = value


root_option = click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
                           expose_value=False, callback=_remember_root,
                           help="The project folder, with its optgrade.toml (default: found from the working "
                                "directory).")
pass_context = click.make_pass_decorator(CliContext, ensure=True)
