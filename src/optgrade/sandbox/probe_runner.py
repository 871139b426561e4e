"""Run a submission's notebook and collect the hidden tests' *probe* data: the untrusted half of grading.

This file runs inside the student's container (as the unprivileged student user), next to the
student's code, so nothing it produces is trusted: it only turns "what the student's functions
return for the test inputs" into JSON lines on its standard output. Scores are decided elsewhere,
by `checker.py`, in a process the student's code never ran in. It imports nothing from optgrade
(the container has only the grading environment) and is mounted read-only into the container.

Semantics follow Otter 7's grading of a notebook (`otter run`, Gradescope): cells tagged
`otter_ignore` are skipped, errors in a cell do not stop the run, Otter's grading mode is on (so
`grader.export()` does nothing), and a question is decided exactly as Otter decides it:
every *executed* `grader.check("q")` call (in a cell, a loop or a function; Otter's `tests` cell
metadata too) records a result, the last one per question counts (Otter's `GradingResults` keeps
`{name: test_file}`), and questions never checked are probed after the last cell
(`Checker.check_if_not_already_checked`). A comment or a string naming `grader.check` is not a call.
The runner patches `otter.Notebook.check` in the kernel so that a call probes the question there and
then, in the caller's global environment; the records leave through the runner's own cell after
each student cell. The kernel can tamper with all of that, but it only ever produces probe data,
which the trusted checks judge.

Output (stdout, one JSON object per line):
  {"event": "probe", "question": q, "cell": i, "tests": {name: {"value": v} | {"error": e}},
   "public": [{"name", "passed", "message"}]}
  {"event": "kernel-died", "message": m}   the kernel ended before the notebook did
  {"event": "invalid", "message": m}       the notebook cannot be run at all (exit status 64)
  {"event": "runner-error", "message": m}  this runner failed (e.g. its kernel could not start)
  {"event": "done"}                        the last cell and the last probe ran
  {"event": "timing", "what": w, "seconds": s}  where the run's time went (kernel start, each cell,
                                           the probes): for `make bench`'s profile, never for a grade
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

STARTED = time.monotonic()

PROBE_MIME = "application/vnd.optgrade.probe+json"
PROBE_HELPERS = Path(__file__).resolve().with_name("optgrade_probes.py")  # sent into the kernel with the probes
MAX_PROBE_BYTES = 4 << 20  # per question; probes return small summaries, not arrays
MAX_MESSAGE = 2000

# Runs in the student's kernel: `probe(question, env)` calls the probes of one question with the
# student's names (passed by parameter name, as Otter passes them to its test functions; None when
# missing) and runs the public tests. Everything lives inside functions so that nothing lands in
# the notebook's globals.
PROBE_FUNCTION = '''\
def probe(question, env):
    import inspect, json, os, sys, types
    helpers = types.ModuleType("optgrade_probes")  # what short-form probes import (optgrade_probes.py)
    exec(compile(HELPERS, "optgrade_probes.py", "exec"), helpers.__dict__)
    sys.modules["optgrade_probes"] = helpers
    probes = {}
    exec(compile(SOURCE, "<probes>", "exec"), probes)
    record = {"question": question, "tests": {}, "public": []}
    shared = {}  # probes.py names one probe for several tests (`test_b = test_a`): called once
    for name in QUESTIONS[question]:
        function = probes[name]
        if function in shared:
            record["tests"][name] = shared[function]
            continue
        arguments = {p: env.get(p) for p in inspect.signature(function).parameters}
        try:
            text = json.dumps(function(**arguments), allow_nan=True)
            if len(text) > LIMIT:
                raise ValueError(f"probe data too large ({len(text)} bytes)")
            record["tests"][name] = {"value": json.loads(text)}
        except BaseException as error:
            record["tests"][name] = {"error": f"{type(error).__name__}: {error}"[:2000]}
        shared[function] = record["tests"][name]
    test_file = None
    public_tests = os.path.join(TESTS_DIR, question + ".py")
    if os.path.isfile(public_tests):
        try:
            from otter.test_files.exception_test import ExceptionTestFile
            test_file = ExceptionTestFile.from_file(public_tests)
            test_file.run(env)
            for result in test_file.test_case_results:
                if not result.test_case.hidden:
                    record["public"].append({"name": str(result.test_case.name),
                                             "passed": bool(result.passed),
                                             "message": str(result.message)[:2000]})
        except BaseException as error:
            record["public"].append({"name": question, "passed": False,
                                     "message": f"the public tests could not run: {error}"[:2000]})
    return json.loads(json.dumps(record)), test_file
'''

# Runs once, before the student's first cell: Otter's grading mode, and `Notebook.check` replaced by
# a version that probes the question at the call (the last call per question counts).
SETUP_CELL = '''\
def __optgrade_setup(QUESTIONS, SOURCE, HELPERS, TESTS_DIR, MIME, LIMIT):
    import inspect, sys, types
    state = types.ModuleType("__optgrade__")
    state.pending = {}
    namespace = {"QUESTIONS": QUESTIONS, "SOURCE": SOURCE, "HELPERS": HELPERS, "TESTS_DIR": TESTS_DIR,
                 "LIMIT": LIMIT}
    exec(%(probe_function)r, namespace)
    probe = namespace["probe"]

    def check(self, question, global_env=None):
        if question not in QUESTIONS:
            raise FileNotFoundError(f"Test {question} does not exist")
        if global_env is None:
            global_env = inspect.currentframe().f_back.f_globals
        state.pending[question], test_file = probe(question, global_env)
        return test_file

    def after_cell(checked):
        from IPython.display import display
        for question in checked:  # Otter's `tests` cell metadata: a check after the cell
            if question in QUESTIONS:
                from IPython import get_ipython
                state.pending[question] = probe(question, get_ipython().user_ns)[0]
        pending, state.pending = state.pending, {}
        for record in pending.values():
            display({MIME: record}, raw=True)

    state.after_cell = after_cell
    sys.modules["__optgrade__"] = state
    try:
        from otter.check.notebook import Notebook
        Notebook.init_grading_mode(TESTS_DIR)
        Notebook.check = check
    except Exception as error:  # no Otter: no grader.check; every question is probed at the end
        print(f"optgrade: grader.check is not available: {error}")
__optgrade_setup(%(questions)r, %(source)r, %(helpers)r, %(tests_dir)r, %(mime)r, %(limit)d)
del __optgrade_setup
'''

AFTER_CELL = '__import__("sys").modules["__optgrade__"].after_cell(%r)'

# A question never checked: probed after the last cell with the whole probe source sent again, so a
# kernel that lost the state of the setup cell still gets its probes.
FINAL_PROBE_CELL = '''\
def __optgrade_final(question, QUESTIONS, SOURCE, HELPERS, TESTS_DIR, MIME, LIMIT):
    from IPython.display import display
    namespace = {"QUESTIONS": QUESTIONS, "SOURCE": SOURCE, "HELPERS": HELPERS, "TESTS_DIR": TESTS_DIR,
                 "LIMIT": LIMIT}
    exec(%(probe_function)r, namespace)
    display({MIME: namespace["probe"](question, globals())[0]}, raw=True)
__optgrade_final(%(question)r, %(questions)r, %(source)r, %(helpers)r, %(tests_dir)r, %(mime)r, %(limit)d)
del __optgrade_final
'''


class Emitter:
    """Writes records to the original stdout; the kernel inherits stderr as its stdout instead."""

    def __init__(self) -> None:
        self._stream = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr

    def __call__(self, event: str, **fields) -> None:
        self._stream.write(json.dumps({"event": event, **fields}, allow_nan=True) + "\n")
        self._stream.flush()


def questions_in(probes_source: str) -> dict[str, list[str]]:
    namespace: dict = {}
    exec(compile(probes_source, "<probes>", "exec"), namespace)  # our own file, generated by build
    return namespace["QUESTIONS"]


def metadata_checks(cell) -> list[str]:
    """Questions that Otter's `tests` cell metadata checks after this cell."""
    listed = cell.get("metadata", {}).get("otter", {}).get("tests", []) or []
    return [str(q) for q in listed] if isinstance(listed, list) else []


