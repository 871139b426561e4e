"""Make Otter's autograder zip run the hardened grader on Gradescope and under `otter grade`.

`optgrade build` calls `add_hardened_runtime` after Otter Assign and the probe/check split. It keeps
what `otter run` needs (otter_config.json, run_otter.py, tests/, files/) and replaces:

- `setup.sh`: the pinned environment from `requirements.lock` (added to the zip) in /opt/grader and
  the unprivileged user; no Playwright, LaTeX or pandoc (gradescope_files/setup.sh);
- `run_autograder`: optgrade's supervisor instead of Otter's runner (gradescope_files/run_autograder);
- `environment.yml`: Python 3.11 and the lock (Otter's Dockerfile copies it; nothing installs from
  it any more, but a reader should find the real pins there).

and adds `files/.optgrade/`: the trusted runtime (byte-for-byte copies of the optgrade modules it
uses, with a package `__init__` of its own), probes.py, checks.py and the public student files.
It lives under files/ because `otter grade`'s Dockerfile copies only setup.sh, run_autograder,
environment.yml, requirements.*, otter_config.json, run_otter.py, files/ and tests/ into its image.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..bundle import HELPERS_IN_ZIP
from ..errors import BuildError

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
RUNTIME = "files/.optgrade"
PACKAGE = Path(__file__).resolve().parents[1]  # src/optgrade: the modules below are its own
# the modules the supervisor imports, and what they import
MODULES = ("errors.py", "assignment.py", "safetext.py", "results.py", "scoring.py", "submissions.py", "bundle.py",
           "limits.py", "probe_check.py", "threads.py", "uidjail.py", "otter_pickle.py", "gradescope_run.py",
           "sandbox/__init__.py", "sandbox/probe_runner.py", "sandbox/checker.py", "sandbox/optgrade_checks.py",
           "sandbox/optgrade_probes.py")
PACKAGE_INIT = '"""optgrade\'s trusted grading runtime, as the autograder zip carries it (see gradescope_zip.py)."""\n'
RUN_PY = '''\
"""Entry point of run_autograder: the supervisor, imported from this folder only (python -I)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from optgrade.gradescope_run import main  # noqa: E402

sys.exit(main())
'''
ENVIRONMENT_YML = '''\
# Not used by setup.sh (it installs requirements.lock into a virtualenv); kept because Otter's
# `otter grade` Dockerfile copies this file. The environment is exactly this:
name: otter-env
dependencies:
  - python=3.11
  - pip
  - pip:
      - -r requirements.lock
'''
REPLACED = {"setup.sh", "run_autograder", "environment.yml", "requirements.lock"}


def runtime_files(root: Path, hardened_dir: Path, assignment_dir: Path, notebook: str) -> dict[str, bytes]:
    """name in the zip -> content, for everything this module adds or replaces (the public files of
    `assignment_dir` but its `notebook`, the template)."""
    gradescope = Path(__file__).resolve().parent / "gradescope_files"
    lock = root / "autograder" / "requirements.lock"
    if not lock.is_file():
        raise BuildError(f"missing {lock}: the zip's setup.sh installs exactly that environment")
    files = {"setup.sh": (gradescope / "setup.sh").read_bytes(),
             "run_autograder": (gradescope / "run_autograder").read_bytes(),
             "environment.yml": ENVIRONMENT_YML.encode(),
             "requirements.lock": lock.read_bytes(),
             f"{RUNTIME}/run.py": RUN_PY.encode(),
             f"{RUNTIME}/optgrade/__init__.py": PACKAGE_INIT.encode(),
             f"{RUNTIME}/probes.py": (hardened_dir / "probes.py").read_bytes(),
             f"{RUNTIME}/checks.py": (hardened_dir / "checks.py").read_bytes()}
    for helpers in HELPERS_IN_ZIP:
        files[helpers] = (PACKAGE / "sandbox" / Path(helpers).name).read_bytes()
    for module in MODULES:
        files[f"{RUNTIME}/optgrade/{module}"] = (PACKAGE / module).read_bytes()
    for path in sorted(assignment_dir.rglob("*")):
        relative = path.relative_to(assignment_dir)
        if path.is_file() and relative.as_posix() != notebook and "__pycache__" not in relative.parts \
                and ".ipynb_checkpoints" not in relative.parts:
            files[f"{RUNTIME}/assignment/{relative.as_posix()}"] = path.read_bytes()
    return files


def add_hardened_runtime(autograder_zip: Path, *, root: Path, hardened_dir: Path, assignment_dir: Path,
                         notebook: str) -> None:
    """Rewrite `autograder_zip` in place with the hardened runtime (sorted, fixed timestamps)."""
    with zipfile.ZipFile(autograder_zip) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()
                   if not name.endswith("/") and name not in REPLACED and not name.startswith(RUNTIME + "/")}
    entries.update(runtime_files(root, hardened_dir, assignment_dir, notebook))
    executable = {"setup.sh", "run_autograder"}
    with zipfile.ZipFile(autograder_zip, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name])
