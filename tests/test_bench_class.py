"""The realistic class `make bench` grades: drawn from the project's examples/bench_class.toml, the
same class every time, and only from notebooks whose right grade the project knows."""

from __future__ import annotations

from pathlib import Path

import pytest

from optgrade.bench.class_mix import CONFIG, answer_keys, draw, pools

ROOT = Path(__file__).resolve().parents[1]


def test_the_class_is_the_same_every_time_and_only_has_notebooks_with_answer_keys():
    first = draw(ROOT, 100)
    assert first == draw(ROOT, 100)
    keys = answer_keys(ROOT)
    assert len(first) == 100 and len({student for student, _ in first}) == 100  # each file a distinct student
    assert all(source in keys for _, source in first)
    kinds = pools(__import__("tomllib").loads((ROOT / CONFIG).read_text()), sorted(keys))
    drawn = {kind: sum(source in pool for _, source in first) for kind, pool in kinds.items()}
    assert all(count > 0 for count in drawn.values()), drawn
    assert drawn["fair"] > drawn["mistake"] > drawn["own"]


def test_one_runaway_loop_in_a_large_class_and_none_in_a_small_one():
    assert sum(source == "infinite-loop.ipynb" for _, source in draw(ROOT, 100)) == 1
    assert not any(source == "infinite-loop.ipynb" for _, source in draw(ROOT, 10))


def test_a_file_named_outright_by_one_kind_is_not_in_another_kinds_pattern():
    config = {"kind": [{"name": "fair", "files": ["fair-*", "extra.ipynb"]},
                       {"name": "own", "files": ["fair-own.ipynb"]}]}
    got = pools(config, ["fair-b.ipynb", "fair-a.ipynb", "fair-own.ipynb", "mistake-x.ipynb"])
    assert got == {"fair": ["fair-a.ipynb", "fair-b.ipynb", "extra.ipynb"], "own": ["fair-own.ipynb"]}


def test_a_config_naming_a_file_without_an_answer_key_is_refused(tmp_path):
    (tmp_path / "examples" / "corpus").mkdir(parents=True)
    (tmp_path / "examples" / "corpus" / "expected.csv").write_text("file,total,status\nfair-a.ipynb,27,graded\n")
    (tmp_path / "examples" / "golden_scores.csv").write_text(
        (ROOT / "examples" / "golden_scores.csv").read_text().splitlines()[0] + "\n")
    (tmp_path / CONFIG).write_text('seed = 1\n[[kind]]\nname = "fair"\nshare = 1.0\nfiles = ["fair-*", "nobody.ipynb"]\n'
                                   '[once]\nfile = "fair-a.ipynb"\nfrom_class_size = 50\n')
    with pytest.raises(ValueError, match="nobody.ipynb"):
        draw(tmp_path, 5)
