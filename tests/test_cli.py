"""The CLI's exit statuses are part of its interface: 0 ok, 1 failure, 2 usage."""

from __future__ import annotations

import subprocess
import sys


def optgrade(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from optgrade.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd)


# Every command a user can type, by group: the help must list exactly these (a command deleted or
# renamed by mistake fails here, not in a user's shell).
COMMANDS = {(): ("build", "check", "data", "export", "grade", "manual"),
            ("export",): ("canvas", "gradescope", "moodle"),
            ("manual",): ("pdfs", "template")}


def listed_commands(help_text: str) -> tuple[str, ...]:
    section = help_text.split("Commands:", 1)[1]
    return tuple(sorted(line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.strip()))


def test_help_lists_every_command_of_every_group():
    for group, commands in COMMANDS.items():
        result = optgrade(*group, "--help")
        assert result.returncode == 0, result.stderr
        assert listed_commands(result.stdout) == commands, group
        for command in commands:
            assert optgrade(*group, command, "--help").returncode == 0, (group, command)


def test_help_imports_nothing_heavy():
    # `optgrade --help` must stay instant (under 0.1 s, most of it click's own import): no Otter,
    # jupytext, nbformat, numpy or TensorFlow, and no module of the engine: not even the project
    # lookup (tomllib, zipfile), which only a command that runs needs.
    probe = ("import sys\nfrom optgrade.cli import cli\ntry:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
             "heavy = ('otter', 'jupytext', 'nbformat', 'nbclient', 'numpy', 'pandas', 'tensorflow', 'matplotlib',\n"
             "         'tomllib', 'zipfile', 'yaml')\n"
             "print(sorted(m for m in heavy if m in sys.modules))\n"
             "print(sorted(m for m in sys.modules if m.startswith('optgrade')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    heavy, ours = result.stdout.strip().splitlines()[-2:]
    assert heavy == "[]"
    assert ours == str(["optgrade", "optgrade.cli", "optgrade.cli.common", "optgrade.cli.lms", "optgrade.errors",
                        "optgrade.limits", "optgrade.safetext"])


def test_root_is_one_option_given_before_or_after_the_command(tmp_path):
    # both spellings reach the same context: the project at F (here: none, so the same clear error)
    for args in (("--root", str(tmp_path), "build", "--no-check"), ("build", "--no-check", "--root", str(tmp_path))):
        result = optgrade(*args, cwd=tmp_path)
        assert result.returncode == 2, args
        assert f"{tmp_path / 'optgrade.toml'}" in result.stderr, args


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
