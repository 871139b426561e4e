"""What students get (assignment/): it runs, it tells the truth, and it can be set up without the
instructor's files.

- *Run All* on the blank template raises nothing in a real kernel: cells that need the student's code
  print a note and skip themselves.
- `grader.check` never says "passed" for what it did not check: every autograded question has a
  public test, and on the blank template every check (and the export's summary) reports failures.
- q4_quality's public test is a quick sanity check: it passes on the reference in under 2 s, fails on
  the blank template, and never fails a network that earns the quality points.
- assignment/requirements.txt pins what the grading environment pins.
"""

from __future__ import annotations

import csv
import re
import shutil
import time
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from optgrade.build.steps import check_public_tests
from optgrade.errors import BuildError
from optgrade.results import zip_test_cases

ROOT = Path(__file__).resolve().parents[1]
CHECK = re.compile(r'grader\.check\("(\w+)"\)')


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


@pytest.mark.slow
def test_no_check_on_the_blank_template_says_passed(project, blank_run):
    notebook, _ = blank_run
    checked = {}
    for cell in notebook.cells:
        match = CHECK.fullmatch(cell.source.strip()) if cell.cell_type == "code" else None
        if match:
            checked[match.group(1)] = text_of(cell)
    autograded = {case.question for case in zip_test_cases(project.autograder_zip) if case.points}
    assert autograded <= set(checked), f"questions without a check cell: {sorted(autograded - set(checked))}"
    for question, output in checked.items():
        assert "passed" not in output.lower(), f"grader.check({question!r}) on the blank template: {output[:300]}"
        assert "failed" in output.lower(), f"grader.check({question!r}) reported no failure: {output[:300]}"
    export = [text_of(cell) for cell in notebook.cells if "grader.export(" in cell.source]
    assert len(export) == 1 and "results when run against available test cases" in export[0]
    assert "passed" not in export[0].lower(), export[0][:2000]


