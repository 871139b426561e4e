"""The autograder zip's `run_autograder` on Gradescope and under `otter grade`: the probe/check split
inside one container that we are root in (see README "Security model" and uidjail.py).

1. Lock down: /autograder (hidden tests, checks, data, the submission, its metadata, the results)
   becomes root-only, whatever mode bits the zip or the image gave it.
2. Find the submission in /autograder/submission with `optgrade grade`'s rules (a notebook or a
   `grader.export()` zip; none, two, or an unreadable one is `invalid`).
3. Student phase: `probe_runner.py` runs the notebook as the unprivileged user setup.sh created, in a
   scratch folder holding only the notebook, the public student files and probes.py; JSON lines on
   its stdout pipe are all that leaves it.
4. Every process of that user is killed and /proc checked before anything else happens.
5. Trusted phase (root, a fresh `python -I`): `checker.py` reads those lines with json.loads and runs
   the checks against the hidden data; `scoring.combine` turns verdicts into results.
6. /autograder/results/results.json (Gradescope's schema) and results.pkl (the GradingResults that
   `otter grade` dill-loads on its host), both written here, from the verdicts only.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .assignment import name_in_config
from .bundle import Bundle
from .limits import Limits
from .probe_check import grade_in_sandbox
from .results import GRADER_ERROR, SubmissionResult
from .scoring import ProbeRun, check_lines, combine
from .submissions import InvalidSubmission, Submission, prepare
from .threads import thread_environment
from .uidjail import kill_uid, network_namespace_works, run_as

AUTOGRADER = Path("/autograder")
RUNTIME = Path(__file__).resolve().parents[1]  # files/.optgrade in the zip
PYTHON = "/opt/grader/bin/python"
STUDENT_USER = "optgrade-student"
DEFAULTS = {"timeout": 600, "memory_mib": 4096, "nproc": 512, "checker_extra_seconds": 120}
SKIP_PARTS = {"__MACOSX", ".ipynb_checkpoints"}


def config() -> dict:
    path = RUNTIME / "config.json"
    return {**DEFAULTS, **(json.loads(path.read_text()) if path.is_file() else {})}


def lock_down(root: Path = AUTOGRADER) -> None:
    """Only root may enter /autograder, or read anything below it."""
    for folder, dirs, files in os.walk(root):
        os.chmod(folder, 0o700)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                os.chmod(path, os.stat(path).st_mode & 0o700)


def find_submission(folder: Path) -> Path:
    """The one notebook or zip of the upload; InvalidSubmission when there is none or more than one.
    (Gradescope unpacks an uploaded zip itself: its notebook then lies here directly.)"""
    found = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()
                   and p.suffix.lower() in (".ipynb", ".zip")
                   and not SKIP_PARTS & set(p.relative_to(folder).parts))
    if not found:
        raise InvalidSubmission("the submission holds no notebook (.ipynb) and no zip from grader.export()")
    if len(found) > 1:
        names = ", ".join(str(p.relative_to(folder)) for p in found[:5])
        raise InvalidSubmission(f"the submission holds {len(found)} notebooks or zips ({names}): upload one")
    return found[0]


def memory_events() -> dict[str, int]:
    try:
        lines = Path("/sys/fs/cgroup/memory.events").read_text().split("\n")
        return {k: int(v) for k, v in (line.split() for line in lines if line.strip())}
    except (OSError, ValueError):
        return {}


def container_memory_peak() -> int:
    """The container's own peak memory (cgroup v2 memory.peak; 0 where the kernel has none)."""
    for name in ("memory.peak", "memory.max_usage_in_bytes"):
        for base in ("/sys/fs/cgroup", "/sys/fs/cgroup/memory"):
            try:
                return int(Path(base, name).read_text())
            except (OSError, ValueError):
                continue
    return 0


