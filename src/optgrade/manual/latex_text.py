"""LaTeX formulas as Unicode text, for the written-answer PDFs: `\\sigma(x) \\to 0` -> `σ(x) → 0`.

Cheap, searchable and in the PDF's own font. Anything it does not handle (an unknown command such
as `\\input`, unbalanced braces, a formula too long or too deep) raises `_Unsupported`, and the
caller shows the formula as the student typed it.
"""

from __future__ import annotations

import re
import unicodedata

_MAX_INLINE_MATH = 1000  # characters of one formula converted to Unicode
_MAX_BRACES = 10  # nesting depth of {} in a formula


class _Unsupported(Exception):
    """LaTeX the Unicode conversion does not handle: the formula is shown as typed."""


_GREEK = {name: chr(code) for name, code in (
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3F5),
    ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("vartheta", 0x3D1),
    ("iota", 0x3B9), ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE),
    ("omicron", 0x3BF), ("pi", 0x3C0), ("varpi", 0x3D6), ("rho", 0x3C1), ("varrho", 0x3F1),
    ("sigma", 0x3C3), ("varsigma", 0x3C2), ("tau", 0x3C4), ("upsilon", 0x3C5), ("phi", 0x3D5),
    ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393),
    ("Delta", 0x394), ("Theta", 0x398), ("Lambda", 0x39B), ("Xi", 0x39E), ("Pi", 0x3A0), ("Sigma", 0x3A3),
    ("Upsilon", 0x3A5), ("Phi", 0x3A6), ("Psi", 0x3A8), ("Omega", 0x3A9))}
_ORDINARY = {**_GREEK, "infty": "∞", "nabla": "∇", "partial": "∂", "ell": "ℓ", "hbar": "ħ", "emptyset": "∅",
             "varnothing": "∅", "forall": "∀", "exists": "∃", "neg": "¬", "lnot": "¬", "prime": "′",
             "ldots": "…", "dots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱", "angle": "∠",
             "triangle": "△", "star": "⋆", "dagger": "†", "top": "⊤", "bot": "⊥", "langle": "⟨",
             "rangle": "⟩", "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋", "vert": "|",
             "lvert": "|", "rvert": "|", "Vert": "‖", "lVert": "‖", "rVert": "‖", "|": "‖", "{": "{", "}": "}",
             "%": "%", "$": "$", "#": "#", "&": "&", "_": "_", "Re": "ℜ", "Im": "ℑ", "aleph": "ℵ",
             "checkmark": "✓", "square": "□", "Box": "□", "lbrace": "{", "rbrace": "}", "backslash": "\\"}
_RELATIONS = {"to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "Rightarrow": "⇒",
              "Leftarrow": "⇐", "Leftrightarrow": "⇔", "leftrightarrow": "↔", "implies": "⟹",
              "impliedby": "⟸", "iff": "⟺", "mapsto": "↦", "longrightarrow": "⟶", "longleftarrow": "⟵",
              "uparrow": "↑", "downarrow": "↓", "leq": "≤", "le": "≤", "leqslant": "≤", "geq": "≥", "ge": "≥",
              "geqslant": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "∼", "simeq": "≃", "cong": "≅",
              "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫", "in": "∈", "notin": "∉", "ni": "∋",
              "subset": "⊂", "subseteq": "⊆", "supset": "⊃", "supseteq": "⊇", "mid": "∣", "parallel": "∥",
              "perp": "⊥", "coloneqq": "≔", "models": "⊨", "vdash": "⊢", "doteq": "≐", "triangleq": "≜"}
_BINARY = {"cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "circ": "∘", "bullet": "∙",
           "ast": "∗", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "ominus": "⊖", "cup": "∪", "cap": "∩",
           "setminus": "∖", "land": "∧", "wedge": "∧", "lor": "∨", "vee": "∨", "bmod": "mod"}
_FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
              "log", "ln", "lg", "exp", "max", "min", "sup", "inf", "lim", "liminf", "limsup", "arg", "det",
              "dim", "ker", "deg", "gcd", "Pr", "hom"}
_OPERATORS = {"sum": "∑", "prod": "∏", "int": "∫", "iint": "∬", "oint": "∮", "bigcup": "⋃", "bigcap": "⋂"}
_SPACES = {",": " ", ";": " ", ":": " ", " ": " ", "!": "", "quad": "  ", "qquad": "   ", "enspace": " ",
           "thinspace": " "}
