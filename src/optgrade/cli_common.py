"""What the optgrade commands share, written once: the project option and the file types."""

from __future__ import annotations

from pathlib import Path

import click

existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)
output_file = click.Path(dir_okay=False, path_type=Path)
root_option = click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="The project folder, with its optgrade.toml (default: found from the working "
                                "directory).")
