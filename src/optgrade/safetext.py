"""Names are data, not markup: text from submissions made safe for terminals, text files and spreadsheets.

File names (and anything derived from them) are chosen by students. Before they reach a person:

- `clean_line`: one line of text (a name, a CSV cell, a line on stdout/stderr). Every control
  character (C0 including tab and newline, DEL, C1), the Unicode line/paragraph separators and the
  bidirectional overrides become `?`, as `ls` shows them: nothing can move the cursor, recolour the
  terminal or reorder what is shown.
- `clean_text`: several lines (feedback, PDF text): the same, but newlines and tabs are kept,
  CR LF / lone CR become a newline and ANSI escape sequences are dropped.
- `write_csv`: the one CSV writer. Text cells are cleaned and, following OWASP's advice on CSV
  injection, a cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, so a spreadsheet
  shows it as text instead of running it as a formula. Cells that are plain numbers (our scores, a
  `-2.5`) stay numbers.
- `restore` undoes that quote when we read our own CSVs back; `match_key` finds the key a cell of a
  human-written file (mapping, score sheet) means: the quoted form, the raw name or the raw name
  with control characters all match.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "?"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_QUOTED = re.compile("'+[=+\\-@\t\r]")


def clean_line(text: object) -> str:
    """One line of `text` with every control character replaced by `?`."""
    return _CONTROL.sub(REPLACEMENT, str(text))


def clean_text(text: object) -> str:
    """Multi-line `text` with newlines and tabs kept, escape sequences dropped, other controls `?`."""
    text = _ANSI.sub("", str(text).replace("\r\n", "\n")).replace("\r", "\n")
    return _CONTROL_KEEP_LINES.sub(REPLACEMENT, text)


def is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text))


def neutralise(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: formula-like cells (and cells that already start with
    quotes followed by a formula character, so that `restore` is exact) get one more leading `'`."""
    if is_number(text):
        return text
    return "'" + text if text.startswith(FORMULA_START) or _QUOTED.match(text) else text


def restore(cell: str) -> str:
    """The text `neutralise` was given (a cell of one of our own CSVs, read back)."""
    return cell[1:] if _QUOTED.match(cell) else cell


def csv_cell(value: object) -> object:
    """What `write_csv` writes for `value`: numbers as they are, text cleaned and neutralised."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return neutralise(clean_line("" if value is None else value))


def match_key(cell: str, known: Iterable[str]) -> str:
    """The key in `known` that a human-written cell means (its quoted form as we wrote it, or the raw
    name, even with its control characters); the restored, cleaned cell when none matches."""
    known = known if isinstance(known, (set, frozenset, dict)) else set(known)
    text = clean_line(cell.strip())
    for candidate in (restore(text), text):
        if candidate in known:
            return candidate
    return restore(text)


def write_csv(path: Path, rows: Iterable[Sequence[object]] | Iterable[Mapping[str, object]],
              fieldnames: Sequence[str] | None = None) -> None:
    """Write `rows` (lists, or dicts with `fieldnames`) to `path`, every cell through `csv_cell`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        if fieldnames is not None:
            writer.writerow([csv_cell(name) for name in fieldnames])
            rows = ([row.get(name, "") for name in fieldnames] for row in rows)  # type: ignore[union-attr]
        writer.writerows([csv_cell(value) for value in row] for row in rows)
