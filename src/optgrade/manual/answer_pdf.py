"""The PDF of one submission's written answers, each under its prompt, for the TAs (fpdf2 and the
DejaVu fonts that ship with matplotlib: nothing outside PyPI).
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .latex_text import _math_tree, _Unsupported, latex_to_unicode
from .markdown_blocks import Block, markdown_blocks, printable

if TYPE_CHECKING:
    from .scores import WrittenAnswer

_FONT_FILES = {("DejaVu", ""): "DejaVuSans.ttf", ("DejaVu", "B"): "DejaVuSans-Bold.ttf",
               ("DejaVu", "I"): "DejaVuSans-Oblique.ttf", ("DejaVu", "BI"): "DejaVuSans-BoldOblique.ttf",
               ("DejaVuMono", ""): "DejaVuSansMono.ttf"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # the creation date: same answers, same PDF bytes
_MAX_IMAGE_MATH = 300  # characters of one formula drawn by mathtext (a long one takes ~0.1 s)
_MAX_IMAGES = 30  # mathtext images per PDF; later display formulas are shown as Unicode
_MATH_DPI = 300
_INDENT = 5.0  # mm per list level
_LINE = 5.0  # mm per line of 10 pt text
_SHADE = (235, 235, 235)  # the background of a student's answer


def _font_paths() -> dict[tuple[str, str], Path]:
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {key: fonts / name for key, name in _FONT_FILES.items()}


@functools.lru_cache(maxsize=256)  # students copy the prompts' formulas: each is drawn once per run
def _mathtext_png(formula: str) -> tuple[bytes, int, int] | None:
    """A display formula drawn by matplotlib's mathtext: (PNG, width px, height px), or None."""
    try:
        _math_tree(formula)  # balanced braces, not nested too deeply
    except _Unsupported:
        return None
    try:
        import matplotlib
        import matplotlib.style
        from matplotlib.font_manager import FontProperties
        from matplotlib.mathtext import math_to_image
        from PIL import Image

        png = io.BytesIO()
        # display style, as in LaTeX and Jupyter: full-size fractions
        display = re.sub(r"\\[tc]?frac(?![A-Za-z])", r"\\dfrac", formula)
        # matplotlib's defaults, whatever the matplotlibrc says: the same PNG everywhere, and
        # never text.usetex, which would run LaTeX on the student's text
        with matplotlib.style.context("default"), matplotlib.rc_context({"text.usetex": False}), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. a glyph DejaVu does not have
            math_to_image(f"${display}$", png, prop=FontProperties(family="DejaVu Sans", size=11),
                          dpi=_MATH_DPI, format="png")
        with Image.open(io.BytesIO(png.getvalue())) as picture:
            width, height = picture.size
    except Exception:  # mathtext's parse errors, RecursionError, ...: show it as text instead
        return None
    return png.getvalue(), width, height


