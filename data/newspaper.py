"""Deterministic generator of scanned newspaper pages with separator ground truth: assignment 5's
own data, declared in optgrade.toml (`optgrade data` runs `python data/newspaper.py OUT_DIR`).

The 2019 assignment trains a small CNN on 15x15 patches of a scanned newspaper
page to find *separators*: the vertical column rules and the horizontal rules
between articles.  The original page and its ground truth (GT) are lost, so we
synthesise look-alikes: a masthead, 4-6 columns of justified body text in the
DejaVu fonts bundled with matplotlib, bold headlines, photos, boxed items and
1-4 px rules, then a slight rotation/shear, blur, paper texture, uneven
illumination and (in :func:`write_page`) JPEG compression.

GT convention (as in the assignment): separator pixels are 0, everything else 1.
Only column rules, article/band-separating horizontal rules and the two masthead
rules are separators; text, photos, photo frames and the outlines of boxed items
are not (they are the "hard negatives").  Each rule is marked ``GT_PAD`` px wider
than its ink on every side: a 1 px rule covers only 15/225 = 6.7 % of a patch,
so it could never be labelled with the assignment's threshold of 0.1 otherwise.

Determinism: everything derives from ``seed`` through three independent
``numpy.random.default_rng`` streams -- *layout* (where rules go), *content*
(words, photo textures) and *scan* (skew, blur, noise).  Layout never depends on
font metrics, so the GT is identical across FreeType/Pillow versions; only the
glyph pixels may differ.
"""

from __future__ import annotations

import functools
import itertools
import os
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

PAGES = {"img-001": 1, "img-002": 2}
"""Bundled pages: file stem -> seed."""

GT_PAD = 1
"""Extra GT width (px) on each side of every rule's ink."""

_WORDS = """the of and to in a is that for it as was with be by on not he this are
or his from at which but have an they you were her she there been one all we
their has would when if will more no out so said what up its about into than
them can only other new some could time these two may then do first any my now
such like our over man me even most made after also did many before must through
back years where much your way well down should because each just those people
how too little state good very make world still own see men work long get here
between both life being under never day same another know while last might us
great old year off come since against go came right used take three market city
council minister river harbour railway election weather budget report committee
government station theatre football finance shipping hospital university trade
parliament strike harvest bridge museum evening morning police court season
""".split()
_TITLE_A = ["Daily", "Evening", "Morning", "Weekly", "Provincial", "Northern"]
_TITLE_B = ["Gradient", "Herald", "Courier", "Tribune", "Gazette", "Observer", "Ledger"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_MONTHS = ["March", "April", "May", "June", "July", "August", "September"]


@functools.lru_cache(maxsize=None)
def _font(face: str, size: int) -> ImageFont.FreeTypeFont:
    """A DejaVu face from matplotlib's own data dir (never a system font)."""
    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", f"{face}.ttf")
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=100_000)
def _length(face: str, size: int, text: str) -> float:
    return _font(face, size).getlength(text)


