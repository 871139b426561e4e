"""An OUT_DIR is a class record: nothing in it is lost, and grader faults are never the student's.

The slow tests run the real command in containers on tiny notebooks (one code cell each, about 5 s
per submission); regrading one student of the sample class is in test_class.py, where that class
is graded anyway.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import docker_or_skip
from optgrade.grade.outputs import NO_FAULT_OF_YOURS
from optgrade.grade.record import ClassRecord
from optgrade.results import GRADED, GRADER_ERROR, NOT_GRADED, QuestionScore, SubmissionResult
from optgrade.submissions import discover, identify, notebook_identity

ROOT = Path(__file__).resolve().parents[1]


def optgrade(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from optgrade.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)


def tiny_notebook(path: Path, name: str = "", number: str = "") -> Path:
    """A valid notebook that answers nothing: graded in a few seconds, 0 points."""
    cells = [nbformat.v4.new_markdown_cell(f"# Assignment 5\n\n**Name:** {name or '...'}\n\n"
                                           f"**Mat. No.:** {number or '...'}"),
             nbformat.v4.new_code_cell("x = 1")]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "final_grades.csv", newline="") as file:
        return {row["file"]: row for row in csv.DictReader(file) if row["file"] != "points-per-question"}


# ---- who wrote it, and where it came from -----------------------------------------------------------

def test_name_and_mat_no_lines_fill_the_student_columns(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("__Name:__ Ada Lovelace\n\n__Mat. No.:__ 2851234"),
        nbformat.v4.new_markdown_cell("**Name:** someone else, later")])
    assert notebook_identity(notebook) == {"student": "Ada Lovelace", "student_id": "2851234"}
    # the template's own placeholders are no name
    blank = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("**Name:** ...\n\n**Student ID:** ...")])
    assert notebook_identity(blank) == {}
    plain = identify(discover([tiny_notebook(tmp_path / "hw.ipynb", "Grace Hopper", "77")])[0])
    assert (plain.student, plain.student_id) == ("Grace Hopper", "77")


def test_a_canvas_name_or_folder_wins_over_the_notebook_lines(tmp_path):
    canvas = tiny_notebook(tmp_path / "flat" / "hopperg_48213_9120377_a5.ipynb", "Grace Hopper", "77")
    tiny_notebook(tmp_path / "byfolder" / "alan" / "a5.ipynb", "Alan Turing", "99")
    by_canvas = identify(discover([canvas])[0])
    assert (by_canvas.student, by_canvas.student_id) == ("hopperg", "48213")
    by_folder = identify(discover([tmp_path / "byfolder"])[0])
    assert (by_folder.student, by_folder.student_id) == ("alan", "99")  # the folder names the student


def canvas_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_canvas_submissions_zip_counts_as_the_folder_it_unpacks_to(tmp_path):
    notebook = tiny_notebook(tmp_path / "nb.ipynb").read_bytes()
    bulk = canvas_zip(tmp_path / "submissions.zip", {
        "doejane_48213_9120377_a5_optimization.ipynb": notebook,
        "smithjohn_LATE_48217_9120391_a5_optimization.ipynb": notebook,
        "../../evil_1_2_escape.ipynb": notebook,  # only the base name is ever used
        "doejane_48213_9120378_notes.pdf": b"%PDF",
    })
    unpack, notes = tmp_path / "unpack", []
    unpack.mkdir()
    found = discover([bulk], unpack_dir=unpack, notes=notes)
    assert [(s.key, s.student, s.student_id, s.attachment_id, s.late) for s in found] == [
        ("doejane_48213_9120377_a5_optimization.ipynb", "doejane", "48213", "9120377", False),
        ("evil_1_2_escape.ipynb", "evil", "1", "2", False),
        ("smithjohn_LATE_48217_9120391_a5_optimization.ipynb", "smithjohn", "48217", "9120391", True)]
    assert all(s.path.parent.parent == unpack for s in found)
    assert not (tmp_path.parent / "evil_1_2_escape.ipynb").exists()
    assert notes == ["submissions.zip: doejane_48213_9120378_notes.pdf is not a notebook or zip; not graded"]
    assert {s.source.split("!")[0] for s in found} == {str(bulk.resolve())}


def test_a_students_own_export_zip_is_not_a_bulk_download(tmp_path):
    own = canvas_zip(tmp_path / "a5.zip", {"a5_optimization.ipynb": tiny_notebook(tmp_path / "n.ipynb").read_bytes()})
    unpack = tmp_path / "unpack"
    unpack.mkdir()
    assert [s.path for s in discover([own], unpack_dir=unpack)] == [own]


def test_a_bulk_download_is_graded_with_its_canvas_names(tmp_path):
    """End to end on members that need no kernel (invalid notebooks): one row per member."""
    bulk = canvas_zip(tmp_path / "submissions.zip", {"doejane_48213_9120377_a5.ipynb": b"{",
                                                     "smithjohn_LATE_48217_9120391_a5.ipynb": b"[]"})
    result = optgrade("grade", str(bulk), "-o", str(tmp_path / "out"), "--backend", "local", "--no-progress")
    assert result.returncode == 0, result.stderr
    graded = rows(tmp_path / "out")
    assert sorted(graded) == ["doejane_48213_9120377_a5.ipynb", "smithjohn_LATE_48217_9120391_a5.ipynb"]
    assert [(r["student"], r["attachment_id"], r["late"], r["grading_status"]) for r in graded.values()] == [
        ("doejane", "9120377", "false", "invalid"), ("smithjohn", "9120391", "true", "invalid")]


# ---- the record: placement, backups ------------------------------------------------------------------

def result_of(name: str, earned: float, status: str = GRADED) -> SubmissionResult:
    return SubmissionResult(name, status, {"q1_1": QuestionScore(earned, 2.0)})


def test_a_file_graded_again_keeps_its_key_and_name_and_a_new_one_gets_its_own(tmp_path):
    folder = tmp_path / "class"
    first = tiny_notebook(folder / "alice" / "a5_optimization.ipynb")
    tiny_notebook(folder / "bob" / "a5_optimization.ipynb")
    with ClassRecord.open(tmp_path / "out") as record:
        for submission in record.place(discover([folder])):
            record.store(submission, result_of(submission.name, 2), "print")
    with ClassRecord.open(tmp_path / "out") as record:
        # the same file given directly: the same row, not a new `a5_optimization.ipynb`
        [again] = record.place(discover([first]))
        assert (again.key, again.name) == ("alice/a5_optimization.ipynb", "alice_a5_optimization")
        # another file whose bare name clashes with nothing, then one whose output name would clash
        other = tiny_notebook(tmp_path / "late" / "alice_a5_optimization.ipynb")
        [new] = record.place(discover([other]))
        assert new.key == "alice_a5_optimization.ipynb" and new.name == "alice_a5_optimization-2"


def test_a_second_run_on_the_same_out_dir_waits_its_turn(tmp_path):
    with ClassRecord.open(tmp_path / "out"):
        with pytest.raises(Exception, match="another `optgrade grade` is writing"):
            ClassRecord.open(tmp_path / "out")


def test_grades_written_by_something_else_are_never_overwritten(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "final_grades.csv").write_text("file,total_points_earned\nx.ipynb,27\n")
    result = optgrade("grade", str(tiny_notebook(tmp_path / "x.ipynb")), "-o", str(tmp_path / "out"),
                      "--backend", "local", "--no-progress")
    assert result.returncode == 1 and "choose another --out-dir" in result.stderr
    assert (tmp_path / "out" / "final_grades.csv").read_text() == "file,total_points_earned\nx.ipynb,27\n"


def test_a_changed_class_file_is_kept_as_a_numbered_backup(tmp_path):
    with ClassRecord.open(tmp_path) as record:
        assert record.replace_class_file("final_grades.csv", lambda p: p.write_text("one\n")) is None
        assert record.replace_class_file("final_grades.csv", lambda p: p.write_text("one\n")) is None  # same
        assert record.replace_class_file("final_grades.csv", lambda p: p.write_text("two\n")).name == "final_grades.csv.1"
        assert record.replace_class_file("final_grades.csv", lambda p: p.write_text("three\n")).name == "final_grades.csv.2"
    assert [(tmp_path / n).read_text() for n in ("final_grades.csv.1", "final_grades.csv.2", "final_grades.csv")] == [
        "one\n", "two\n", "three\n"]


# ---- isolation by default, limits, faults --------------------------------------------------------------

def test_no_engine_means_exit_1_with_what_to_run_and_nothing_written(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    result = optgrade("grade", str(tiny_notebook(tmp_path / "a.ipynb")), "-o", str(tmp_path / "out"), env=env)
    assert result.returncode == 1
    assert "no Docker engine answers" in result.stderr and "make images" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_local_backend_warns_on_stderr_that_nothing_is_isolated(tmp_path):
    bad = tmp_path / "a.ipynb"
    bad.write_text("{")  # invalid: the warning comes before anything would run
    result = optgrade("grade", str(bad), "-o", str(tmp_path / "out"), "--backend", "local", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "warning: --backend local runs every student's notebook unisolated" in result.stderr
    assert "unisolated" not in result.stdout


def test_an_image_built_from_another_environment_is_refused(tmp_path):
    docker_or_skip()
    from optgrade.grade.engine import DEFAULT_IMAGE, engine_problem

    assert engine_problem(DEFAULT_IMAGE, ROOT / "autograder") == ""
    other = tmp_path / "autograder"
    other.mkdir()
    (other / "Dockerfile").write_bytes((ROOT / "autograder" / "Dockerfile").read_bytes())
    (other / "requirements.lock").write_text((ROOT / "autograder" / "requirements.lock").read_text()
                                             .replace("numpy==", "numpy>="))
    assert "was not built from this project's" in engine_problem(DEFAULT_IMAGE, other)


@pytest.mark.parametrize("option,reason", [
    (("--memory", "lots"), "--memory 'lots' is not a size"),
    (("--memory", "100m"), "--memory 100m: at least 512 MiB"),
    (("--cpus", "64"), "--cpus 64: more than the"),
])
def test_limits_the_engine_would_refuse_stop_before_any_container(tmp_path, option, reason):
    docker_or_skip()
    result = optgrade("grade", str(tiny_notebook(tmp_path / "a.ipynb")), "-o", str(tmp_path / "out"), *option)
    assert result.returncode == 2, result.stderr
    assert reason in result.stderr and "nothing was graded" in result.stderr
    assert not (tmp_path / "out").exists()


def refusing_docker(tmp_path: Path, allowed_probes: int) -> dict:
    """PATH with a `docker` that lets `allowed_probes` student containers start, then answers every
    further one as an engine refusing a limit does (exit status 125, no container)."""
    shim = tmp_path / "shim"
    shim.mkdir()
    real = subprocess.run(["which", "docker"], capture_output=True, text=True).stdout.strip()
    (shim / "docker").write_text(f"""#!/bin/bash
