"""The container backend enforces its limits: each sample notebook earns q3_stuck's one point only
when the limit held inside the student's container, so the score itself says what the student's
code could do. (Hostile submissions of every attack class: test_hostile.py.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest

from conftest import docker_or_skip
from optgrade.grade.container import STUDENT_UID, Limits, grade_in_container
from optgrade.grade.engine import docker_environment
from optgrade.bundle import Bundle
from optgrade.project import Project
from optgrade.results import CRASHED, GRADED, TIMEOUT

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def engine():
    docker_or_skip()


def probe(tmp_path, code: str, name: str, limits: Limits = Limits(timeout=180)):
    notebook = nbformat.v4.new_notebook()
    template = nbformat.read(ROOT / "assignment" / "a5_optimization.ipynb", as_version=4)
    notebook.metadata = template.metadata  # Otter checks the assignment name stored there
    notebook.cells = [nbformat.v4.new_code_cell(code), nbformat.v4.new_code_cell('grader.check("q3_stuck")')]
    notebook.cells.insert(0, nbformat.v4.new_code_cell('import otter\ngrader = otter.Notebook("a5_optimization.ipynb")'))
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(notebook, path)
    return grade_in_container(path, name=name, bundle=Bundle.of(Project(ROOT)), limits=limits)


def stuck_point(result) -> float:
    assert result.status == GRADED, result.message
    return result.scores["q3_stuck"].earned


def test_student_code_has_no_network(tmp_path):
    result = probe(tmp_path, (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 53), timeout=5).close()\n"
        "    q3_gd_gets_stuck = 'reached the network'\n"
        "except OSError:\n"
        "    q3_gd_gets_stuck = True\n"), "network")
    assert stuck_point(result) == 1


def test_student_code_runs_unprivileged_on_a_read_only_system(tmp_path):
    result = probe(tmp_path, (
        "import os\n"
        "def writable(path):\n"
        "    try:\n"
        "        open(os.path.join(path, 'probe'), 'w').close()\n"
        "        return True\n"
        "    except OSError:\n"
        "        return False\n"
        "hidden = [p for p in ('/checks/checks.py', '/autograder', '/opt/autograder-source')\n"
        "          if os.path.exists(p)]\n"
        f"q3_gd_gets_stuck = (os.getuid() == {STUDENT_UID} and not hidden and not writable('/opt/grader')\n"
        "                    and not writable('/opt/optgrade') and not writable('/assignment')\n"
        "                    and not writable('/usr') and writable('/work'))\n"), "privileges")
    assert stuck_point(result) == 1


def test_process_count_is_capped(tmp_path):
    result = probe(tmp_path, (
        "import subprocess\n"
        "children = []\n"
        "try:\n"
        "    for _ in range(400):\n"
        "        children.append(subprocess.Popen(['sleep', '60']))\n"
        "except (OSError, BlockingIOError):\n"
        "    pass\n"
        "q3_gd_gets_stuck = len(children) < 300\n"
        "for child in children:\n"
        "    child.kill()\n"), "pids", Limits(timeout=180, pids=128))
    assert stuck_point(result) == 1


def test_memory_bomb_is_reported_as_out_of_memory(tmp_path):
    result = probe(tmp_path, "hog = bytearray(3 * 2**30)\nq3_gd_gets_stuck = True\n", "memory",
                   Limits(timeout=180, memory="1g"))
    assert result.status == CRASHED and result.earned == 0
    assert "out of memory (limit 1g)" in result.message


def test_timeout_kills_and_removes_the_container(tmp_path):
    result = probe(tmp_path, "while True:\n    pass\n", "hangs", Limits(timeout=20))
    assert result.status == TIMEOUT
    left = subprocess.run(["docker", "ps", "-aq", "--filter", "name=optgrade-"], capture_output=True,
                          text=True, env=docker_environment()).stdout.split()
    assert left == [], f"containers left behind: {left}"


def test_interrupting_a_batch_stops_its_containers_and_still_writes_the_grades(tmp_path):
    """Killing `docker run` does not stop a container, so SIGTERM to optgrade must remove them."""
    import signal
    import sys
    import time

    out = tmp_path / "out"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "optgrade"), "grade", str(ROOT / "examples" / "submissions" / "infinite-loop.ipynb"),
         "-o", str(out), "--backend", "docker", "--timeout", "600", "--no-progress"],
        cwd=ROOT, env=docker_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not subprocess.run(
            ["docker", "ps", "-q", "--filter", "name=optgrade-"], capture_output=True, text=True,
            env=docker_environment()).stdout.strip():
        time.sleep(1)
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    process.communicate(timeout=120)
    assert time.monotonic() - started < 60 and process.returncode != 0
    left = subprocess.run(["docker", "ps", "-aq", "--filter", "name=optgrade-"], capture_output=True, text=True,
                          env=docker_environment()).stdout.split()
    assert left == [], f"containers left behind: {left}"
    assert (out / "final_grades.csv").is_file()
