r"""Markdown of prompts and answers as blocks a PDF can lay out (answer_pdf.py draws them).

Prompts and answers are Jupyter markdown. markdown-it (CommonMark, as Jupyter; raw HTML is shown as
text) with its dollarmath plugin splits them into paragraphs, headings, lists, code and math, so a `$`
inside code stays a dollar and an unpaired `$` stays text. Inline math becomes Unicode text in the
PDF's own font (`$\sigma(x) \to 0$` -> `σ(x) → 0`): cheap, searchable, no images. Display math
(`$$...$$`) is drawn by matplotlib's mathtext (no LaTeX, no process), else shown as Unicode. Answers
are untrusted: whatever cannot be converted (an unknown command such as `\input`, unbalanced braces,
a formula too long or too deep) is shown as the student typed it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .latex_text import _Unsupported, latex_to_unicode
from ..safetext import clean_text

_MAX_INDENT = 6  # list and quote levels that still indent


def printable(text: str) -> str:
    """Text fpdf2 can lay out: tabs as spaces, no control characters (a stray \\x00 breaks the PDF)."""
    text = clean_text(text).replace("\t", "    ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")


@dataclass
class Block:
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


def markdown_blocks(markdown: str) -> list[Block]:
    """The blocks of a markdown text, in order, for `_Renderer`; its paragraphs as typed when
    markdown-it would leave some of it out."""
    tokens = _markdown_parser().parse(markdown)
    if _loses_lines(tokens, markdown):
        return [Block("text", [("", part.strip())]) for part in re.split(r"\n\s*\n", markdown) if part.strip()]
    blocks: list[Block] = []
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
            current = Block("text", [], indent, bullet, size)
            for style, text in runs:
                if style == "display":
                    blocks.append(current)
                    blocks.append(Block("math", indent=indent, source=text))
                    current = Block("text", [], indent, "", size)
                elif current.runs and current.runs[-1][0] == style:  # fewer, longer runs: faster to lay out
                    current.runs[-1] = (style, current.runs[-1][1] + text)
                else:
                    current.runs.append((style, text))
            blocks.append(current)
            bullet = ""
        elif kind in ("fence", "code_block"):
            blocks.append(Block("code", indent=indent, bullet=bullet, source=token.content.rstrip("\n")))
            bullet = ""
        elif kind in ("math_block", "math_block_label"):
            blocks.append(Block("math", indent=indent, source=token.content,
                                 label=token.info if kind == "math_block_label" else ""))
        elif kind == "hr":
            blocks.append(Block("rule", indent=indent))
        elif kind == "html_block":
            blocks.append(Block("text", [("", token.content.strip())], indent))
    return [b for b in blocks if b.kind != "text" or b.bullet or "".join(t for _, t in b.runs).strip()]