if [[ "$1" == run && "$*" == *-probe\\ * ]]; then
    n=$(cat {shim}/count 2>/dev/null || echo 0); echo $((n + 1)) > {shim}/count
    if (( n >= {allowed_probes} )); then
        echo "docker: Error response from daemon: Range of CPUs is from 0.01 to 2.00." >&2; exit 125
    fi
fi
exec {real} "$@"
""")
    (shim / "docker").chmod(0o755)
    return {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}


@pytest.mark.slow
def test_an_engine_refusal_mid_batch_is_a_grader_error_not_the_students(tmp_path):
    docker_or_skip()
    folder = tmp_path / "class"
    for name in ("a", "b"):
        tiny_notebook(folder / f"{name}.ipynb")
    out = tmp_path / "out"
    result = optgrade("grade", str(folder), "-o", str(out), "--no-progress", "--no-cache",
                      env=refusing_docker(tmp_path, allowed_probes=1))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "could not be graded because the grader or the engine failed" in result.stderr
    graded = rows(out)
    assert graded["a.ipynb"]["grading_status"] == "Completed"
    assert graded["b.ipynb"]["grading_status"] == GRADER_ERROR
    assert "Error response from daemon" in graded["b.ipynb"]["message"]  # for the instructor
    feedback = (out / "feedback" / "b.txt").read_text()
    assert NO_FAULT_OF_YOURS[GRADER_ERROR] in feedback
    assert "abnormally" not in feedback and "daemon" not in feedback and "lost points" not in feedback
    # the statistics do not count it, and the export refuses to send its 0 to the LMS
    stats = list(csv.DictReader(open(out / "question_stats.csv")))
    assert {row["submissions"] for row in stats} == {"1"}
    # the same command with a working engine grades only the one that failed
    again = optgrade("grade", str(folder), "-o", str(out), "--no-progress", "--no-cache")
    assert again.returncode == 0, again.stderr
    assert [line for line in again.stdout.splitlines() if line.startswith("a.ipynb")][0].endswith(
        "(unchanged, not graded again)")
    assert {r["grading_status"] for r in rows(out).values()} == {"Completed"}
    assert (out / "final_grades.csv.1").is_file()


@pytest.mark.slow
def test_sigterm_keeps_finished_rows_marks_the_rest_not_graded_and_a_rerun_resumes(tmp_path):
    docker_or_skip()
    from optgrade.grade.engine import docker_environment

    folder = tmp_path / "class"
    for name in ("a", "b", "c", "d"):
        tiny_notebook(folder / f"{name}.ipynb", f"Student {name}")
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-c", "from optgrade.cli import main; main()", "grade", str(folder),
                                "-o", str(out), "--no-progress", "--no-cache"], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list((out / "records").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stdout + stderr
    assert "run the same command again" in stderr
    first = rows(out)
    assert sorted(first) == ["a.ipynb", "b.ipynb", "c.ipynb", "d.ipynb"]  # every submission has its row
    statuses = [first[k]["grading_status"] for k in sorted(first)]
    assert "Completed" in statuses and NOT_GRADED in statuses, statuses
    assert statuses == sorted(statuses, key=lambda s: s != "Completed")  # workers=1: in order
    feedback = (out / "feedback" / f"{sorted(first)[-1].split('.')[0]}.txt").read_text()
    assert NO_FAULT_OF_YOURS[NOT_GRADED] in feedback
    left = subprocess.run(["docker", "ps", "-aq", "--filter", "name=optgrade-"], capture_output=True, text=True,
                          env=docker_environment()).stdout.split()
    assert left == []
    done = [k for k in sorted(first) if first[k]["grading_status"] == "Completed"]
    recorded = {k: (out / "records" / f"{k[:-6]}.json").read_bytes() for k in done}
    resumed = optgrade("grade", str(folder), "-o", str(out), "--no-progress", "--no-cache")
    assert resumed.returncode == 0, resumed.stderr
    for key in done:  # finished rows are not graded again: their records are untouched
        assert (out / "records" / f"{key[:-6]}.json").read_bytes() == recorded[key]
        assert [line for line in resumed.stdout.splitlines() if line.startswith(key)][0].endswith(
            "(unchanged, not graded again)")
    final = rows(out)
    assert {r["grading_status"] for r in final.values()} == {"Completed"}
    assert [final[k]["student"] for k in sorted(final)] == ["Student a", "Student b", "Student c", "Student d"]
    assert all(float(final[k]["seconds"]) > 0 for k in final)


@pytest.mark.slow
def test_only_regrades_the_chosen_student_and_leaves_the_rest(tmp_path):
    docker_or_skip()
    folder = tmp_path / "class"
    for name in ("a", "b"):
        tiny_notebook(folder / f"{name}.ipynb", f"Student {name}", f"10{name}")
    out = tmp_path / "out"
    assert optgrade("grade", str(folder), "-o", str(out), "--no-progress").returncode == 0
    kept = (out / "records" / "a.json").read_bytes()
    again = optgrade("grade", str(folder), "-o", str(out), "--no-progress", "--only", "Student b")  # the notebook's name
    assert again.returncode == 0, again.stderr
    table = again.stdout.split("-" * 20)[1].split("class:")[0]
    assert [line.split()[0] for line in table.split("\n") if line.strip("-")] == ["b.ipynb"]  # only b, afresh
    assert "unchanged" not in again.stdout
    assert (out / "records" / "a.json").read_bytes() == kept
    assert sorted(rows(out)) == ["a.ipynb", "b.ipynb"]
