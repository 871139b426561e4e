"""Finding and preparing submissions: Canvas names, exported zips, and what cannot be graded."""

from __future__ import annotations

import json
import zipfile

import nbformat
import pytest

from conftest import FULL_MARKS
from optgrade.grade.batch import grade_submissions
from optgrade.submissions import InvalidSubmission, discover, parse_canvas_name, prepare


def write_zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def notebook_bytes(project) -> bytes:
    return project.reference_notebook.read_bytes()


def test_canvas_names_give_student_id_and_late_flag():
    assert parse_canvas_name("doejane_48213_9120377_a5_optimization.ipynb") == {
        "student": "doejane", "student_id": "48213", "attachment_id": "9120377", "late": False}
    late = parse_canvas_name("smithjohn_LATE_48217_9120391_a5_optimization-1.ipynb")
    assert late["late"] is True and late["student_id"] == "48217"
    assert parse_canvas_name("a5_optimization.ipynb") == {}


def test_discover_walks_folders_and_keeps_names_unique(tmp_path, notebook_bytes):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "hw.ipynb").write_bytes(notebook_bytes)
    (tmp_path / "b" / "hw.ipynb").write_bytes(notebook_bytes)
    (tmp_path / "b" / "notes.txt").write_text("not a submission")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "hw-checkpoint.ipynb").write_bytes(notebook_bytes)
    found = discover([tmp_path])
    assert [s.key for s in found] == ["a/hw.ipynb", "b/hw.ipynb"]  # the `file` column: relative paths
    assert [s.name for s in found] == ["a_hw", "b_hw"]  # results/<name>.json, feedback/<name>.txt


def test_prepare_renames_to_the_expected_notebook_name(tmp_path, notebook_bytes):
    source = tmp_path / "My Final (2).ipynb"
    source.write_bytes(notebook_bytes)
    prepared = prepare(discover([source])[0], tmp_path / "work", assignment="a5_optimization")
    assert prepared.name == "a5_optimization.ipynb"
    assert nbformat.read(prepared, as_version=4).metadata["kernelspec"]["name"] == "python3"


def test_prepare_names_the_assignment_when_the_notebook_lacks_it_but_keeps_another_name(tmp_path, notebook_bytes):
    fresh = json.loads(notebook_bytes)
    fresh["metadata"].pop("otter", None)
    (tmp_path / "fresh.ipynb").write_text(json.dumps(fresh))
    other = json.loads(notebook_bytes)
    other["metadata"]["otter"] = {"assignment_name": "a4_regularization"}
    (tmp_path / "other.ipynb").write_text(json.dumps(other))
    names = {}
    for submission in discover([tmp_path]):
        prepared = prepare(submission, tmp_path / "work" / submission.name, assignment="a5_optimization")
        names[submission.name] = nbformat.read(prepared, as_version=4).metadata["otter"]["assignment_name"]
    assert names == {"fresh": "a5_optimization", "other": "a4_regularization"}


def test_prepare_takes_only_the_notebook_from_an_exported_zip(tmp_path, notebook_bytes):
    archive = write_zip(tmp_path / "export.zip", {"a5_optimization.ipynb": notebook_bytes,
                                                   ".OTTER_LOG": b"\x80\x04 pickled", "numpy.py": b"raise SystemExit"})
    work = tmp_path / "work"
    prepare(discover([archive])[0], work, assignment="a5_optimization")
    assert sorted(p.name for p in work.iterdir()) == ["a5_optimization.ipynb"]


@pytest.mark.parametrize("members, reason", [
    ({"README.txt": b"hello"}, "contains no notebook"),
    ({"a.ipynb": b"{}", "b.ipynb": b"{}"}, "contains 2 notebooks"),
    ({"../../evil.ipynb": b"{}"}, "unsafe path"),
    ({"/abs/evil.ipynb": b"{}"}, "unsafe path"),
])
def test_unusable_zips_are_invalid_with_a_reason(tmp_path, members, reason):
    archive = write_zip(tmp_path / "bad.zip", members)
    with pytest.raises(InvalidSubmission, match=reason):
        prepare(discover([archive])[0], tmp_path / "work", assignment="a5_optimization")


@pytest.mark.parametrize("content, reason", [
    (b'{"cells": [', "not a valid notebook"),
    (b"\xff\xfe garbage", "not a valid notebook"),
    (json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode(), "no code cells"),
])
def test_broken_notebooks_are_invalid_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(content)
    with pytest.raises(InvalidSubmission, match=reason):
        prepare(discover([path])[0], tmp_path / "work", assignment="a5_optimization")


def test_outputs_are_written_even_when_every_submission_fails(project, tmp_path):
    submissions = tmp_path / "class"
    submissions.mkdir()
    (submissions / "truncated.ipynb").write_text('{"cells": [')
    write_zip(submissions / "empty.zip", {"notes.txt": b"forgot the notebook"})
    (submissions / "not-a-zip.zip").write_bytes(b"PK\x03\x04 truncated")
    out = tmp_path / "out"
    run = grade_submissions(paths=[submissions], out_dir=out, autograder_zip=project.autograder_zip,
                            backend="local", progress=False)
    assert [g.result.status for g in run.graded] == ["invalid"] * 3
    rows = (out / "final_grades.csv").read_text().splitlines()
    assert rows[1].startswith("points-per-question,")
    assert len(rows) == 5 and all(",0,0.0000,invalid," in row for row in rows[2:])
    assert sorted(p.name for p in (out / "results").iterdir()) == ["empty.json", "not-a-zip.json", "truncated.json"]
    results = json.loads((out / "results" / "empty.json").read_text())
    assert results["score"] == 0 and "contains no notebook" in results["output"]
    assert sum(t["max_score"] for t in results["tests"]) == FULL_MARKS
    assert (out / "report.png").stat().st_size > 10_000
    assert "contains no notebook" in (out / "feedback" / "empty.txt").read_text()