class _Renderer:
    """Draws markdown on an fpdf2 page between `left` and the right margin."""

    def __init__(self, pdf) -> None:
        self.pdf = pdf
        self.fonts: set[tuple[str, str]] = set()
        self.paths = _font_paths()
        self.images = 0

    def font(self, style: str, size: float) -> None:
        family, style = ("DejaVuMono", "") if style == "code" else ("DejaVu", style)
        if (family, style) not in self.fonts:  # only the faces used: loading one costs ~50 ms
            self.pdf.add_font(family, style, str(self.paths[family, style]))
            self.fonts.add((family, style))
        self.pdf.set_font(family, style, size)

    def plain(self, text: str, style: str = "", size: float = 10.0, align: str = "L") -> None:
        self.font(style, size)
        self.pdf.multi_cell(0, _LINE * size / 10, printable(text), align=align, new_x="LMARGIN", new_y="NEXT")

    def markdown(self, text: str, left: float) -> None:
        text = printable(text)
        try:
            blocks = markdown_blocks(text)
        except Exception:  # markdown-it does not fail on text, but a PDF must not depend on that
            blocks = [Block("text", [("", text)])]
        for index, block in enumerate(blocks):
            if index:
                self.pdf.ln(1.5)
            self.pdf.set_left_margin(left + block.indent * _INDENT)
            self.pdf.set_x(self.pdf.l_margin)
            try:
                self.block(block)
            except Exception:  # e.g. fpdf2 refusing a layout: show the piece as text
                self.pdf.set_left_margin(left)
                self.pdf.set_x(left)
                raw = block.source or "".join(text for _, text in block.runs)
                try:
                    self.plain(raw)
                except Exception:
                    self.plain("(this part of the text could not be shown)", "I")
        self.pdf.set_left_margin(left)

    def block(self, block: Block) -> None:
        pdf, height = self.pdf, _LINE * block.size / 10
        if block.bullet:
            self.font("", block.size)
            pdf.set_x(pdf.l_margin - _INDENT)
            pdf.write(height, block.bullet)
            pdf.set_x(max(pdf.get_x() + 1.5, pdf.l_margin))
        if block.kind == "text":
            runs = [(style, text) for style, text in block.runs if text]
            if runs:  # no space at the start (text after a $$ formula) or end of a paragraph
                runs[0] = (runs[0][0], runs[0][1].lstrip(" "))
                runs[-1] = (runs[-1][0], runs[-1][1].rstrip())
            for style, text in runs:
                self.font(style, block.size - (0.5 if style == "code" else 0))
                self.write(height, printable(text))
            pdf.ln(height)
        elif block.kind == "code":
            pdf.set_x(pdf.l_margin)
            self.plain(block.source or " ", "code", 9.0)
        elif block.kind == "math":
            self.display_math(block.source, block.label)
        elif block.kind == "rule":
            pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
            pdf.ln(2)

    def write(self, height: float, text: str) -> None:
        """`pdf.write`, which breaks a word that does not fit on the line a run starts on (it sees no
        space to break at): such a word starts the next line instead."""
        pdf = self.pdf
        word = re.match(r"\S+", text)
        if word and pdf.get_x() > pdf.l_margin + 0.01:
            room = pdf.w - pdf.r_margin - pdf.get_x() - 2 * pdf.c_margin
            if pdf.get_string_width(word.group()) > room:
                pdf.ln(height)
        pdf.write(height, text)

    def display_math(self, source: str, label: str) -> None:
        pdf = self.pdf
        formula = " ".join(source.split())
        label = f"   ({label})" if label else ""
        if pdf.get_x() > pdf.l_margin + 0.01:
            pdf.ln(_LINE)
        image = self.math_image(formula)
        if image is None:
            try:
                self.plain(latex_to_unicode(formula) + label, align="C")
            except _Unsupported:
                self.plain(f"$${source}$${label}")
            return
        png, width, height = image
        room = pdf.w - pdf.r_margin - pdf.l_margin
        if width > room:
            width, height = room, height * room / width
        pdf.ln(0.5)
        pdf.image(png, x=pdf.l_margin + (room - width) / 2, w=width, h=height)
        pdf.ln(0.5)
        if label:
            y = pdf.get_y()
            pdf.set_xy(pdf.l_margin, y - (height + _LINE) / 2)
            self.plain(label.strip(), align="R")
            pdf.set_y(y)

    def math_image(self, formula: str):
        """(PNG, width mm, height mm) of a formula drawn by mathtext, or None."""
        if not formula or len(formula) > _MAX_IMAGE_MATH or self.images >= _MAX_IMAGES:
            return None
        drawn = _mathtext_png(formula)
        if drawn is None:
            return None
        self.images += 1
        png, width, height = drawn
        return io.BytesIO(png), width / _MATH_DPI * 25.4, height / _MATH_DPI * 25.4

    def shade(self, start: tuple[int, float], end: tuple[int, float], left: float, right: float) -> None:
        """Grey behind what was drawn from `start` to `end` ((page, y) each): drawn afterwards, so it
        multiplies (white becomes grey, black stays black) instead of covering the text."""
        pdf = self.pdf
        current = pdf.page
        for page in range(start[0], end[0] + 1):
            top = start[1] if page == start[0] else pdf.t_margin
            bottom = end[1] if page == end[0] else pdf.page_break_trigger
            if bottom - top > 0.1:
                pdf.page = page
                with pdf.local_context(blend_mode="MULTIPLY", fill_color=_SHADE):
                    pdf.rect(left, top, right - left, bottom - top, style="F")
        pdf.page = current


def write_answer_pdf(*, path: Path, title: str, answers: list[WrittenAnswer]) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_creation_date(_EPOCH)  # also the seed of the file's /ID
    render = _Renderer(pdf)
    pdf.set_title(title)
    pdf.add_page()
    render.plain(title, "B", 14)
    total = sum(a.question.points for a in answers if a.question)
    render.plain(f"Written answers ({sum(1 for a in answers if a.question)} questions, {total:g} points). "
                 f"Written score: ______ / {total:g}")
    left, right = pdf.l_margin, pdf.w - pdf.r_margin
    for answer in answers:
        pdf.ln(4)
        label = (f"{answer.question.name} ({answer.question.points:g} points)   score: ____ / "
                 f"{answer.question.points:g}" if answer.question else "question not in the master")
        render.plain(label, "B", 11)
        render.markdown(answer.prompt, left)
        pdf.ln(1)
        start = (pdf.page, pdf.get_y())
        pdf.ln(1.5)
        pdf.set_right_margin(pdf.w - right + 2)
        if answer.answer:
            render.markdown(answer.answer, left + 2)
        else:
            pdf.set_x(left + 2)
            render.plain("(no answer)", "I")
        pdf.ln(1.5)
        pdf.set_right_margin(pdf.w - right)
        pdf.set_left_margin(left)
        render.shade(start, (pdf.page, pdf.get_y()), left, right)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
