"""The CLI's exit statuses are part of its interface: 0 ok, 1 failure, 2 usage."""

from __future__ import annotations

import subprocess
import sys


def optgrade(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from optgrade.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd)


def test_help_lists_the_stages():
    result = optgrade("--help")
    assert result.returncode == 0
    for command in ("build", "check", "data"):
        assert command in result.stdout


def test_unknown_option_is_a_usage_error():
    result = optgrade("build", "--no-such-option")
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_missing_submission_is_a_usage_error(tmp_path):
    result = optgrade("check", str(tmp_path / "missing.ipynb"))
    assert result.returncode == 2


def test_build_outside_a_project_fails_with_a_clear_message(tmp_path):
    result = optgrade("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "no optgrade project found" in result.stderr


def test_data_writes_the_pages(tmp_path):
    result = optgrade("data", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "img-001-gt.png", "img-001.jpg", "img-002-gt.png", "img-002.jpg"]


def test_grade_needs_an_output_folder(project):
    result = optgrade("grade", str(project.reference_notebook))
    assert result.returncode == 2
    assert "--out-dir" in result.stderr


def test_grade_with_an_unavailable_container_image_fails_clearly(project, tmp_path):
    result = optgrade("grade", str(project.reference_notebook), "-o", str(tmp_path / "out"),
                      "--backend", "docker", "--image", "optgrade-no-such-image:missing")
    assert result.returncode == 1
    assert "the Docker engine has no grader image optgrade-no-such-image:missing" in result.stderr
    assert "make images" in result.stderr


def test_grade_exits_zero_when_grading_ran_whatever_the_scores(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{")
    result = optgrade("grade", str(bad), "-o", str(tmp_path / "out"), "--backend", "local", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "bad.ipynb" in result.stdout and "invalid" in result.stdout
    assert (tmp_path / "out" / "final_grades.csv").is_file()
