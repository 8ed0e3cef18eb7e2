"""Escaping for GitHub-flavoured Markdown: prose, table cells, inline code and fenced blocks.

HTML escaping is not enough in Markdown (``*``, ``_``, ``[`` and backticks change the meaning) and
wrong inside code (``&lt;`` shows up literally there), so each context gets its own rule:

* prose: Markdown punctuation is backslash-escaped, ``<``/``>``/``&`` become entities (GitHub would
  otherwise pass HTML through its sanitizer), and backtick code spans are kept as code spans;
* table cells: the same, plus ``|`` escaped (GFM unescapes ``\\|`` inside code spans too) and no line
  breaks;
* inline code: delimited by a backtick run longer than any inside it;
* fenced blocks: a fence longer than any backtick run inside.
"""

from __future__ import annotations

import re

from codeopt.report.prose import spans

# Underscores inside a word never emphasise in GFM (snake_case stays readable); at a word edge they can.
_SPECIAL = re.compile(r"([\\`*\[\]#~|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_TICKS = re.compile(r"`+")


def text(value: str) -> str:
    """Plain text that renders as itself: punctuation escaped, HTML turned into entities."""
    escaped = _SPECIAL.sub(lambda m: "\\" + m.group(0), value)
    return "".join(_ENTITIES.get(c, c) for c in escaped)


def code(value: str, *, in_table: bool = False) -> str:
    """An inline code span holding ``value`` verbatim (whatever backticks it contains)."""
    value = " ".join(value.splitlines())
    longest = max((len(m) for m in _TICKS.findall(value)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    span = f"{ticks}{pad}{value}{pad}{ticks}"
    return span.replace("|", "\\|") if in_table else span


def inline(value: str, *, in_table: bool = False) -> str:
    """Prose whose backtick spans stay code and whose other text is escaped."""
    out = []
    for span in spans(value):
        if span.code:
            out.append(code(span.text, in_table=in_table))
        else:
            out.append(text(" ".join(span.text.splitlines()) if in_table else span.text))
    return "".join(out)


def cell(value: object) -> str:
    """A table cell: prose rules, ``|`` escaped, one line."""
    return inline(str(value), in_table=True)


def fence(value: str, lang: str = "") -> str:
    """A fenced code block that no backtick run inside ``value`` can close early."""
    longest = max((len(m) for m in _TICKS.findall(value)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{value.rstrip(chr(10))}\n{ticks}"
