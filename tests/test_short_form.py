"""Hidden tests in the short form (imports, `name = probed(<expr>)`, then only what is checked) and
shared probes: the build cuts them as it cuts the long form, Otter runs them as they are, both decide
alike, and one probe feeds every check of a question that states the same probe."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from optgrade.assignment import Assignment
from optgrade.build.hidden_split import hidden_tests, write_bundle
from optgrade.bundle import HELPERS_IN_ZIP, Bundle
from optgrade.errors import BuildError
from optgrade.probe_check import SANDBOX_DIR
from optgrade.sandbox import probe_runner

sys.path.insert(0, str(SANDBOX_DIR))  # as Otter's kernel has files/ and the checker its own folder
import optgrade_probes  # noqa: E402

NO_BUDGETS = Assignment("q9_assignment", Path("solutions/q9_assignment.py"))
HEADER = 'from otter.test_files import test_case\n\nOK_FORMAT = False\n\nname = "{q}"\npoints = None\n\n'
SHORT = '''@test_case(points=1, hidden=True, failure_message="curve {letter} is wrong")
def test_{q}_curve_{name}(labels_answer):
    from optgrade_probes import labels_by_key, probed, words
    import math
    labels = probed(labels_by_key(labels_answer))
    assert isinstance(labels, dict) and all(isinstance(v, str) for v in labels.values())
    assert labels.get("{letter}") == words("{label}")

'''
ANSWERS = {"A": "high", "B": "low"}


def question_file(question: str = "q9", tests: str | None = None) -> str:
    body = tests if tests is not None else "".join(
        SHORT.format(q=question, letter=letter, name=letter.lower(), label=label) for letter, label in ANSWERS.items())
    return HEADER.format(q=question) + body


def autograder_zip(tmp_path: Path, files: dict[str, str]) -> Path:
    path = tmp_path / "ag.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for question, text in files.items():
            archive.writestr(f"tests/{question}.py", text)
    return path


def bundle(tmp_path: Path, files: dict[str, str]) -> dict[str, dict]:
    write_bundle(autograder_zip(tmp_path, files), tmp_path / "hardened", NO_BUDGETS)
    sources = {}
    for name in ("probes", "checks"):
        text = (tmp_path / "hardened" / f"{name}.py").read_text()
        namespace: dict = {"__source__": text}
        exec(compile(text, name, "exec"), namespace)
        sources[name] = namespace
    return sources


def test_the_build_cuts_the_short_form_at_its_probe_statement(tmp_path):
    built = bundle(tmp_path, {"q9": question_file()})
    probes, checks = built["probes"]["__source__"], built["checks"]["__source__"]
    # the probe: the expression, with only the imports it reads; no JSON (the runner sends the data)
    assert "labels_by_key(labels_answer)" in probes and "probed" not in probes
    assert "words" not in probes and "math" not in probes  # imports go to the side that reads them
    assert '"high"' not in probes and "isinstance(labels, dict)" not in probes
    # the check: what follows the probe statement, with its data under the name the test gave it
    assert 'labels.get("A") == words("high")' in checks.replace("'", '"')
    assert "labels_answer" not in checks and "labels_by_key" not in checks and "import math" not in checks
    assert built["probes"]["test_q9_curve_a"](labels_answer={" a ": "High", "b": "LOW"}) == {"A": "high",
                                                                                             "B": "low"}
    built["checks"]["test_q9_curve_a"]({"A": "high"})
    with pytest.raises(AssertionError):
        built["checks"]["test_q9_curve_a"]({"A": "low"})
    with pytest.raises(AssertionError):
        built["checks"]["test_q9_curve_a"]({"A": 1})


def test_tests_of_a_question_with_the_same_probe_share_one(tmp_path):
    other = question_file("q8", SHORT.format(q="q8", letter="A", name="a", label="high"))
    built = bundle(tmp_path, {"q9": question_file(), "q8": other})
    probes = built["probes"]
    assert "test_q9_curve_b = test_q9_curve_a" in probes["__source__"]
    assert probes["test_q9_curve_b"] is probes["test_q9_curve_a"]
    assert probes["test_q8_curve_a"] is not probes["test_q9_curve_a"]  # shared only within a question
    # the checks stay one per test, each with its own points
    assert built["checks"]["POINTS"] == {"test_q8_curve_a": 1, "test_q9_curve_a": 1, "test_q9_curve_b": 1}
    assert built["checks"]["test_q9_curve_b"] is not built["checks"]["test_q9_curve_a"]


def test_a_probe_with_other_parameters_is_not_shared(tmp_path):
    second = SHORT.format(q="q9", letter="B", name="b", label="low").replace("(labels_answer):", "(labels_answer, np):")
    built = bundle(tmp_path, {"q9": question_file(tests=SHORT.format(q="q9", letter="A", name="a", label="high") + second)})
    assert built["probes"]["test_q9_curve_b"] is not built["probes"]["test_q9_curve_a"]


LONG_CHECK = '''@test_case(points=4, hidden=True, failure_message="the network learns too little")
def test_q9_training(net_answer):
    import json
    text = probed(json.dumps(net_answer))
    import keras  # noqa: F401  (for its effect: a warm checker imports it before the data comes)
    from optgrade_checks import LAYER_KINDS
    assert isinstance(text, str) and "Dense" in LAYER_KINDS

'''


def test_imports_after_the_probe_statement_stay_the_checks_and_warm_the_checker(tmp_path):
    write_bundle(autograder_zip(tmp_path, {"q9": question_file(tests=LONG_CHECK)}), tmp_path / "hardened",
                 Assignment("q9_assignment", Path("solutions/q9_assignment.py"),
                            check_seconds={"test_q9_training": 600}))
    probes = (tmp_path / "hardened" / "probes.py").read_text()
    checks = (tmp_path / "hardened" / "checks.py").read_text()
    assert "import json" in probes and "keras" not in probes and "LAYER_KINDS" not in probes
    assert "import keras" in checks and "import json" not in checks  # kept although nothing reads it
    assert 'WARM = ["keras", "optgrade_checks"]' in checks


@pytest.mark.parametrize("change, problem", [
    # the check reads the student's object instead of its data
    ('assert labels.get("{letter}") == words("{label}")', "uses ['labels_answer']"),
    # a probe statement with nothing to check after it is no short form (and no long one)
    ('    assert isinstance(labels, dict) and all(isinstance(v, str) for v in labels.values())\n'
     '    assert labels.get("{letter}") == words("{label}")\n', "not in probe/check form"),
])
def test_the_build_refuses_a_short_form_that_breaks_the_split(tmp_path, change, problem):
    replacement = {"uses ['labels_answer']": 'assert labels_answer["{letter}"] == "{label}"',
                   "not in probe/check form": ""}[problem]
    broken = SHORT.replace(change, replacement).format(q="q9", letter="A", name="a", label="high")
    with pytest.raises(BuildError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        hidden_tests(autograder_zip(tmp_path, {"q9": question_file(tests=broken)}))


class Counting:
    """A student's answer (a mapping of their own) that counts how often it is read."""
    reads = 0

    def __init__(self, **labels):
        self.labels = labels

    def keys(self):
        Counting.reads += 1
        return self.labels.keys()

    def __getitem__(self, key):
        return self.labels[key]


