"""The PDF of one submission's written answers, each under its prompt, for the TAs (fpdf2 and the
DejaVu fonts that ship with matplotlib: nothing outside PyPI).
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .latex_text import _math_tree, _Unsupported, latex_to_unicode
from .safetext import clean_text

if TYPE_CHECKING:
    from .manual import WrittenAnswer


# ---- markdown and math in the PDFs ---------------------------------------------------------------
#
# Prompts and answers are Jupyter markdown. markdown-it (CommonMark, as Jupyter; raw HTML is shown as
# text) with its dollarmath plugin splits them into paragraphs, headings, lists, code and math, so a `$`
# inside code stays a dollar and an unpaired `$` stays text. Inline math becomes Unicode text in the
# PDF's own font (`$\sigma(x) \to 0$` -> `σ(x) → 0`): cheap, searchable, no images. Display math
# (`$$...$$`) is drawn by matplotlib's mathtext (no LaTeX, no process), else shown as Unicode. Answers
# are untrusted: whatever cannot be converted (an unknown command such as `\input`, unbalanced braces,
# a formula too long or too deep) is shown as the student typed it.

_FONT_FILES = {("DejaVu", ""): "DejaVuSans.ttf", ("DejaVu", "B"): "DejaVuSans-Bold.ttf",
               ("DejaVu", "I"): "DejaVuSans-Oblique.ttf", ("DejaVu", "BI"): "DejaVuSans-BoldOblique.ttf",
               ("DejaVuMono", ""): "DejaVuSansMono.ttf"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # the creation date: same answers, same PDF bytes
_MAX_IMAGE_MATH = 300  # characters of one formula drawn by mathtext (a long one takes ~0.1 s)
_MAX_IMAGES = 30  # mathtext images per PDF; later display formulas are shown as Unicode
_MAX_INDENT = 6  # list and quote levels that still indent
_MATH_DPI = 300
_INDENT = 5.0  # mm per list level
_LINE = 5.0  # mm per line of 10 pt text
_SHADE = (235, 235, 235)  # the background of a student's answer


def _font_paths() -> dict[tuple[str, str], Path]:
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {key: fonts / name for key, name in _FONT_FILES.items()}


def _printable(text: str) -> str:
    """Text fpdf2 can lay out: tabs as spaces, no control characters (a stray \\x00 breaks the PDF)."""
    text = clean_text(text).replace("\t", "    ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")


@dataclass
class _Block:
    kind: str  # "text", "code", "math" or "rule"
    runs: list[tuple[str, str]] = field(default_factory=list)  # (style, text); style "", "B", "I", "BI", "code"
    indent: int = 0  # list and quote levels
    bullet: str = ""  # "•" or "3." before the first paragraph of a list item
    size: float = 10.0  # points (headings are larger)
    source: str = ""  # a code block's text or a display formula
    label: str = ""  # a display formula's label: $$ x $$ (1)


_PARSER = None


def _markdown_parser():
    global _PARSER
    if _PARSER is None:
        from markdown_it import MarkdownIt
        from mdit_py_plugins.dollarmath import dollarmath_plugin

        # allow_space: `$ x $` is math in Jupyter too; allow_digits=False: "$5 and $10" stays prose.
        _PARSER = MarkdownIt("commonmark", {"html": False}).use(
            dollarmath_plugin, allow_space=True, allow_digits=False, double_inline=True)
    return _PARSER


def _inline_math(source: str) -> str:
    try:
        return latex_to_unicode(source)
    except _Unsupported:
        return f"${source}$"


def _inline_runs(children: list) -> list[tuple[str, str]]:
    """(style, text) runs of a paragraph; ("display", formula) for a `$$...$$` inside it."""
    runs: list[tuple[str, str]] = []
    bold = italic = 0
    links: list[tuple[str, int]] = []
    for token in children:
        style = ("B" if bold else "") + ("I" if italic else "")
        kind = token.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold = max(0, bold - 1)
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic = max(0, italic - 1)
        elif kind == "softbreak":
            runs.append((style, " "))
        elif kind == "hardbreak":
            runs.append((style, "\n"))
        elif kind == "code_inline":
            runs.append(("code", token.content))
        elif kind == "math_inline":
            runs.append((style, _inline_math(token.content)))
        elif kind == "math_inline_double":
            runs.append(("display", token.content))
        elif kind == "link_open":
            links.append((str(token.attrGet("href") or ""), len(runs)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            if href and href != "".join(text for _, text in runs[start:]):
                runs.append((style, f" ({href})"))
        elif kind == "image":
            runs.append((style + ("" if italic else "I"), f"[image: {token.content}]"))
        elif token.content:
            runs.append((style, token.content))
    return runs


_LEAVES = {"paragraph_open", "heading_open", "fence", "code_block", "math_block", "math_block_label", "hr",
           "html_block"}
_REFERENCE = re.compile(r" {0,3}\[[^\]]+\]:")  # `[id]: url` defines a link and makes no block


def _loses_lines(tokens: list, markdown: str) -> bool:
    """Whether some line with text is in no block: markdown-it drops everything after lists or quotes
    nested deeper than its limit (20 levels) rather than recurse on."""
    covered: set[int] = set()
    for token in tokens:
        if token.type in _LEAVES and token.map:
            covered.update(range(*token.map))
    return any(number not in covered and re.search(r"\w", line) and not _REFERENCE.match(line)
               for number, line in enumerate(markdown.split("\n")))


def _blocks(markdown: str) -> list[_Block]:
    """The blocks of a markdown text, in order, for `_Renderer`; its paragraphs as typed when
    markdown-it would leave some of it out."""
    tokens = _markdown_parser().parse(markdown)
    if _loses_lines(tokens, markdown):
        return [_Block("text", [("", part.strip())]) for part in re.split(r"\n\s*\n", markdown) if part.strip()]
    blocks: list[_Block] = []
    lists: list[int | None] = []  # the open lists: None for bullets, else the next number
    quotes = heading = 0
    bullet = ""
    for token in tokens:
        kind = token.type
        indent = min(len(lists) + quotes, _MAX_INDENT)
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append(None if kind == "bullet_list_open" else 1)
        elif kind in ("bullet_list_close", "ordered_list_close") and lists:
            lists.pop()
        elif kind == "list_item_open":
            bullet = "•" if not lists or lists[-1] is None else f"{token.info or lists[-1]}{token.markup}"
        elif kind == "blockquote_open":
            quotes += 1
        elif kind == "blockquote_close":
            quotes = max(0, quotes - 1)
        elif kind == "heading_open":
            heading = int(token.tag[1:]) if token.tag[1:].isdigit() else 6
        elif kind == "heading_close":
            heading = 0
        elif kind == "inline":
            runs = _inline_runs(token.children or [])
            size = {1: 13.0, 2: 12.0, 3: 11.0}.get(heading, 10.0)
            if heading:
                runs = [(s if s in ("code", "display") or "B" in s else "B" + s, t) for s, t in runs]
            current = _Block("text", [], indent, bullet, size)
            for style, text in runs:
                if style == "display":
                    blocks.append(current)
                    blocks.append(_Block("math", indent=indent, source=text))
                    current = _Block("text", [], indent, "", size)
                elif current.runs and current.runs[-1][0] == style:  # fewer, longer runs: faster to lay out
                    current.runs[-1] = (style, current.runs[-1][1] + text)
                else:
                    current.runs.append((style, text))
            blocks.append(current)
            bullet = ""
        elif kind in ("fence", "code_block"):
            blocks.append(_Block("code", indent=indent, bullet=bullet, source=token.content.rstrip("\n")))
            bullet = ""
        elif kind in ("math_block", "math_block_label"):
            blocks.append(_Block("math", indent=indent, source=token.content,
                                 label=token.info if kind == "math_block_label" else ""))
        elif kind == "hr":
            blocks.append(_Block("rule", indent=indent))
        elif kind == "html_block":
            blocks.append(_Block("text", [("", token.content.strip())], indent))
    return [b for b in blocks if b.kind != "text" or b.bullet or "".join(t for _, t in b.runs).strip()]


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
        self.pdf.multi_cell(0, _LINE * size / 10, _printable(text), align=align, new_x="LMARGIN", new_y="NEXT")

    def markdown(self, text: str, left: float) -> None:
        text = _printable(text)
        try:
            blocks = _blocks(text)
        except Exception:  # markdown-it does not fail on text, but a PDF must not depend on that
            blocks = [_Block("text", [("", text)])]
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

    def block(self, block: _Block) -> None:
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
                self.write(height, _printable(text))
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
