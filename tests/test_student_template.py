"""What students get (assignment/): *Run All* on the blank template raises nothing in a real kernel;
cells that need the student's code print a note and skip themselves."""

from __future__ import annotations

import shutil
import time

import nbformat
import pytest
from nbclient import NotebookClient


def text_of(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts += [str(value) for value in output.get("data", {}).values()]
        if output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def blank_run(project, tmp_path_factory):
    """The blank template executed top to bottom as *Run All* does: every cell, the experiment cells
    and the export included, in a real python3 kernel that stops at the first error."""
    folder = tmp_path_factory.mktemp("student") / "assignment"
    shutil.copytree(project.assignment_dir, folder)
    notebook = nbformat.read(folder / project.student_notebook.name, as_version=4)
    started = time.monotonic()
    NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return notebook, time.monotonic() - started


@pytest.mark.slow
def test_run_all_on_the_blank_template_raises_nothing(blank_run):
    notebook, seconds = blank_run
    errors = [(index, text_of(cell)[-300:]) for index, cell in enumerate(notebook.cells)
              if any(o.get("output_type") == "error" for o in cell.get("outputs", []))]
    assert not errors, f"cells with an error output: {errors}"
    assert seconds < 120, f"Run All of the blank template took {seconds:.0f} s"
    skipped = [cell for cell in notebook.cells if "Skipped: fill in" in text_of(cell)]
    assert len(skipped) >= 5, "the cells that need the student's code should say so and skip themselves"
