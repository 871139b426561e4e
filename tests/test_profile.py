"""Where a grading run's time goes (`make bench` part e): the runner's and the checker's timings are
for the profile only; they never become probe data, verdicts or cached entries."""

from __future__ import annotations

import io
import json

import pytest

from optgrade.grade.container import Finished
from optgrade.grade.phases import phase_times
from optgrade.sandbox.checker import check_all, read_records
from optgrade.scoring import check_lines


def lines(*objects: dict) -> bytes:
    return "".join(json.dumps(o) + "\n" for o in objects).encode()


def finished(stdout: bytes, seconds: float) -> Finished:
    return Finished(stdout, "", 0, False, False, False, seconds)


def test_phase_times_sum_up_and_name_only_the_slow_cells_and_checks():
    probe = finished(lines({"event": "timing", "what": "runner start (Python, nbclient)", "seconds": 0.2},
                           {"event": "timing", "what": "kernel start", "seconds": 0.5},
                           {"event": "timing", "what": "cell 3", "seconds": 0.25},
                           {"event": "timing", "what": "probes after cell 3", "seconds": 0.05},
                           {"event": "timing", "what": "cell 7", "seconds": 2.0},
                           {"event": "timing", "what": "probes after cell 7", "seconds": 0.1},
                           {"event": "probe", "question": "q1", "tests": {}}, {"event": "done"}), 4.0)
    checked = finished(lines({"question": "q1", "name": "t1", "points": 1.0, "passed": True, "message": "passed"},
                             {"done": True, "questions_probed": ["q1"],
                              "seconds": {"checker start (Python, checks.py)": 0.02, "t1": 0.01, "t2": 12.0}}), 13.0)
    times = phase_times(probe, checked)
    assert times["  student: 2 notebook cells"] == 2.25
    assert times["    of which cell 7"] == 2.0 and "    of which cell 3" not in times
    assert times["  student: the probes after the cells"] == 0.15
    assert times["  student: the rest (container, interpreter, imports, exit)"] == pytest.approx(0.9)
    assert times["  check: t2"] == 12.0 and times["  check: the other 1 checks"] == 0.01
    assert times["  check: the rest (container, interpreter, exit)"] == round(13.0 - 12.03, 3)


def test_timings_are_neither_probe_records_nor_verdicts():
    stdout = lines({"event": "timing", "what": "cell 1", "seconds": 1.0},
                   {"event": "probe", "question": "q1", "tests": {"t1": {"value": 1}}})
    assert read_records(io.StringIO(stdout.decode())) == {"q1": {"t1": {"value": 1}}}
    done = lines({"done": True, "questions_probed": ["q1"], "seconds": {"t1": 0.1}})
    assert check_lines(done) == []


def test_the_checker_times_each_check_it_runs_and_none_it_skips():
    checks = {"QUESTIONS": {"q1": ["t1", "t2"]}, "POINTS": {"t1": 1, "t2": 1}, "t1": lambda v: None,
              "t2": lambda v: None}
    records = {"q1": {"t1": {"value": 1}, "t2": {"value": 2}}}
    taken: dict[str, float] = {}
    verdicts = list(check_all(checks, records, frozenset({"t2"}), taken))
    assert [v["name"] for v in verdicts] == ["t1"] and set(taken) == {"t1"}
    assert set(verdicts[0]) == {"question", "name", "points", "passed", "message"}  # no timing in a verdict