def test_every_autograded_question_has_a_public_test_and_no_public_points(project, tmp_path):
    check_public_tests(project.autograder_zip)  # the committed zip
    cases = zip_test_cases(project.autograder_zip)
    assert {c.question for c in cases if not c.hidden} == {c.question for c in cases if c.hidden}
    assert all(c.points == 0 for c in cases if not c.hidden)

    # a question with hidden tests only is refused by the build (grader.check would say "passed")
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(project.autograder_zip) as source, zipfile.ZipFile(broken, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "tests/q4_quality.py":
                text = data.decode()
                data = text[:text.index("@test_case(points=0, hidden=False")].encode()
            target.writestr(name, data)
    with pytest.raises(BuildError, match="q4_quality"):
        check_public_tests(broken)


# --- q4_quality's public test -------------------------------------------------------------------------

def get_net_of(notebook_path: Path):
    """The get_net a notebook defines (its cell run alone, with keras and numpy imported)."""
    import keras
    import numpy

    notebook = nbformat.read(notebook_path, as_version=4)
    cells = [c.source for c in notebook.cells if c.cell_type == "code" and "def get_net(" in c.source]
    namespace = {"keras": keras, "np": numpy}
    for source in cells:  # a later redefinition wins, as in the notebook
        exec(compile(source, str(notebook_path), "exec"), namespace)
    return namespace["get_net"]


@pytest.fixture(scope="module")
def quality_check(project):
    from otter.test_files.exception_test import ExceptionTestFile  # as grader.check loads it

    path = project.assignment_dir / "tests" / "q4_quality.py"
    assert [c.hidden for c in ExceptionTestFile.from_file(str(path)).test_cases] == [False]

    def run(get_net) -> tuple[bool, str, float]:
        checked = ExceptionTestFile.from_file(str(path))
        started = time.monotonic()
        checked.run({"get_net": get_net})
        seconds = time.monotonic() - started
        return checked.passed_all, checked.summary(), seconds

    return run


def test_quality_check_passes_on_the_reference_in_under_two_seconds(project, quality_check):
    get_net = get_net_of(project.reference_notebook)
    get_net("glorot_uniform", "zeros")  # as in the notebook: Keras has built a model before the check
    passed, summary, seconds = quality_check(get_net)
    assert passed, summary
    assert "only the grader decides" in summary  # the success message says what was not checked
    assert seconds < 2.0, f"q4_quality's public check took {seconds:.2f} s"
    assert quality_check(get_net)[0], "the verdict must not change when the check is run again"


def test_quality_check_fails_on_the_blank_template(project, quality_check):
    passed, summary, _ = quality_check(get_net_of(project.student_notebook))
    assert not passed and "passed" not in summary.lower(), summary


def test_quality_check_never_fails_a_network_that_earns_the_quality_points(quality_check):
    """The corpus and the sample class: every distinct get_net whose expected q4_quality is full marks."""
    expected = {}
    for folder, table in ((ROOT / "examples" / "corpus" / "submissions", ROOT / "examples" / "corpus" / "expected.csv"),
                          (ROOT / "examples" / "submissions", ROOT / "examples" / "golden_scores.csv")):
        with open(table, newline="") as file:
            for row in csv.DictReader(file):
                if row["file"].endswith(".ipynb") and (folder / row["file"]).is_file():
                    expected[folder / row["file"]] = float(row["q4_quality"])
    networks = {}
    for path in sorted(path for path, points in expected.items() if points == 4):
        notebook = nbformat.read(path, as_version=4)
        source = "\n".join(c.source for c in notebook.cells if c.cell_type == "code" and "def get_net(" in c.source)
        networks.setdefault(source, path)
    assert len(networks) >= 6
    for path in networks.values():
        passed, summary, _ = quality_check(get_net_of(path))
        assert passed, f"{path.name} earns q4_quality's points, but its public check fails:\n{summary}"


def test_quality_check_refuses_what_the_grader_refuses(quality_check):
    import keras

    def frozen(*args, **kwargs):
        return keras.Sequential([keras.Input(shape=(15, 15, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(1, activation="sigmoid", trainable=False)])

    def softmax_output(*args, **kwargs):
        return keras.Sequential([keras.Input(shape=(15, 15, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(1, activation="softmax")])

    def too_costly(*args, **kwargs):  # like the hostile slow stack: 531 M multiply-adds per patch
        convolutions = [keras.layers.Conv2D(256, 3, padding="same", activation="relu") for _ in range(5)]
        return keras.Sequential([keras.Input(shape=(15, 15, 1)), *convolutions, keras.layers.Flatten(),
                                 keras.layers.Dense(1, activation="sigmoid")])

    def dead(*args, **kwargs):
        return keras.Sequential([keras.Input(shape=(15, 15, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(8, activation="relu",
                                                    bias_initializer=keras.initializers.Constant(-100.0)),
                                 keras.layers.Dense(1, activation="sigmoid")])

    for network, reason in ((frozen, "every layer must be trainable"), (softmax_output, "sigmoid"),
                            (too_costly, "multiply-adds per patch"), (dead, "training does not lower the loss")):
        started = time.monotonic()
        passed, summary, _ = quality_check(network)
        assert not passed and reason in summary, summary
        assert time.monotonic() - started < 5, f"{network.__name__}: refused too slowly"


# --- setting up without the instructor's files ------------------------------------------------------

def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip().strip('",')
        if "==" in line:
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()] = version.strip()
    return pins


def test_student_requirements_pin_the_grading_environment(project):
    path = project.assignment_dir / "requirements.txt"
    assert path.is_file(), "assignment/requirements.txt is missing: run `optgrade build`"
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.]*", line) for line in lines), lines
    student = _pins(lines)
    pyproject = _pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    lock = _pins((ROOT / "autograder" / "requirements.lock").read_text().splitlines())
    grading = _pins(project.grading_requirements.read_text().splitlines())
    needed = {"otter-grader", "ipykernel", "numpy", "matplotlib", "scikit-image", "scikit-learn", "keras",
              "tensorflow-cpu", *grading}
    assert needed <= set(student), f"missing: {sorted(needed - set(student))}"
    for name, version in student.items():
        assert pyproject.get(name) == version, f"{name}=={version}, pyproject.toml pins {pyproject.get(name)}"
        assert lock.get(name) == version, f"{name}=={version}, requirements.lock pins {lock.get(name)}"


def test_nothing_for_students_needs_the_instructors_files(project):
    """No advice to students that needs solutions/, optgrade or the autograder zip (it holds the hidden
    tests): not in the notebook they get, nor in the README's Students section."""
    forbidden = re.compile(r"optgrade|autograder\.zip|-autograder|solutions/|otter run|otter grade")
    notebook = nbformat.read(project.student_notebook, as_version=4)
    for cell in notebook.cells:
        assert not forbidden.search(cell.source), cell.source[:300]
    assert not forbidden.search((project.assignment_dir / "requirements.txt").read_text())
    readme = (ROOT / "README.md").read_text()
    students = readme[readme.index("### Students"):]
    students = students[:students.index("\n### ", 1)]
    assert not re.search(r"optgrade check|otter run|otter grade|-autograder\.zip", students), students
    assert "requirements.txt" in students and "Run All" in students
