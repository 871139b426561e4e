"""Tests for assignment 5's synthetic newspaper page generator (data/newspaper.py)."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import skimage.io
from scipy import ndimage

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
_spec = importlib.util.spec_from_file_location("newspaper", DATA_DIR / "newspaper.py")
data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(data)


@functools.lru_cache(maxsize=None)
def _page(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Generate each seed once per test session (callers must not mutate)."""
    return data.generate_page(seed=seed)


def _loop_labels(gt: np.ndarray, h: int, w: int, thresh: float) -> np.ndarray:
    """The assignment's rule, written as the plain nested loop."""
    out = []
    y = 0
    while y + h < gt.shape[0]:
        x = 0
        while x + w < gt.shape[1]:
            patch = gt[y:y + h, x:x + w]
            out.append(1 if np.sum(patch == 0) / (h * w) > thresh else 0)
            x += w
        y += h
    return np.array(out, dtype=np.uint8)


def test_same_seed_gives_identical_arrays():
    a_img, a_gt = data.generate_page(seed=1)
    b_img, b_gt = _page(1)
    np.testing.assert_array_equal(a_img, b_img)
    np.testing.assert_array_equal(a_gt, b_gt)


def test_different_seeds_differ():
    (img1, gt1), (img2, gt2) = _page(1), _page(2)
    assert not np.array_equal(img1, img2)
    assert not np.array_equal(gt1, gt2)


def test_shape_dtype_and_patch_grid():
    img, gt = _page(1)
    assert img.shape == gt.shape == (1600, 1210)
    assert img.dtype == gt.dtype == np.uint8
    assert data.patch_grid(*gt.shape) == (106, 80)
    assert data.patch_labels(gt).shape == (106 * 80,)


def test_gt_is_binary():
    _, gt = _page(1)
    assert set(np.unique(gt).tolist()) == {0, 1}


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 17])
def test_positive_share_in_range(seed):
    share = data.patch_labels(_page(seed)[1]).mean()
    assert 0.04 <= share <= 0.15, share


def test_thin_rules_are_labelled():
    # a seed whose column rules are 1 px of ink (3 px of GT)
    seed = next(s for s in range(1, 100) if data._Page(s, 1600, 1210).col_rule == 1)
    _, gt = _page(seed)
    labels = data.patch_labels(gt).reshape(data.patch_grid(*gt.shape))
    comps, _ = ndimage.label(gt == 0)
    checked = 0
    for i, (ys, xs) in enumerate(ndimage.find_objects(comps), start=1):
        height = ys.stop - ys.start
        if height < 300 or (comps[ys, xs] == i).sum() / height > 3.5:
            continue  # only tall rules whose GT is ~3 px wide, i.e. 1 px of ink
        hits = []
        for r in range(ys.start // 15 + 1, min(ys.stop // 15 - 1, labels.shape[0])):
            cols = np.unique(np.nonzero(comps[r * 15:(r + 1) * 15] == i)[1] // 15)
            hits.append(labels[r, cols[cols < labels.shape[1]]].any())
        assert np.mean(hits) > 0.9, (i, np.mean(hits))
        checked += 1
    assert checked >= 2


def test_patch_labels_edge_and_threshold_rules():
    gt = np.ones((30, 41), np.uint8)  # h=w=10: rows y=0,10 (not 20); cols x=0..30 (not 40)
    gt[0, 0:10] = 0                   # patch (0,0): exactly 10 % -> 0
    gt[0:2, 10:16] = 0                # patch (0,1): 12 % -> 1
    gt[10:20, 30:40] = 0              # patch (1,3): 100 % -> 1
    gt[20:30, :] = 0                  # last full row of patches: excluded by y + h < H
    gt[:, 40] = 0                     # partial right column: excluded
    got = data.patch_labels(gt, h=10, w=10, thresh=0.1)
    np.testing.assert_array_equal(got, [0, 1, 0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(got, _loop_labels(gt, 10, 10, 0.1))
    one = np.ones((16, 16), np.uint8)  # default 15x15: 22/225 -> 0, 23/225 -> 1
    one[:15, :15].flat[:22] = 0
    assert data.patch_labels(one).tolist() == [0]
    one[:15, :15].flat[22] = 0
    assert data.patch_labels(one).tolist() == [1]
    assert data.patch_labels(np.zeros((15, 16), np.uint8)).size == 0  # 0 + 15 < 15 fails


@pytest.mark.parametrize("shape,h,w,thresh", [((45, 45), 15, 15, 0.1), ((61, 77), 15, 15, 0.1),
                                              ((50, 33), 7, 5, 0.25), ((100, 100), 15, 15, 0.0)])
def test_patch_labels_matches_loop_on_random(shape, h, w, thresh):
    gt = (np.random.default_rng(0).random(shape) > 0.85).astype(np.uint8)
    np.testing.assert_array_equal(data.patch_labels(gt, h=h, w=w, thresh=thresh),
                                  _loop_labels(gt, h, w, thresh))


def test_write_page_round_trip(tmp_path):
    jpg, png = data.write_page(seed=1, out_dir=tmp_path / "out", stem="page")
    assert (jpg.name, png.name) == ("page.jpg", "page-gt.png")
    img, gt = _page(1)
    read_gt = skimage.io.imread(png, as_gray=True)
    np.testing.assert_array_equal(read_gt == 0, gt == 0)
    np.testing.assert_array_equal(np.around(read_gt) == 0, gt == 0)
    read_img = skimage.io.imread(jpg, as_gray=True)
    assert read_img.shape == (1600, 1210)
    assert np.abs(np.asarray(skimage.io.imread(jpg), float) - img).mean() < 4


def test_generate_uses_given_seeds(tmp_path):
    paths = data.generate(out_dir=tmp_path, seeds={"x": 3})
    assert [p.name for p in paths] == ["x.jpg", "x-gt.png"]
    assert all(p.is_file() for p in paths)
    assert data.PAGES == {"img-001": 1, "img-002": 2}


@pytest.mark.parametrize("stem", ["img-001", "img-002"])
def test_committed_pages_are_current(stem, tmp_path):
    """Staleness check: the files in data/ must be what the generator makes now."""
    jpg, png = DATA_DIR / f"{stem}.jpg", DATA_DIR / f"{stem}-gt.png"
    assert jpg.is_file() and png.is_file(), "run `optgrade data` to regenerate data/"
    img, gt = _page(data.PAGES[stem])
    np.testing.assert_array_equal(skimage.io.imread(png, as_gray=True) == 0, gt == 0)
    # JPEG bytes depend on the libjpeg build: compare decoded pixels with a fresh encode.
    fresh, _ = data.write_page(seed=data.PAGES[stem], out_dir=tmp_path, stem=stem)
    old = np.asarray(skimage.io.imread(jpg), float)
    assert old.shape == img.shape
    assert np.abs(old - np.asarray(skimage.io.imread(fresh), float)).mean() < 2


@pytest.mark.slow
def test_optgrade_data_runs_the_generator_the_assignment_declares(tmp_path):
    """`optgrade data` runs optgrade.toml's data_generator (data/newspaper.py), nothing built in."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "from optgrade.cli import main; main()", "data", "-o",
                           str(tmp_path)], cwd=DATA_DIR.parent, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img-001-gt.png", "img-001.jpg", "img-002-gt.png",
                                                        "img-002.jpg"]
    for stem in ("img-001", "img-002"):
        np.testing.assert_array_equal(skimage.io.imread(tmp_path / f"{stem}-gt.png", as_gray=True) == 0,
                                      skimage.io.imread(DATA_DIR / f"{stem}-gt.png", as_gray=True) == 0)