def ignored(cell) -> bool:
    metadata = cell.get("metadata", {})
    return "otter_ignore" in metadata.get("tags", []) or bool(metadata.get("otter", {}).get("ignore"))


def lay_out(workdir: Path, assignment: Path, notebook: Path) -> Path:
    """The student's folder as they had it: the public files next to their notebook."""
    workdir.mkdir(parents=True, exist_ok=True)
    for entry in sorted(assignment.iterdir()):
        if entry.name == notebook.name:  # the template of the notebook being graded
            continue
        if entry.is_dir():
            shutil.copytree(entry, workdir / entry.name, dirs_exist_ok=True)
        else:
            shutil.copy(entry, workdir / entry.name)
    target = workdir / notebook.name
    shutil.copy(notebook, target)
    return target


def probe_records(outputs: list) -> list[dict]:
    records = []
    for output in outputs:
        data = output.get("data", {}) if output.get("output_type") in ("display_data", "execute_result") else {}
        if PROBE_MIME in data and isinstance(data[PROBE_MIME], dict):
            records.append(data[PROBE_MIME])
    return records


def run(*, notebook: Path, probes: Path, assignment: Path, workdir: Path, emit: Emitter) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    probes_source = probes.read_text(encoding="utf-8")
    questions = questions_in(probes_source)
    try:
        nb = nbformat.read(str(notebook), as_version=4)
        cells = list(nb.cells)
    except Exception as error:  # not JSON, not a notebook: nothing of the student's code runs
        emit("invalid", message=f"not a readable notebook: {type(error).__name__}: {error}"[:MAX_MESSAGE])
        return 64
    path = lay_out(workdir, assignment, notebook)
    # The kernel is always ours: a submission's kernelspec must not choose what runs it.
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # shutdown_kernel="immediate": once the last probe ran, nothing of the kernel is needed; a graceful
    # shutdown cost ~1 s per submission (and ran the notebook's atexit hooks to no purpose)
    client = NotebookClient(nb, timeout=None, allow_errors=True, kernel_name="python3", shutdown_kernel="immediate",
                            record_timing=False, resources={"metadata": {"path": str(path.parent)}})
    fields = {"questions": questions, "source": probes_source, "helpers": PROBE_HELPERS.read_text(encoding="utf-8"),
              "tests_dir": str(path.parent / "tests"),
              "mime": PROBE_MIME, "limit": MAX_PROBE_BYTES, "probe_function": PROBE_FUNCTION}
    probed: set[str] = set()

    def timed(what: str, since: float) -> None:
        emit("timing", what=what, seconds=round(time.monotonic() - since, 3))

    def run_ours(code: str, index: int) -> None:
        """Run one of the runner's cells and emit the probe records it displayed."""
        since = time.monotonic()
        cell = nbformat.v4.new_code_cell(code)
        nb.cells.append(cell)  # nbclient writes the executed cell back at its index
        try:
            client.execute_cell(cell, len(nb.cells) - 1, store_history=False)
        finally:
            nb.cells.pop()
        for record in probe_records(cell.outputs):
            question = record.get("question")
            if question in questions and isinstance(record.get("tests"), dict):
                probed.add(question)
                emit("probe", question=question, cell=index, tests=record["tests"],
                     public=record.get("public") if isinstance(record.get("public"), list) else [])
        timed(f"probes after cell {index}", since)

    timed("runner start (Python, nbclient)", STARTED)
    since = time.monotonic()
    with client.setup_kernel():
        timed("kernel start", since)
        try:
            run_ours(SETUP_CELL % fields, -1)
            for index, cell in enumerate(cells):
                if cell.cell_type != "code" or ignored(cell):
                    continue
                since = time.monotonic()
                client.execute_cell(cell, index)
                timed(f"cell {index}", since)
                cell.outputs = []  # keep the runner's memory flat whatever the notebook prints
                run_ours(AFTER_CELL % metadata_checks(cell), index)
            for question in questions:
                if question not in probed:
                    run_ours(FINAL_PROBE_CELL % {**fields, "question": question}, len(cells))
                    if question not in probed:
                        emit("probe", question=question, cell=len(cells), public=[],
                             tests={name: {"error": "the probe produced no data"} for name in questions[question]})
        except DeadKernelError as error:
            emit("kernel-died", message=f"the notebook's kernel died: {error}"[:MAX_MESSAGE])
            return 3
        closing = time.monotonic()
    timed("kernel shutdown", closing)
    emit("done")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", type=Path, required=True)
    parser.add_argument("--probes", type=Path, required=True)
    parser.add_argument("--assignment", type=Path, required=True, help="the public student files")
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)
    emit = Emitter()
    # Not dumpable: the student's kernel runs as the same user, and could otherwise open this
    # process's /proc/<pid>/fd/* (the records channel) or ptrace it.
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass
    # Under memory pressure, the cgroup's OOM killer should end this runner (and so the container,
    # which the launcher reports as out of memory) rather than pick the kernel and leave a
    # misleading "kernel died".
    try:
        Path("/proc/self/oom_score_adj").write_text("1000")
    except OSError:
        pass
    try:
        return run(notebook=args.notebook, probes=args.probes, assignment=args.assignment,
                   workdir=args.workdir, emit=emit)
    except Exception as error:  # reported, so that the row says the run broke rather than a bare exit
        emit("runner-error", message=f"{type(error).__name__}: {error}"[:MAX_MESSAGE])
        raise


if __name__ == "__main__":
    sys.exit(main())
