"""Proposal text as prose and code blocks, and prose as text and inline-code spans.

Rules write proposals as plain text in which lines indented by four or more spaces (or a tab) are
code and backticks mark inline code (see the rules' ``_proposal`` helpers). The HTML and Markdown
reports both need that structure, so it is parsed once here instead of in each template.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

# A run of N backticks, content, and a run of exactly N backticks (CommonMark code spans).
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Block:
    """``kind`` is ``"text"`` (lines of prose) or ``"code"`` (dedented, layout kept)."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Span:
    code: bool
    text: str


def _is_code(line: str) -> bool:
    return line.startswith(("    ", "\t"))


def blocks(text: str) -> list[Block]:
    """Consecutive code lines (blank lines between them included) form one code block."""
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if _is_code(lines[i]):
            j = i
            while j < len(lines) and (_is_code(lines[j]) or (not lines[j].strip() and _more_code(lines, j))):
                j += 1
            out.append(Block("code", textwrap.dedent("\n".join(lines[i:j]))))
            i = j
            continue
        j = i
        while j < len(lines) and not _is_code(lines[j]):
            j += 1
        prose = "\n".join(line for line in lines[i:j]).strip("\n")
        if prose.strip():
            out.append(Block("text", prose))
        i = j
    return out


def _more_code(lines: list[str], at: int) -> bool:
    """A blank line belongs to the code block when more code follows it before any prose."""
    for line in lines[at + 1 :]:
        if line.strip():
            return _is_code(line)
    return False


def spans(text: str) -> list[Span]:
    """Prose split into plain text and inline code (the content between matching backtick runs)."""
    out: list[Span] = []
    pos = 0
    for match in _CODE_SPAN.finditer(text):
        if match.start() > pos:
            out.append(Span(False, text[pos : match.start()]))
        content = match.group(2)
        if len(content) > 2 and content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        out.append(Span(True, content))
        pos = match.end()
    if pos < len(text):
        out.append(Span(False, text[pos:]))
    return out
