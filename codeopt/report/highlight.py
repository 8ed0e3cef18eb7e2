"""Server-side syntax highlighting with :mod:`tokenize`: escaped HTML lines, no dependency.

The HTML report must not load anything, so there is no client-side highlighter; and pygments would
be a large dependency for a few excerpts. The tokenizer already knows keywords, strings, comments and
numbers, which is all an excerpt needs. Text that does not tokenize (newer syntax, a broken file)
stays plain from the first error on.
"""

from __future__ import annotations

import io
import keyword
import token
import tokenize

from markupsafe import Markup, escape

# f-strings are one STRING token before Python 3.12, three kinds of token from 3.12 on
_STRINGS = frozenset(
    getattr(token, name)
    for name in ("STRING", "FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
    if hasattr(token, name)
)
_DEFINERS = frozenset({"def", "class"})

Segment = tuple[int, int, str]  # start column, end column, css class


def split_lines(text: str) -> list[str]:
    """Lines as the parser counts them: ``\\n``, ``\\r\\n`` and ``\\r`` end a line, nothing else."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _segments(lines: list[str], last: int) -> dict[int, list[Segment]]:
    """Classed column ranges per 1-based line, for lines up to ``last``."""
    found: dict[int, list[Segment]] = {}
    readline = io.StringIO("\n".join(lines[:last]) + "\n").readline
    previous = ""
    try:
        for tok in tokenize.generate_tokens(readline):
            css = _css(tok, previous)
            if tok.type not in (token.NL, token.NEWLINE, token.INDENT, token.DEDENT, token.COMMENT):
                previous = tok.string
            if not css:
                continue
            (row, col), (end_row, end_col) = tok.start, tok.end
            for line in range(row, end_row + 1):
                start = col if line == row else 0
                end = end_col if line == end_row else len(lines[line - 1])
                if end > start:
                    found.setdefault(line, []).append((start, end, css))
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _css(tok: tokenize.TokenInfo, previous: str) -> str:
    if tok.type == token.NAME:
        if keyword.iskeyword(tok.string):
            return "kw"
        return "fn" if previous in _DEFINERS else ""
    if tok.type in _STRINGS:
        return "st"
    if tok.type == token.COMMENT:
        return "cm"
    if tok.type == token.NUMBER:
        return "nu"
    return ""


def highlight(lines: list[str], last: int) -> list[Markup]:
    """Escaped HTML for lines ``1..last`` (index 0 is line 1), keywords, strings, comments marked."""
    last = min(last, len(lines))
    segments = _segments(lines, last)
    out: list[Markup] = []
    for number in range(1, last + 1):
        line = lines[number - 1]
        parts: list[str] = []
        pos = 0
        for start, end, css in sorted(segments.get(number, ())):
            if start < pos:
                continue
            parts.append(str(escape(line[pos:start])))
            parts.append(f'<span class="{css}">{escape(line[start:end])}</span>')
            pos = end
        parts.append(str(escape(line[pos:])))
        out.append(Markup("".join(parts)))
    return out
