"""The probe/check split: how hidden tests are cut in two, and how their data becomes a score."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from optgrade.assignment import Assignment
from optgrade.errors import BuildError
from optgrade.bundle import Bundle
from optgrade.build.hidden_split import hidden_tests, write_bundle
from optgrade.results import CRASHED, GRADED, INVALID, TIMEOUT
from optgrade.sandbox import checker
from optgrade.scoring import ProbeRun, combine

NO_BUDGETS = Assignment("q9_assignment", Path("solutions/q9_assignment.py"))  # no check_seconds
TEST_FILE = '''from otter.test_files import test_case

OK_FORMAT = False

name = "q9"
points = None

@test_case(points=0, hidden=False)
def test_q9_public(answer):
    assert answer is not None

@test_case(points=2, hidden=True, failure_message="the answer should double its input")
def test_q9_hidden(answer, np):
    import json

    def probe():
        return [float(answer(x)) for x in (1.0, 2.0)]

    def check(values):
        assert isinstance(values, list) and len(values) == 2
        assert np.allclose(values, [2.0, 4.0])

    check(json.loads(json.dumps(probe())))
'''


def autograder_zip(tmp_path: Path, test_file: str = TEST_FILE) -> Path:
    path = tmp_path / "ag.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tests/q9.py", test_file)
        archive.writestr("files/data/secret.txt", "hidden page")
    return path


def test_build_cuts_each_hidden_test_into_probe_and_check(tmp_path):
    write_bundle(autograder_zip(tmp_path), tmp_path / "hardened", NO_BUDGETS)
    probes = (tmp_path / "hardened" / "probes.py").read_text()
    checks = (tmp_path / "hardened" / "checks.py").read_text()
    assert "answer(x)" in probes and "np.allclose" not in probes and "[2.0, 4.0]" not in probes
    assert "np.allclose" in checks and "answer(x)" not in checks
    assert "test_q9_public" not in probes + checks  # public tests run as they are, in the kernel
    namespace: dict = {}
    exec(compile(probes, "probes", "exec"), namespace)
    assert namespace["test_q9_hidden"](lambda x: 2 * x, __import__("numpy")) == [2.0, 4.0]
    exec(compile(checks, "checks", "exec"), namespace)
    namespace["test_q9_hidden"]([2.0, 4.0])
    with pytest.raises(AssertionError):
        namespace["test_q9_hidden"]([2.0, 5.0])


@pytest.mark.parametrize("change, problem", [
    ("    check(json.loads(json.dumps(probe())))", "not in probe/check form"),
    ("        assert np.allclose(values, [2.0, 4.0])", "uses ['answer']"),
])
def test_build_rejects_hidden_tests_that_break_the_split(tmp_path, change, problem):
    broken = TEST_FILE.replace(change, {
        "not in probe/check form": "    assert probe() == [2.0, 4.0]",
        "uses ['answer']": "        assert answer(1.0) == values[0]",
    }[problem])
    with pytest.raises(BuildError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        hidden_tests(autograder_zip(tmp_path, broken))


def test_committed_bundle_matches_the_autograder_zip(project, tmp_path):
    write_bundle(project.autograder_zip, tmp_path, project.assignment)
    for name in ("probes.py", "checks.py"):
        assert (tmp_path / name).read_text() == (project.hardened_dir / name).read_text(), (
            f"autograder/hardened/{name} is stale: run `optgrade build`")


def test_the_student_side_never_gets_checks_or_hidden_data(project, tmp_path):
    bundle = Bundle.of(project)
    bundle.stage_probes(tmp_path / "probes")
    assert [p.name for p in (tmp_path / "probes").iterdir()] == ["probes.py"]
    public = {p.name for p in project.assignment_dir.rglob("*")}
    assert "checks.py" not in public and "probes.py" not in public
    bundle.stage_checker(tmp_path / "checks")
    assert sorted(p.name for p in (tmp_path / "checks").iterdir()) == ["checks.py", "data", "lr.png"]


def records(*events: dict) -> io.StringIO:
    return io.StringIO("".join(json.dumps(e) + "\n" for e in events))


def test_checker_reads_only_well_formed_records_and_the_last_per_question():
    # Otter keeps a question's last check: a fix re-checked later counts, an earlier record does not
    stream = records({"event": "probe", "question": "q9", "tests": {"t": {"value": 1}}},
                     {"event": "probe", "question": "q8", "tests": {"t": {"value": 3}}},
                     {"event": "probe", "question": "q9", "tests": {"t": {"value": 2}}})
    stream = io.StringIO("garbage\n{not json\n" + stream.getvalue() + '[1, 2]\n{"event": "probe"}\n'
                         '{"event": "verdict", "question": "q9", "tests": {"t": {"value": 9}}}\n')
    assert checker.read_records(stream) == {"q9": {"t": {"value": 2}}, "q8": {"t": {"value": 3}}}


def test_hidden_test_without_a_hint_is_refused(tmp_path):
    with pytest.raises(BuildError, match="failure_message"):
        write_bundle(autograder_zip(tmp_path, TEST_FILE.replace(', failure_message="the answer should double its input"', "")),
                     tmp_path / "hardened", NO_BUDGETS)


def test_expensive_checks_are_decided_last():
    checks = {"QUESTIONS": {"q1": ["slow", "a"], "q2": ["b"]}, "SECONDS": {"slow": 600}}
    assert checker.check_order(checks) == [("q1", "a"), ("q2", "b"), ("q1", "slow")]


def test_checker_fails_wrong_data_and_slow_checks_instead_of_passing():
    def check(values):
        assert isinstance(values, list) and values == [2.0, 4.0]

    def slow(values):
        while True:
            pass

    table = {"QUESTIONS": {"q9": ["ok", "wrong", "error", "slow", "absent"]},
             "POINTS": {"ok": 1, "wrong": 1, "error": 1, "slow": 1, "absent": 1},
             "SECONDS": {"slow": 0.5}, "ok": check, "wrong": check, "error": check, "slow": slow, "absent": check}
    data = {"q9": {"ok": {"value": [2.0, 4.0]}, "wrong": {"value": {"__eq__": True}},
                   "error": {"error": "NameError: answer"}, "slow": {"value": []}}}
    verdicts = {v["name"]: v for v in checker.check_all(table, data)}
    assert [verdicts[n]["passed"] for n in ("ok", "wrong", "error", "slow", "absent")] == [True] + [False] * 4
    assert "longer than 0.5 s" in verdicts["slow"]["message"]
    assert "raised" in verdicts["error"]["message"]


HIDDEN = {"q1": [("t1", 1.0)], "q2": [("t2", 2.0), ("t3", 1.0)]}
PASS_ALL = [{"name": t, "points": p, "passed": True} for cases in HIDDEN.values() for t, p in cases]


def run_of(*events: dict, **ending) -> ProbeRun:
    stdout = "".join(json.dumps(e) + "\n" for e in events).encode()
    return ProbeRun(stdout=stdout, limits_text={"timeout": "60", "memory": "1g"}, **ending)


def test_only_the_checker_gives_points_and_every_hidden_test_is_reported():
    run = run_of({"event": "probe", "question": "q1", "tests": {}, "public": []}, {"event": "done"}, exit_code=0)
    result = combine("s", run, PASS_ALL[:1], HIDDEN)
    assert result.status == GRADED and result.earned == 1 and result.possible == 4
    names = [t["name"] for t in result.results_json["tests"]]
    assert names == ["q1 - 1", "q2 - 1", "q2 - 2"]
    assert all(t["visibility"] == "hidden" for t in result.results_json["tests"])


@pytest.mark.parametrize("ending, status, words", [
    ({"timed_out": True, "exit_code": 137}, TIMEOUT, "did not finish within 60 s"),
    ({"out_of_memory": True, "exit_code": 137}, CRASHED, "out of memory (limit 1g)"),
    ({"exit_code": 0}, CRASHED, "ended abnormally"),  # "done" is missing: the runner was cut short
    ({"exit_code": 1, "output_overflow": True}, CRASHED, "printed more"),
])
def test_the_status_says_how_the_run_ended_and_keeps_what_was_checked_before(ending, status, words):
    run = run_of({"event": "probe", "question": "q1", "tests": {}}, **ending)
    result = combine("s", run, PASS_ALL[:1], HIDDEN)
    assert result.status == status and words in result.message
    assert result.scores["q1"].earned == 1 and result.scores["q2"].earned == 0


def test_a_forged_done_does_not_hide_a_dead_kernel_and_invalid_scores_nothing():
    died = run_of({"event": "done"}, {"event": "kernel-died", "message": "x"}, exit_code=0)
    assert combine("s", died, [], HIDDEN).status == CRASHED
    invalid = run_of({"event": "invalid", "message": "not a readable notebook"}, exit_code=64)
    result = combine("s", invalid, PASS_ALL, HIDDEN)
    assert result.status == INVALID and result.earned == 0


def test_public_messages_that_quote_the_grader_are_redacted():
    grader = frozenset({"history = sgd(-0.95, f, df, max_iter=7)"})
    message = "AssertionError: leaked\n    history = sgd(-0.95, f, df, max_iter=7)\nthe rest"
    run = run_of({"event": "probe", "question": "q1", "tests": {},
                  "public": [{"name": "q1 - 1", "passed": False, "message": message}]}, {"event": "done"}, exit_code=0)
    public = [t for t in combine("s", run, [], HIDDEN, grader_lines=grader).results_json["tests"]
              if t["visibility"] == "visible"]
    assert public[0]["output"].splitlines() == ["AssertionError: leaked", "[line removed: it quotes the grader's code]",
                                                "the rest"]