def run_probe_function(built: dict, tmp_path: Path, env: dict) -> dict:
    namespace = {"QUESTIONS": built["probes"]["QUESTIONS"], "SOURCE": built["probes"]["__source__"],
                 "HELPERS": probe_runner.PROBE_HELPERS.read_text(), "TESTS_DIR": str(tmp_path / "no-tests"),
                 "LIMIT": probe_runner.MAX_PROBE_BYTES}
    exec(probe_runner.PROBE_FUNCTION, namespace)
    return namespace["probe"]("q9", env)[0]


def test_the_runner_calls_a_shared_probe_once_and_records_it_for_every_test(tmp_path):
    built = bundle(tmp_path, {"q9": question_file()})
    Counting.reads = 0
    record = run_probe_function(built, tmp_path, {"labels_answer": Counting(A="High", B="very-high")})
    assert Counting.reads == 1
    assert record["tests"] == {"test_q9_curve_a": {"value": {"A": "high", "B": "very high"}},
                               "test_q9_curve_b": {"value": {"A": "high", "B": "very high"}}}
    # an error is shared the same way: each test's check sees it
    record = run_probe_function(built, tmp_path, {"labels_answer": None})
    assert set(record["tests"]) == {"test_q9_curve_a", "test_q9_curve_b"}
    assert all("TypeError" in entry["error"] for entry in record["tests"].values())


def test_the_runner_installs_the_probe_helpers_in_the_kernel_even_over_a_planted_module(tmp_path):
    built = bundle(tmp_path, {"q9": question_file()})
    planted = type(sys)("optgrade_probes")  # a student's own module of that name cannot break a probe
    saved = sys.modules.get("optgrade_probes")
    sys.modules["optgrade_probes"] = planted
    try:
        record = run_probe_function(built, tmp_path, {"labels_answer": {"a": "high"}})
    finally:
        if saved is None:
            sys.modules.pop("optgrade_probes", None)
        else:
            sys.modules["optgrade_probes"] = saved
    assert record["tests"]["test_q9_curve_a"] == {"value": {"A": "high"}}


