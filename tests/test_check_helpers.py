"""optgrade_checks, the helpers hidden tests' checks import: they decide exactly what the inline code
they replaced decided, and every place a check runs can import them (the trusted checker, also under
`python -I` as on Gradescope, and Otter's own kernel through the zip's files/)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from optgrade.probe_check import SANDBOX_DIR

sys.path.insert(0, str(SANDBOX_DIR))
from optgrade_checks import float_rows, follows  # noqa: E402

f = lambda t: t * np.cos(np.pi * t)
df = lambda t: np.cos(np.pi * t) - np.pi * t * np.sin(np.pi * t)
descent = lambda x, step: x - 0.01 * df(x)
momentum = lambda x, step: x + (0.6 * step - 0.01 * df(x))


# the loops the master's checks held before the helper, kept here as the reference they must match
def inline_descent(rows, column):
    x = -0.95
    for row in rows:
        if len(row) <= column or not np.isclose(row[column], x - 0.01 * df(x), rtol=1e-6, atol=1e-6):
            return False
        x = row[column]
    return True


def inline_momentum(rows, column):
    x, m = -0.95, 1.0
    for row in rows:
        if len(row) <= column:
            return False
        m = 0.6 * m - 0.01 * df(x)
        if not np.isclose(row[column], x + m, rtol=1e-6, atol=1e-6):
            return False
        x, m = row[column], row[column] - x
    return True


def inline_either_sign(rows, column):
    x = -0.95
    for row in rows:
        if len(row) <= column or not np.isclose(abs(row[column] - x), abs(0.01 * df(x)), rtol=1e-6, atol=1e-6):
            return False
        x = row[column]
    return True


def run(update, steps=60, *, first_step=0.0, dtype=float, sign=1.0):
    """A history [(iter, x, loss, grad)] as a student's loop would record it."""
    x, step, rows = -0.95, first_step, []
    for i in range(1, steps + 1):
        new = float(dtype(x + sign * (update(x, step) - x)))
        step, x = new - x, new
        rows.append([float(i), x, float(f(x)), float(df(x))])
    return rows


def variants():
    """Fair and wrong histories: float32 rounding, a flipped sign, a wrong step size, one bad row,
    a history cut short, x in column 0, rows too short to hold x."""
    for name, update, first in (("descent", descent, 0.0), ("momentum", momentum, 1.0)):
        fair = run(update, first_step=first)
        yield f"{name}-fair", fair
        yield f"{name}-float32", run(update, first_step=first, dtype=np.float32)
        yield f"{name}-flipped-sign", run(update, first_step=first, sign=-1.0)
        yield f"{name}-x-first", [[row[1], row[0], row[2], row[3]] for row in fair]
        yield f"{name}-one-bad-row", [row if i != 30 else [row[0], row[1] + 1e-3, *row[2:]] for i, row in enumerate(fair)]
        yield f"{name}-short-rows", [row[:1] for row in fair]
        yield f"{name}-first-row-only", fair[:1]
    yield "wrong-rate", run(lambda x, step: x - 0.02 * df(x))
    yield "no-momentum", run(descent, first_step=1.0)


@pytest.mark.parametrize("name,rows", list(variants()), ids=[name for name, _ in variants()])
def test_follows_decides_what_the_inline_loops_decided(name, rows):
    for column in (0, 1):
        assert follows(rows, column, -0.95, descent) is inline_descent(rows, column)
        assert follows(rows, column, -0.95, momentum, first_step=1.0) is inline_momentum(rows, column)
        assert follows(rows, column, -0.95, descent, either_sign=True) is inline_either_sign(rows, column)


def test_follows_accepts_fair_runs_and_refuses_wrong_ones():
    assert follows(run(descent), 1, -0.95, descent)
    assert follows(run(descent, dtype=np.float32), 1, -0.95, descent)  # float32 students keep their points
    assert follows(run(momentum, first_step=1.0), 1, -0.95, momentum, first_step=1.0)
    assert not follows(run(descent, sign=-1.0), 1, -0.95, descent)  # uphill
    assert follows(run(descent, sign=-1.0), 1, -0.95, descent, either_sign=True)  # where the sign is not judged
    assert not follows(run(descent, first_step=1.0), 1, -0.95, momentum, first_step=1.0)  # no momentum
    assert not follows(run(lambda x, step: x - 0.02 * df(x)), 1, -0.95, descent)  # wrong learning rate
    assert not follows([[1.0]], 1, -0.95, descent)  # no x to read


@pytest.mark.parametrize("rows", [[], "[[1.0]]", [[1]], [["1.0"]], [[True]], [1.0], [[1.0], None]],
                         ids=["empty", "text", "int", "string", "bool", "flat", "none-row"])
def test_float_rows_refuses_what_is_not_a_list_of_float_lists(rows):
    with pytest.raises(AssertionError):
        float_rows(rows, what="sgd")


def test_float_rows_passes_plain_float_rows_through():
    assert float_rows([[1.0, -0.5]], what="sgd") == [[1.0, -0.5]]


def test_the_checker_imports_the_helpers_under_python_isolated_mode(tmp_path):
    """Gradescope runs checker.py with `python -I`, which puts neither the script's folder nor the
    working directory on sys.path: the checker must find the helpers beside itself, and not take a
    module of that name from the grading data."""
    checks = tmp_path / "checks.py"
    checks.write_text(
        'QUESTIONS = {"q": ["test_q"]}\nPOINTS = {"test_q": 1}\nHINTS = {"test_q": "h"}\nSECONDS = {}\nWARM = []\n'
        "def test_q(data):\n"
        "    import optgrade_checks\n"
        "    assert optgrade_checks.__file__.startswith(" + repr(str(SANDBOX_DIR)) + ")\n"
        "    assert optgrade_checks.follows(data, 1, -0.95, lambda x, s: x - 0.01 * (__import__('numpy').cos(\n"
        "        __import__('numpy').pi * x) - __import__('numpy').pi * x * __import__('numpy').sin(__import__('numpy').pi * x)))\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "optgrade_checks.py").write_text("raise SystemExit('the grading data was imported')\n")
    probe = json.dumps({"event": "probe", "question": "q", "tests": {"test_q": {"value": run(descent, 5)}}})
    done = subprocess.run([sys.executable, "-I", str(SANDBOX_DIR / "checker.py"), "--checks", str(checks),
                           "--data", str(data)], input=probe + "\n", capture_output=True, text=True, cwd=data,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    verdicts = [json.loads(line) for line in done.stdout.splitlines()]
    assert verdicts[0]["passed"] is True, verdicts[0]
    assert verdicts[-1]["done"] is True


def test_the_zip_carries_the_helpers_for_otters_kernel_and_the_trusted_runtime(project):
    helpers = (SANDBOX_DIR / "optgrade_checks.py").read_bytes()
    with zipfile.ZipFile(project.autograder_zip) as archive:
        assert archive.read("files/optgrade_checks.py") == helpers  # otter run copies files/ beside the notebook
        assert archive.read("files/.optgrade/optgrade/sandbox/optgrade_checks.py") == helpers
    checks = (project.hardened_dir / "checks.py").read_text()
    assert "from optgrade_checks import" in checks
    # the allowlist now lives in the helper, not in a question
    assert "GaussianDropout" not in checks and "GaussianDropout" in helpers.decode()