def student_phase(notebook: Path, bundle: Bundle, settings: dict, isolation: dict) -> ProbeRun:
    user = pwd.getpwnam(STUDENT_USER)
    scratch = Path(tempfile.mkdtemp(prefix="optgrade-student-"))
    os.chmod(scratch, 0o755)
    try:
        for part in ("input", "probes", "runner"):
            (scratch / part).mkdir(mode=0o755)
        shutil.copy(notebook, scratch / "input" / notebook.name)
        bundle.stage_probes(scratch / "probes")
        for runner_file in ("probe_runner.py", "optgrade_probes.py"):  # the runner sends the helpers into the kernel
            shutil.copy(RUNTIME / "optgrade" / "sandbox" / runner_file, scratch / "runner" / runner_file)
        shutil.copytree(bundle.assignment_dir, scratch / "assignment")
        for folder, dirs, files in os.walk(scratch):
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(Path(folder) / name, 0o644)
        work = scratch / "work"
        work.mkdir(mode=0o700)
        os.chown(work, user.pw_uid, user.pw_gid)
        env = {"PATH": "/opt/grader/bin:/usr/local/bin:/usr/bin:/bin", "HOME": str(work / "home"),
               "TMPDIR": str(work / "tmp"), "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2",
               "PYTHONDONTWRITEBYTECODE": "1", **thread_environment()}
        net_ok, isolation["network"] = network_namespace_works()
        memory = settings["memory_mib"] << 20
        isolation.update({"user": f"{STUDENT_USER} ({user.pw_uid})", "memory_watchdog_mib": settings["memory_mib"],
                          "nproc": settings["nproc"], "timeout_s": settings["timeout"]})
        for part in ("home", "tmp"):
            (work / part).mkdir(mode=0o700)
            os.chown(work / part, user.pw_uid, user.pw_gid)
        before = memory_events().get("oom_kill", 0)
        command = [PYTHON, "-I", str(scratch / "runner" / "probe_runner.py"),
                   "--notebook", str(scratch / "input" / notebook.name), "--probes", str(scratch / "probes" / "probes.py"),
                   "--assignment", str(scratch / "assignment"), "--workdir", str(work / "submission")]
        ending = run_as(command, uid=user.pw_uid, gid=user.pw_gid, cwd=str(work), env=env,
                        timeout=settings["timeout"], memory=memory, nproc=settings["nproc"], new_net=net_ok)
        isolation["student_peak_private_mib"] = round(ending.peak_memory / 2**20)
        if not ending.killed_clean:
            raise RuntimeError(f"processes of {STUDENT_USER} survived SIGKILL; not checking this run")
        oom = ending.out_of_memory or memory_events().get("oom_kill", 0) > before
        return ProbeRun(stdout=ending.stdout, exit_code=ending.exit_code, timed_out=ending.timed_out,
                        out_of_memory=oom, output_overflow=ending.overflow, stderr_tail=ending.stderr_tail,
                        seconds=ending.seconds,
                        limits_text={"timeout": f"{settings['timeout']:g}", "memory": f"{settings['memory_mib']} MiB"})
    finally:
        kill_uid(user.pw_uid, user.pw_gid)
        shutil.rmtree(scratch, ignore_errors=True)


def check_phase(run: ProbeRun, bundle: Bundle, data: Path, settings: dict) -> tuple[list[dict], str]:
    env = {"PATH": "/opt/grader/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
           "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONDONTWRITEBYTECODE": "1", **thread_environment()}
    command = [PYTHON, "-I", str(RUNTIME / "optgrade" / "sandbox" / "checker.py"), "--checks", str(bundle.checks),
               "--data", str(data)]
    # a temp folder of its own: the student could leave names (or symlinks) in /tmp for root to trip on
    with tempfile.TemporaryDirectory(prefix="optgrade-checker-", dir=str(AUTOGRADER)) as tmp:
        try:
            checked = subprocess.run(command, input=run.stdout, capture_output=True, env={**env, "TMPDIR": tmp},
                                     cwd=str(data), timeout=settings["timeout"] + settings["checker_extra_seconds"])
        except subprocess.TimeoutExpired as expired:
            return check_lines(expired.stdout or b""), "the trusted checker did not finish in time"
    problem = "" if checked.returncode == 0 else (
        f"the trusted checker exited with {checked.returncode}: {checked.stderr.decode(errors='replace')[-500:]}")
    return check_lines(checked.stdout), problem