class _Page:
    """Drawing state of one page: ink canvas (255 = paper), GT mask and RNG streams."""

    def __init__(self, seed: int, height: int, width: int) -> None:
        self.h, self.w = height, width
        self.layout = np.random.default_rng([seed, 0])
        self.content = np.random.default_rng([seed, 1])
        self.canvas = Image.new("L", (width, height), 255)
        self.draw = ImageDraw.Draw(self.canvas)
        self.gt = np.ones((height, width), np.uint8)
        self.words = itertools.cycle(self.content.integers(0, len(_WORDS), 20_000).tolist())
        L = self.layout
        self.mx = int(L.integers(36, 48))  # left/right page margin
        self.body_size = int(L.integers(11, 13))
        self.leading = self.body_size + int(L.integers(2, 4))
        self.head_face = "DejaVuSerif-Bold" if L.random() < 0.6 else "DejaVuSans-Bold"
        self.col_rule = int(L.integers(1, 3))  # vertical column rules: 1-2 px
        self.art_rule = int(L.integers(1, 4))  # rules between articles: 1-3 px

    # -- primitives -------------------------------------------------------------
    def word(self) -> str:
        return _WORDS[next(self.words)]

    def text(self, xy, s: str, face: str, size: int, **kw) -> None:
        self.draw.text((round(xy[0]), round(xy[1])), s, font=_font(face, size), fill=0, **kw)

    def rule(self, x0: int, y0: int, x1: int, y1: int) -> None:
        """Ink the separator [x0, x1) x [y0, y1) and mark it, padded, in the GT."""
        x0, y0, x1, y1 = int(x0), int(y0), int(x1), int(y1)
        self.draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=0)
        p = GT_PAD
        self.gt[max(y0 - p, 0):y1 + p, max(x0 - p, 0):x1 + p] = 0

    def hrule(self, x0: int, x1: int, yc: int, width: int) -> None:
        self.rule(x0, yc - width // 2, x1, yc - width // 2 + width)

    def vrule(self, xc: int, y0: int, y1: int, width: int) -> None:
        self.rule(xc - width // 2, y0, xc - width // 2 + width, y1)

    # -- text -------------------------------------------------------------------
    def line(self, x0, x1, y, face, size, *, justify=True, indent=0.0, fill=1.0) -> None:
        """Set one line of words in [x0, x1); justified unless it ends a paragraph."""
        space, avail = _length(face, size, " "), (x1 - x0 - indent) * fill
        words, total = [], 0.0
        while True:
            w = self.word()
            wl = _length(face, size, w)
            if total + space * len(words) + wl > avail:
                if words:
                    break
                continue  # a word wider than the column: skip it, never overflow
            words.append(w)
            total += wl
        gap = (x1 - x0 - indent - total) / max(len(words) - 1, 1) if justify else space
        x = x0 + indent
        for w in words:
            self.text((x, y), w, face, size)
            x += _length(face, size, w) + gap

    def body_text(self, x0: int, x1: int, y0: int, y1: int) -> None:
        """Fill a column box with paragraphs of justified body text."""
        C, size = self.content, self.body_size
        y, left, first = y0, int(C.integers(3, 12)), False
        while y + self.leading <= y1:
            last = left == 1
            self.line(x0, x1, y, "DejaVuSerif", size, justify=not last,
                      indent=1.5 * size if first else 0.0,
                      fill=C.uniform(0.3, 0.9) if last else 1.0)
            first, left = last, int(C.integers(3, 12)) if last else left - 1
            y += self.leading

    def headline(self, x0: int, x1: int, y: int, size: int, nlines: int) -> int:
        """Bold headline of exactly ``nlines`` lines; returns the y below it."""
        step = round(size * 1.2)  # block height from the size only, not from metrics
        for i in range(nlines):
            fill = 1.0 if i + 1 < nlines else self.content.uniform(0.5, 1.0)
            words: list[str] = []
            while True:
                w = self.word()
                cand = " ".join(words + [w])
                if _length(self.head_face, size, cand) > (x1 - x0) * fill:
                    if words:
                        break
                    continue
                words.append(w)
            s = " ".join(words)
            self.text((x0, y + i * step), s[0].upper() + s[1:] if i == 0 else s,
                      self.head_face, size)
        return y + nlines * step

    # -- page elements ----------------------------------------------------------
    def photo(self, x0: int, y0: int, w: int, h: int) -> None:
        """A grey 'photo': gradient + smooth clouds + a few soft blobs + grain."""
        C = self.content
        yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
        a = C.uniform(0, 2 * np.pi)
        img = 0.55 + 0.3 * (np.cos(a) * xx + np.sin(a) * yy - 0.5)
        clouds = ndimage.gaussian_filter(C.standard_normal((h, w)), C.uniform(4, 12))
        img += clouds / (clouds.std() + 1e-9) * 0.1
        for _ in range(int(C.integers(1, 5))):  # heads, buildings, ... as soft ellipses
            cy, cx = C.uniform(0.2, 0.9) * h / max(h, w), C.uniform(0.1, 0.9) * w / max(h, w)
            ry, rx = C.uniform(0.08, 0.35, 2)
            img[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1] += C.uniform(-0.4, 0.3)
        img = ndimage.gaussian_filter(img, 1.2) + C.normal(0, 0.04, (h, w))
        self.canvas.paste(Image.fromarray((np.clip(img, 0.05, 0.97) * 255).astype(np.uint8)),
                          (int(x0), int(y0)))
        if C.random() < 0.5:  # thin frame: NOT a separator
            self.draw.rectangle([x0, y0, x0 + w - 1, y0 + h - 1], outline=0, width=1)

    def article(self, cols: list[tuple[int, int]], y0: int, y1: int, *,
                lead: bool = False, boxed: bool = False) -> None:
        """Headline, optional byline/photo, text columns and in-article column rules."""
        L = self.layout
        if boxed:  # tinted box with a 1-2 px outline; the outline is NOT a separator
            self.draw.rectangle([cols[0][0] + 2, y0 + 5, cols[-1][1] - 3, y1 - 6],
                                fill=int(L.integers(226, 246)), outline=0,
                                width=int(L.integers(1, 3)))
            cols, y0, y1 = [(a + 10, b - 10) for a, b in cols], y0 + 10, y1 - 10
        span, x0, x1 = len(cols), cols[0][0], cols[-1][1]
        if lead:
            size, nl = int(L.integers(34, 46)), int(L.integers(1, 3))
        elif span > 1:
            size, nl = int(L.integers(22, 32)), int(L.integers(1, 3))
        else:
            size, nl = int(L.integers(15, 21)), int(L.integers(1, 4))
        while nl > 1 and nl * size * 1.2 > 0.25 * (y1 - y0):
            nl -= 1
        y = self.headline(x0, x1, y0 + 8, size, nl) + 4
        if L.random() < 0.4:
            self.text((x0, y), f"By {self.word().title()} {self.word().title()}",
                      "DejaVuSans-Bold", 10)
            y += 16
        tops, k = [y + 4] * span, 0
        if L.random() < (0.9 if lead else 0.3) and y1 - y > 280:
            k = int(L.integers(1, span + 1))
            pw = cols[k - 1][1] - x0
            ph = min(int(pw * L.uniform(0.5, 0.8)), int(0.45 * (y1 - y)))
            self.photo(x0, y + 2, pw, ph)
            ncap = int(L.integers(1, 3))
            for i in range(ncap):
                self.line(x0, x0 + pw, y + ph + 6 + 13 * i, "DejaVuSans-Oblique", 10,
                          justify=False, fill=1.0 if i + 1 < ncap else 0.6)
            tops[:k] = [y + ph + 6 + 13 * ncap + 8] * k
        for (a, b), top in zip(cols, tops):
            self.body_text(a, b, top, y1 - 6)
        for i in range(span - 1):  # rules between the text columns of one article;
            xc = (cols[i][1] + cols[i + 1][0]) // 2  # a photo interrupts them only if
            self.vrule(xc, tops[i] if i + 1 < k else y, y1 - 4, self.col_rule)  # it spans both sides

    def masthead(self) -> int:
        """Folio line, big title, thin rule, date line, thick rule; returns body top."""
        L, C, mx, w = self.layout, self.content, self.mx, self.w
        y = int(L.integers(26, 36))
        self.text((mx, y), f"VOL. {int(C.integers(10, 90))} - No. {int(C.integers(1000, 9999))}",
                  "DejaVuSans", 12)
        self.text((w - mx, y), f"PRICE {int(C.integers(10, 60))} CENTS", "DejaVuSans", 12,
                  anchor="ra")
        y += 22
        size = int(L.integers(72, 92))
        title = f"The {C.choice(_TITLE_A)} {C.choice(_TITLE_B)}"
        fsize = size  # shrink the glyphs (not the block) until the title fits
        while _length("DejaVuSerif-Bold", fsize, title) > w - 2 * mx - 40:
            fsize -= 2
        self.text((w / 2, y + (size - fsize) // 2), title, "DejaVuSerif-Bold", fsize,
                  anchor="ma")
        y += round(size * 1.15)
        self.hrule(mx, w - mx, y, 1)
        date = (f"{C.choice(_DAYS)}, {C.choice(_MONTHS)} {int(C.integers(1, 29))}, 2019")
        self.text((mx, y + 6), date, "DejaVuSerif-Italic", 13)
        self.text((w - mx, y + 6), "LATE CITY EDITION", "DejaVuSans-Bold", 12, anchor="ra")
        y += 28
        self.hrule(mx, w - mx, y, int(L.integers(3, 5)))
        return y + 6

    def body(self, top: int, bottom: int) -> None:
        """Columns, bands of article groups, and the rules between them."""
        L, mx = self.layout, self.mx
        n, gut = int(L.integers(4, 7)), int(L.integers(16, 23))
        colw = (self.w - 2 * mx - (n - 1) * gut) / n
        cols = [(round(mx + c * (colw + gut)), round(mx + c * (colw + gut) + colw))
                for c in range(n)]
        rest = bottom - top
        cuts = [top, top + int(rest * L.uniform(0.4, 0.6))]  # 2 or 3 horizontal bands
        if L.random() < 0.4:
            cuts = [top, top + int(rest * L.uniform(0.35, 0.45))]
            cuts.append(cuts[1] + int((bottom - cuts[1]) * L.uniform(0.4, 0.6)))
        cuts.append(bottom)
        for b, (ya, yb) in enumerate(zip(cuts, cuts[1:])):
            if b:
                self.hrule(mx, self.w - mx, ya, int(L.integers(2, 4)))
            spans, c = ([int(L.integers(2, 4))] if b == 0 else []), 0  # lead story first
            while sum(spans) < n:
                spans.append(min(n - sum(spans), int(L.choice([1, 1, 2]))))
            for s in spans:
                if c:  # rule in the gutter between two article groups, full band height
                    self.vrule((cols[c - 1][1] + cols[c][0]) // 2, ya + 5, yb - 4, self.col_rule)
                self.stack(cols[c:c + s], ya, yb, lead=b == 0 and c == 0)
                c += s

    def stack(self, group: list[tuple[int, int]], ya: int, yb: int, *, lead: bool) -> None:
        """1-3 articles stacked in a column group, separated by horizontal rules."""
        L = self.layout
        m = 1 if lead else int(L.integers(1, max(1, min(3, (yb - ya) // 220)) + 1))
        weights = L.uniform(1.0, 2.0, m)
        ys = [ya] + [ya + int((yb - ya) * f) for f in np.cumsum(weights)[:-1] / weights.sum()]
        ys.append(yb)
        for i, (y0, y1) in enumerate(zip(ys, ys[1:])):
            if i:
                self.hrule(group[0][0], group[-1][1], y0, self.art_rule)
            boxed = len(group) == 1 and not lead and L.random() < 0.2
            self.article(group, y0, y1, lead=lead, boxed=boxed)


def _scan(page: _Page, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Skew, blur, paper tone, illumination and noise; GT follows the geometry only."""
    h, w = page.h, page.w
    th, sh = np.deg2rad(rng.uniform(-0.5, 0.5)), rng.uniform(-0.003, 0.003)
    a, b = np.cos(th), np.cos(th) * sh - np.sin(th)  # rotation @ shear, output -> input
    d, e = np.sin(th), np.sin(th) * sh + np.cos(th)
    cx, cy = w / 2, h / 2
    coeffs = (a, b, cx - a * cx - b * cy, d, e, cy - d * cx - e * cy)
    ink = page.canvas.transform((w, h), Image.Transform.AFFINE, coeffs,
                                resample=Image.Resampling.BILINEAR, fillcolor=255)
    gt = Image.fromarray(page.gt).transform((w, h), Image.Transform.AFFINE, coeffs,
                                            resample=Image.Resampling.NEAREST, fillcolor=1)
    x = ndimage.gaussian_filter(np.asarray(ink, np.float32) / 255, rng.uniform(0.5, 1.0))
    paper, inkv = rng.uniform(226, 242), rng.uniform(15, 40)
    yy, xx = np.ogrid[0:h, 0:w]
    yy, xx = yy / h - 0.5, xx / w - 0.5
    illum = (1 + rng.uniform(-0.06, 0.06) * xx + rng.uniform(-0.06, 0.06) * yy
             - rng.uniform(0.0, 0.12) * (xx ** 2 + yy ** 2)
             + 0.015 * np.cos(2 * np.pi * (rng.uniform(0.5, 2) * yy + rng.uniform())))
    fibre = ndimage.gaussian_filter(rng.standard_normal((h, w), np.float32), 1.5)
    fibre *= rng.uniform(2, 4) / fibre.std()
    img = (inkv + (paper - inkv) * x) * illum + fibre
    img += rng.standard_normal((h, w), np.float32) * rng.uniform(1.5, 3)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), np.asarray(gt, np.uint8)


def generate_page(*, seed: int, height: int = 1600, width: int = 1210
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Render one page; returns ``(image, gt)``, both uint8 of shape (height, width).

    ``image`` is the grey page as printed and scanned (before JPEG).  ``gt`` holds
    0 on separator pixels and 1 elsewhere.  Same seed -> identical arrays.
    """
    page = _Page(seed, height, width)
    page.body(page.masthead(), height - int(page.layout.integers(36, 48)))
    return _scan(page, np.random.default_rng([seed, 2]))


def write_page(*, seed: int, out_dir: Path, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>.jpg`` (grey JPEG, quality 85) and ``<stem>-gt.png``.

    The GT PNG is 8-bit greyscale with separator = 0 and everything else = 255 so
    that it is viewable.  ``skimage.io.imread(gt_path, as_gray=True) == 0``
    recovers exactly the separator mask (``np.around`` of it gives 0/255, and
    ``== 0`` still selects the separators).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    image, gt = generate_page(seed=seed)
    jpg, png = out_dir / f"{stem}.jpg", out_dir / f"{stem}-gt.png"
    Image.fromarray(image, mode="L").save(jpg, quality=85)
    Image.fromarray(np.where(gt == 0, 0, 255).astype(np.uint8), mode="L").save(png)
    return jpg, png


def generate(*, out_dir: Path, seeds: dict[str, int] | None = None) -> list[Path]:
    """Write each ``stem -> seed`` page (default PAGES) into ``out_dir``; the paths written."""
    paths: list[Path] = []
    for stem, seed in (PAGES if seeds is None else seeds).items():
        paths.extend(write_page(seed=seed, out_dir=out_dir, stem=stem))
    return paths


def write_bundled_pages(out_dir: Path) -> list[Path]:
    """Write the bundled pages ``img-001`` and ``img-002`` into ``out_dir``."""
    return generate(out_dir=out_dir, seeds=PAGES)


def patch_grid(height: int, width: int, *, h: int = 15, w: int = 15) -> tuple[int, int]:
    """(rows, cols) of the assignment's patch grid: ``y = 0, h, ...`` while ``y + h < height``."""
    return len(range(0, height - h, h)), len(range(0, width - w, w))


def patch_labels(gt: np.ndarray, *, h: int = 15, w: int = 15, thresh: float = 0.1) -> np.ndarray:
    """Patch labels exactly as the assignment computes them, as a flat uint8 array.

    Patches tile the page from the top-left with step h/w; the loops are
    ``while y + h < height`` / ``while x + w < width`` (strict: the last full
    patch touching the bottom/right edge is left out), y outer and x inner
    (row-major; ``reshape(patch_grid(...))`` gives the grid).  A patch is 1 when
    its share of ``gt == 0`` pixels is strictly greater than ``thresh``.
    """
    gt = np.asarray(gt)
    nr, nc = patch_grid(gt.shape[0], gt.shape[1], h=h, w=w)
    counts = (gt[:nr * h, :nc * w] == 0).reshape(nr, h, nc, w).sum(axis=(1, 3))
    return (counts / (h * w) > thresh).astype(np.uint8).ravel()


if __name__ == "__main__":  # python data/newspaper.py [OUT_DIR] (default: this folder)
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    target.mkdir(parents=True, exist_ok=True)
    for p in generate(out_dir=target):
        print(p)