_IGNORED = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
            "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "nonumber", "middle"}
_TEXT_COMMANDS = {"text", "textrm", "textit", "textbf", "textsf", "texttt", "textnormal", "mbox"}
_STYLE_COMMANDS = {"mathrm", "mathit", "mathbf", "mathsf", "mathtt", "mathnormal", "boldsymbol", "bm",
                   "mathfrak"}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305", "tilde": "\u0303",
            "widetilde": "\u0303", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308", "check": "\u030c",
            "breve": "\u0306", "acute": "\u0301", "grave": "\u0300", "underline": "\u0332"}
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}
_CALLIGRAPHIC = {"L": "ℒ", "B": "ℬ", "E": "ℰ", "F": "ℱ", "H": "ℋ", "I": "ℐ", "M": "ℳ", "R": "ℛ"}
_SUPERSCRIPTS = dict(zip("0123456789+-=()niabcdefghjklmoprstuvwxyzABDEGHIJKLMNOPRTUVW⊤′*,. ",
                         "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵀ′*,. "))
_SUBSCRIPTS = dict(zip("0123456789+-=()aehijklmnoprstuvxβγρφχ,. ", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ,. "))
_MATH_TOKEN = re.compile(r"\\([A-Za-z]+)|\\(.)|(\s+)|(.)", re.DOTALL)
_SPACE = ("sp", " ")
# command -> (kind, text); where two tables name the same command, the one listed first wins
_SYMBOLS = {command: (kind, text) for kind, table in reversed([
    ("ord", _ORDINARY), ("rel", _RELATIONS), ("bin", _BINARY), ("op", {f: f for f in _FUNCTIONS}),
    ("op", _OPERATORS), ("space", _SPACES)]) for command, text in table.items()}


def _math_tree(source: str) -> list:
    """The formula as nested lists (one per `{...}`) of ("cmd", name), ("chr", c) and spaces."""
    root: list = []
    stack = [root]
    for match in _MATH_TOKEN.finditer(source):
        name, escaped, space, char = match.groups()
        if name or escaped is not None:
            stack[-1].append(("cmd", name or escaped))
        elif space:
            stack[-1].append(_SPACE)
        elif char == "{":
            if len(stack) > _MAX_BRACES:
                raise _Unsupported("braces nested too deeply")
            stack[-1].append([])
            stack.append(stack[-1][-1])
        elif char == "}":
            if len(stack) == 1:
                raise _Unsupported("a } without its {")
            stack.pop()
        else:
            stack[-1].append(("chr", char))
    if len(stack) != 1:
        raise _Unsupported("a { without its }")
    return root


def _math_pieces(items: list, text_mode: bool = False) -> list[tuple[str, str]]:
    """(kind, text) for a list of formula items; kind says how `_join_math` spaces it: "ord" (letters,
    digits, brackets), "rel" and "bin" (spaced on both sides), "punct" (a space after), "op" (a
    function name or big operator with its limits: a space before a letter), "space"."""
    pieces: list[tuple[str, str]] = []
    position = 0

    def argument() -> list:
        nonlocal position
        while position < len(items) and items[position] == _SPACE:
            position += 1
        if position >= len(items):
            raise _Unsupported("a command without its argument")
        position += 1
        item = items[position - 1]
        return item if isinstance(item, list) else [item]

    def string(group: list, text: bool = False) -> str:
        pieces = _math_pieces(group, text)
        return "".join(value for _, value in pieces) if text else _join_math(pieces)

    def script(table: dict[str, str], mark: str) -> None:
        body = "".join(text for _, text in _math_pieces(argument())).replace(" ", "")
        if body and all(ch in table for ch in body):
            body = "".join(table[ch] for ch in body)
        else:
            body = f"{mark}{body}" if len(body) == 1 else f"{mark}({body})"
        if pieces and pieces[-1][0] == "op":  # \sum_{i=1}^n x: the limits stay with the operator
            pieces[-1] = ("op", pieces[-1][1] + body)
        else:
            pieces.append(("ord", body))

    while position < len(items):
        item = items[position]
        position += 1
        if isinstance(item, list):
            pieces.extend(_math_pieces(item, text_mode))
            continue
        kind, value = item
        if kind == "sp":
            if text_mode:
                pieces.append(("ord", " "))
        elif kind == "chr":
            if text_mode:
                pieces.append(("ord", value))
            elif value == "^":
                script(_SUPERSCRIPTS, "^")
            elif value == "_":
                script(_SUBSCRIPTS, "_")
            elif value in "=<>":
                pieces.append(("rel", value))
            elif value in ",;":
                pieces.append(("punct", value))
            elif value in "+-":  # binary, unless it is a sign: -0.95, [-1, 2], x = -y
                unary = (not pieces or pieces[-1][0] in ("rel", "bin", "punct", "op", "space")
                         or pieces[-1][1][-1:] in ("(", "[", "{"))
                pieces.append(("ord" if unary else "bin", value))
            elif value == "'":
                pieces.append(("ord", "′"))
            elif value in "~&":
                pieces.append(("space", " "))
            elif value in "$#":
                raise _Unsupported(f"{value} in a formula")
            else:
                pieces.append(("ord", value))
        elif value in _SYMBOLS:
            pieces.append(_SYMBOLS[value])
        elif value in _IGNORED:
            if value in ("left", "right", "middle") and position < len(items) and items[position] == ("chr", "."):
                position += 1  # \left. is an invisible delimiter
        elif value in ("frac", "dfrac", "tfrac", "cfrac"):
            parts = [string(argument()) for _ in range(2)]
            simple = [part if len(part) <= 1 or re.fullmatch(r"[\w.′∂∇]+", part) else f"({part})"
                      for part in parts]
            pieces.append(("ord", "/".join(simple)))
        elif value == "sqrt":
            root = ""
            if position < len(items) and items[position] == ("chr", "["):
                end = next((i for i in range(position, len(items)) if items[i] == ("chr", "]")), None)
                if end is None:
                    raise _Unsupported("\\sqrt[ without ]")
                root, position = string(items[position + 1:end]), end + 1
            body = string(argument())
            sign = {"": "√", "2": "√", "3": "∛", "4": "∜"}.get(root)
            if sign is None:
                sign = ("".join(_SUPERSCRIPTS[ch] for ch in root) if all(ch in _SUPERSCRIPTS for ch in root)
                        else f"({root})") + "√"
            pieces.append(("ord", sign + (body if len(body) <= 1 or body.isalnum() else f"({body})")))
        elif value in _TEXT_COMMANDS:
            pieces.append(("ord", string(argument(), text=True)))
        elif value in _STYLE_COMMANDS:
            pieces.extend(_math_pieces(argument(), text_mode))
        elif value == "operatorname":
            pieces.append(("op", string(argument(), text=True)))
        elif value in ("mathbb", "mathcal", "mathscr"):
            table = _BLACKBOARD if value == "mathbb" else _CALLIGRAPHIC
            pieces.append(("ord", "".join(table.get(ch, ch) for ch in string(argument()))))
        elif value in _ACCENTS:
            pieces.append(("ord", "".join(ch + _ACCENTS[value] for ch in string(argument()).replace(" ", ""))))
        else:  # \input, \begin, \\, ...: not something to guess at
            raise _Unsupported(f"\\{value}")
    return pieces


def _join_math(pieces: list[tuple[str, str]]) -> str:
    text, after_op = "", False
    for kind, value in pieces:
        if kind in ("rel", "bin"):
            text = f"{text.rstrip(' ')} {value} "
        elif kind == "punct":
            text = f"{text.rstrip(' ')}{value} "
        else:
            if after_op and value[:1].isalnum():
                text += " "
            text += value
        after_op = kind == "op"
    return re.sub(" {4,}", "   ", text).strip(" ")


def latex_to_unicode(source: str) -> str:
    """A LaTeX formula as Unicode text (`\\sigma(x) \\to 0` -> `σ(x) → 0`, `\\theta_0` -> `θ₀`,
    `\\frac{\\partial L}{\\partial w}` -> `∂L/∂w`); raises _Unsupported for anything else."""
    if len(source) > _MAX_INLINE_MATH:
        raise _Unsupported("too long")
    # NFC: ŷ as one character, which fpdf2 places better than y and a combining hat
    return unicodedata.normalize("NFC", _join_math(_math_pieces(_math_tree(source))))