def for_students(result: SubmissionResult, bundle: Bundle) -> dict:
    """Gradescope's results: hidden tests become visible once grades are published, each with its
    pass/fail and the instructor's hint only; what the checks found stays instructors-only."""
    results = dict(result.results_json)
    hints, tests, details = bundle.hints(), [], []
    names = {f"{q} - {i}": t for q, cases in bundle.hidden_tests().items() for i, (t, _) in enumerate(cases, 1)}
    for test in results.get("tests", []):
        if test.get("visibility") == "hidden" and test.get("name") in names:
            passed = test.get("score") == test.get("max_score")
            hint = hints.get(names[test["name"]], "")
            details.append(f"{test['name']}: {test.get('output', '')}")
            test = {**test, "visibility": "after_published",
                    "output": "passed" if passed else "failed" + (f". Hint: {hint}" if hint else "")}
        tests.append(test)
    tests.append({"name": "Grader details (instructors only)", "visibility": "hidden",
                  "output": "\n".join(details)[:20000]})
    results["tests"] = tests
    return results


class JailSandbox:
    """The two halves in this one container: the student's as the unprivileged user, the checker as
    root in a fresh process. One submission per container, so no timeout here is a busy machine's:
    the run's CPU is not measured and a timeout stands (probe_check.grade_in_sandbox)."""

    def __init__(self, notebook: Path, bundle: Bundle, data: Path, settings: dict, isolation: dict):
        self.notebook, self.bundle, self.data, self.settings, self.isolation = notebook, bundle, data, settings, isolation

    def run_student(self) -> ProbeRun:
        return student_phase(self.notebook, self.bundle, self.settings, self.isolation)

    def run_checker(self, run: ProbeRun, skip: list[str]) -> tuple[list[dict], str]:
        return check_phase(run, self.bundle, self.data, self.settings)


def grade(submission_dir: Path, bundle: Bundle, data: Path, settings: dict, isolation: dict, *,
          assignment: str) -> SubmissionResult:
    with tempfile.TemporaryDirectory(prefix="optgrade-prepare-") as tmp:
        try:
            notebook = prepare(Submission(find_submission(submission_dir), "submission"), Path(tmp),
                               assignment=assignment)
        except (InvalidSubmission, OSError) as error:
            run = ProbeRun(stdout=json.dumps({"event": "invalid", "message": str(error)}).encode(), exit_code=64)
            return combine("submission", run, [], bundle.hidden_tests(), hints=bundle.hints())
        return grade_in_sandbox("submission", JailSandbox(notebook, bundle, data, settings, isolation),
                                bundle=bundle, limits=Limits(timeout=settings["timeout"]))


def write_results(result: SubmissionResult, results: dict, folder: Path) -> None:
    from .otter_pickle import write_pickle

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    write_pickle(result, folder / "results.pkl")


def main(root: Path = AUTOGRADER) -> int:
    started = time.monotonic()
    settings = config()
    bundle = Bundle(RUNTIME / "assignment", RUNTIME / "probes.py", RUNTIME / "checks.py", Path("/nonexistent"))
    isolation: dict = {}
    lock_down(root)
    try:
        assignment = name_in_config((root / "source" / "otter_config.json").read_bytes())
        result = grade(root / "submission", bundle, root / "source" / "files", settings, isolation,
                       assignment=assignment)
    except Exception as error:  # the grader's own failure: never reported as the student's
        result = SubmissionResult("submission", GRADER_ERROR, message=f"{type(error).__name__}: {error}"[:2000],
                                  results_json={"score": 0, "output": "grader-error: the autograder failed (not your "
                                                "work); your instructor has been told", "tests": []})
    results = for_students(result, bundle) if result.status != GRADER_ERROR else dict(result.results_json)
    isolation["container_peak_mib"] = round(container_memory_peak() / 2**20)
    results["execution_time"] = round(time.monotonic() - started, 1)
    results["extra_data"] = {"status": result.status, "message": result.message, "isolation": isolation}
    write_results(result, results, root / "results")
    print(f"optgrade: {result.status}, {result.earned:g}/{result.possible:g} points"
          f" ({results['execution_time']} s)", flush=True)
    return 1 if result.status == GRADER_ERROR else 0


if __name__ == "__main__":
    sys.exit(main())
