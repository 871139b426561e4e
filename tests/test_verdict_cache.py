"""The verdict cache of expensive checks: keyed by the probe data on the trusted side, plain JSON,
and a cached grade equal to a fresh one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FULL_MARKS, docker_or_skip
from optgrade.limits import Limits
from optgrade.grade.batch import grade_submissions, idle_core, machine_resources
from optgrade.grade.verdicts import VerdictCache

ROOT = Path(__file__).resolve().parents[1]


def probe_output(*records: dict) -> bytes:
    return "".join(json.dumps({"event": "probe", **r}) + "\n" for r in records).encode()


def cnn_record(config: str) -> dict:
    return {"question": "q4", "tests": {"train": {"value": config}, "cheap": {"value": 1}}}


def verdict(passed: bool, message: str = "passed") -> dict:
    return {"question": "q4", "name": "train", "points": 4.0, "passed": passed, "message": message}


@pytest.fixture
def cache(tmp_path) -> VerdictCache:
    return VerdictCache(tmp_path / "cache", salt="checks+data+image", expensive={"train": "q4"})


def test_a_verdict_is_found_only_for_exactly_the_data_it_was_computed_for(cache):
    sent = probe_output(cnn_record('{"layers": [1]}'))
    cache.store(sent, [verdict(True), {"question": "q4", "name": "cheap", "points": 1.0, "passed": True,
                                       "message": "passed"}])
    assert cache.lookup(sent) == {"train": verdict(True)}
    # other probe data (another architecture) finds nothing: a submission cannot claim a verdict
    assert cache.lookup(probe_output(cnn_record('{"layers": [2]}'))) == {}
    # the last record of a question counts, as in the checker
    assert cache.lookup(probe_output(cnn_record('{"layers": [1]}'), cnn_record('{"layers": [2]}'))) == {}
    # cheap checks are never cached
    assert len(list(cache.folder.rglob("*.json"))) == 1


def test_another_grader_setup_shares_nothing(cache, tmp_path):
    sent = probe_output(cnn_record("net"))
    cache.store(sent, [verdict(True)])
    other = VerdictCache(cache.folder, salt="other checks", expensive={"train": "q4"})
    assert other.lookup(sent) == {}


def test_only_verdicts_that_do_not_depend_on_the_machine_are_kept(cache):
    sent = probe_output(cnn_record("net"))
    cache.store(sent, [verdict(False, "the check took longer than 600 s")])
    assert cache.lookup(sent) == {}
    cache.store(sent, [verdict(False, "AssertionError: balanced accuracy 0.500 < 0.90")])
    assert cache.lookup(sent)["train"]["passed"] is False


def test_a_damaged_entry_is_ignored_not_trusted(cache):
    sent = probe_output(cnn_record("net"))
    cache.store(sent, [verdict(True)])
    (entry,) = cache.folder.rglob("*.json")
    entry.write_text('{"passed": true}')  # not a full verdict
    assert cache.lookup(sent) == {}
    entry.write_text("\x80 not json")
    assert cache.lookup(sent) == {}


# What a student's container can send for the expensive test, crafted to poison the cache: the data
# of a network already judged (REFERENCE) next to an error, twice, under another question, with
# extra fields, NaN, or an entry of the wrong type. The checker is trusted; everything else is not.
REFERENCE = '{"layers": ["the 2019 network"]}'
CRAFTED = {
    "value and error": [{"question": "q4", "tests": {"train": {"value": REFERENCE, "error": "boom"}}}],
    "reference, then junk": [cnn_record(REFERENCE), cnn_record('{"layers": []}')],
    "junk, then reference": [cnn_record('{"layers": []}'), cnn_record(REFERENCE)],
    "under another question": [{"question": "q1", "tests": {"train": {"value": REFERENCE}}}],
    "extra fields": [{"question": "q4", "tests": {"train": {"value": REFERENCE, "passed": True, "points": 99}}}],
    "nan": [{"question": "q4", "tests": {"train": {"value": float("nan")}}}],
    "not a dict": [{"question": "q4", "tests": {"train": [REFERENCE]}}],
    "error only": [{"question": "q4", "tests": {"train": {"error": "AssertionError: planted"}}}],
}


def trusted_verdicts(stdout: bytes, skip: frozenset[str] = frozenset()) -> list[dict]:
    import io

    from optgrade.sandbox.checker import check_all, read_records

    def train(value):  # the "training": passes only the 2019 network
        assert value == REFERENCE, "balanced accuracy 0.500 < 0.90"

    checks = {"QUESTIONS": {"q4": ["train"]}, "POINTS": {"train": 4}, "SECONDS": {"train": 600}, "train": train}
    return list(check_all(checks, read_records(io.StringIO(stdout.decode())), skip))


@pytest.mark.parametrize("attempt", sorted(CRAFTED))
def test_crafted_probe_data_gets_from_the_cache_exactly_what_a_fresh_check_gives(cache, attempt):
    # the cache holds the 2019 network's verdict, judged for an honest submission earlier
    honest = probe_output(cnn_record(REFERENCE))
    cache.store(honest, trusted_verdicts(honest))
    assert cache.lookup(honest)["train"]["passed"] is True
    sent = probe_output(*CRAFTED[attempt])
    fresh = trusted_verdicts(sent)
    cached = cache.lookup(sent)
    with_cache = trusted_verdicts(sent, frozenset(cached)) + list(cached.values())
    assert with_cache == fresh
    cache.store(sent, fresh)  # whatever it sent, the honest submission's entry is unchanged
    assert cache.lookup(honest) == {"train": trusted_verdicts(honest)[0]}


@pytest.mark.slow
def test_cached_grades_equal_fresh_ones_bit_for_bit(project, tmp_path):
    docker_or_skip()
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copy(ROOT / "examples" / "submissions" / "passes-all.ipynb", folder)
    shutil.copy(ROOT / "examples" / "corpus" / "submissions" / "fair-own-cnn-leaky-gmp.ipynb", folder)
    shutil.copy(ROOT / "examples" / "submissions" / "always-zero-model.ipynb", folder)
    cache_dir = tmp_path / "cache"

    def results(out_name: str, cache_dir: Path | None, workers: int = 2) -> dict[str, dict]:
        out = tmp_path / out_name
        grade_submissions(paths=[folder], out_dir=out, autograder_zip=project.autograder_zip, backend="docker",
                          workers=workers, limits=Limits(timeout=300), progress=False, cache_dir=cache_dir)
        graded = {}
        for path in sorted((out / "results").glob("*.json")):
            data = json.loads(path.read_text())
            data.pop("execution_time", None)
            graded[path.name] = data
        return graded

    # one worker leaves a core free: its checkers start warm, beside the student's container
    assert idle_core(1, Limits(timeout=300), machine_resources("docker")[0]), "needs 2 cores: else this compares nothing warm"
    fresh = results("fresh", None, workers=1)
    filled = results("filled", cache_dir)
    assert len(list(cache_dir.rglob("*.json"))) == 3  # three networks judged (the frozen one refused)
    reused = results("reused", cache_dir)
    assert fresh == filled == reused  # warm or not, cached or not
    assert {name: data["score"] for name, data in reused.items()} == {
        "passes-all.json": FULL_MARKS, "fair-own-cnn-leaky-gmp.json": 26.0, "always-zero-model.json": 20.5}


def test_no_container_ever_sees_the_cache_folder(project, tmp_path, monkeypatch):
    """The cache lives on the trusted host only: neither container mounts it, every mount is read-only,
    and the checker learns of cached verdicts only as the names of tests to skip."""
    from optgrade.grade import container
    from optgrade.bundle import Bundle

    cache_dir = tmp_path / "verdict-cache"
    bundle = Bundle.of(project)
    cache = VerdictCache.for_bundle(cache_dir, bundle, runtime="test")
    honest = probe_output({"question": "q4_quality",
                           "tests": {"test_q4_quality_balanced_accuracy": {"value": "{}"}}})
    cache.store(honest, [{"question": "q4_quality", "name": "test_q4_quality_balanced_accuracy", "points": 4.0,
                          "passed": True, "message": "passed"}])
    commands = []

    def fake_run(command, name, *, timeout, stdin_data=None):
        commands.append(command)
        stdout = honest + b'{"event": "done"}\n' if len(commands) == 1 else b'{"done": true}\n'
        return container.Finished(stdout, "", 0, False, False, False, 0.1)

    monkeypatch.setattr(container, "run_container", fake_run)
    monkeypatch.setattr(container, "_remove", lambda name: None)
    container.grade_in_container(project.reference_notebook, name="reference", bundle=bundle, cache=cache)
    assert len(commands) == 2
    for command in commands:
        assert not [part for part in command if str(cache_dir) in part]
        mounts = [command[i + 1] for i, part in enumerate(command) if part == "-v"]
        assert mounts and all(m.endswith(":ro") for m in mounts)
    assert commands[1][-2:] == ["--skip", "test_q4_quality_balanced_accuracy"]