@pytest.mark.parametrize("answer, expected", [
    ({"A": "high", "B": "low"}, [True, True]), ({"a ": "High", "b": " low "}, [True, True]),
    ({"A": "HIGH", "B": "very_high"}, [True, False]), ({"A": np.str_("high"), "B": np.str_("low")}, [True, True]),
    ({"A": "low", "B": "high"}, [False, False]), ({"A": "high"}, [True, False]), ({}, [False, False]),
    (None, [False, False]), (["A", "B"], [False, False]), ({"A": 1, "B": 2}, [False, False]),
], ids=["right", "spaces-and-case", "underscores", "numpy-strings", "swapped", "one-key", "empty", "none",
        "list", "numbers"])
def test_otter_and_the_hardened_split_decide_the_short_form_alike(tmp_path, answer, expected):
    """Otter runs the test function as written (in its kernel, with files/ on the path); the hardened
    grader runs the probe with the student's code and the check on the JSON data alone."""
    from otter.test_files.exception_test import ExceptionTestFile

    path = tmp_path / "q9.py"
    path.write_text(question_file())
    otter = ExceptionTestFile.from_file(str(path))
    otter.run({"labels_answer": answer})
    by_otter = [bool(r.passed) for r in otter.test_case_results]  # in file order, as the checks

    built = bundle(tmp_path, {"q9": question_file()})
    record = run_probe_function(built, tmp_path, {"labels_answer": answer})
    hardened = []
    for name in built["checks"]["QUESTIONS"]["q9"]:
        entry = record["tests"][name]
        try:
            assert "value" in entry
            built["checks"][name](json.loads(json.dumps(entry["value"])))
            hardened.append(True)
        except AssertionError:
            hardened.append(False)
    assert by_otter == hardened == expected


# The probe helpers state once what the master's probes used to restate in every test: they must
# give exactly what those inline expressions gave, on fair variants and on wrong answers alike.
def inline_labels(answer):
    return {str(k).strip().upper(): " ".join(str(v).strip().lower().replace("_", " ").replace("-", " ").split())
            for k, v in dict(answer).items()}


def inline_letters(answer):
    return sorted({str(s).strip().upper() for s in answer})


def inline_boolean(answer):
    if isinstance(answer, np.ndarray) and answer.dtype == bool and answer.size == 1:
        answer = answer.reshape(-1)[0]
    if isinstance(answer, (bool, np.bool_)):
        return {"type": "bool", "value": bool(answer)}
    return {"type": type(answer).__name__, "value": None}


@pytest.mark.parametrize("answer", [{"A": "high"}, {" b": "Very-High "}, {"c": "very  high"},
                                    {np.str_("d"): np.str_("good")}, {1: 2}, [("a", "low")]])
def test_labels_by_key_is_the_inline_probe(answer):
    assert optgrade_probes.labels_by_key(answer) == inline_labels(answer)


@pytest.mark.parametrize("answer", [{"C", "D"}, ["c", "d", "C"], "CD", ("a",), set(), [np.str_("b")], [1]])
def test_letters_is_the_inline_probe(answer):
    assert optgrade_probes.letters(answer) == inline_letters(answer)


@pytest.mark.parametrize("answer", [True, False, np.bool_(True), np.array([True]), np.array([[False]]),
                                    np.array([True, False]), 1, "True", None, np.array([1])])
def test_boolean_is_the_inline_probe(answer):
    assert optgrade_probes.boolean(answer) == inline_boolean(answer)


def test_probed_is_the_json_round_trip_the_runner_applies():
    value = {"a": (1, 2.5), "b": float("nan"), "c": [np.float64(1.5).item()]}
    got = optgrade_probes.probed(value)
    assert got["a"] == [1, 2.5] and np.isnan(got["b"]) and got["c"] == [1.5]
    with pytest.raises(TypeError):
        optgrade_probes.probed(np.float32(1.0))  # as the runner: not JSON, so the probe fails


def test_the_zip_carries_the_probe_helpers_for_otter_and_every_sandbox(project, tmp_path):
    helpers = probe_runner.PROBE_HELPERS.read_bytes()
    with zipfile.ZipFile(project.autograder_zip) as archive:
        assert archive.read("files/optgrade_probes.py") == helpers  # otter run: beside the notebook
        assert archive.read("files/.optgrade/optgrade/sandbox/optgrade_probes.py") == helpers  # Gradescope
    assert "files/optgrade_probes.py" in HELPERS_IN_ZIP
    Bundle.of(project).stage_checker(tmp_path / "checks")  # the helpers are no grading data
    assert not list((tmp_path / "checks").rglob("optgrade_probes.py"))
    probes = (project.hardened_dir / "probes.py").read_text()
    assert "test_q1_1_curve_b = test_q1_1_curve_a" in probes  # the master's q1_1 states one probe
