"""Exact text of a unit in its new file: the original lines with a few positioned edits.

Units are copied as the lines they occupy in the original (comments above them, decorators, docstrings,
formatting). The only changes are edits at positions the ``ast`` scan located: a ``Name`` replaced by
``module.name``, the dots of a relative import, a ``global`` statement trimmed, an import inserted at the
top of a function body. Nothing is searched and replaced as text, so strings and docstrings keep every
name they mention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from codeopt.errors import TransformError

_FROM_DOTS = re.compile(r"from\s*(\.+)")


@dataclass(frozen=True)
class Edit:
    """Replace ``[start, end)`` (character columns) of ``line`` (1-based) with ``text``."""

    line: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Insert:
    """Whole lines inserted before ``line`` (1-based); ``text`` ends with a newline."""

    line: int
    text: str


def char_col(line_text: str, byte_col: int) -> int:
    """ast columns are UTF-8 byte offsets; edits work on characters."""
    return len(line_text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def relative_dots_edit(lines: Sequence[str], line: int, col: int, level: int, shift: int) -> Edit:
    """Edit moving a relative ``from`` import ``shift`` packages deeper (more leading dots)."""
    text = lines[line - 1]
    start = char_col(text, col)
    match = _FROM_DOTS.match(text, start)
    if match is None or len(match.group(1)) != level:
        raise TransformError(f"line {line}: cannot locate the dots of a relative import to adjust them")
    return Edit(line, match.start(1), match.end(1), "." * (level + shift))


def render_lines(
    lines: Sequence[str], first: int, last: int, edits: Iterable[Edit] = (), inserts: Iterable[Insert] = ()
) -> str:
    """Lines ``first..last`` (1-based, inclusive) with the edits applied; always ends with a newline."""
    by_line: dict[int, list[Edit]] = {}
    for edit in edits:
        by_line.setdefault(edit.line, []).append(edit)
    before: dict[int, list[str]] = {}
    for insert in inserts:
        before.setdefault(insert.line, []).append(insert.text)
    out: list[str] = []
    for number in range(first, last + 1):
        out.extend(sorted(set(before.get(number, ()))))
        text = lines[number - 1]
        for edit in sorted(by_line.get(number, ()), key=lambda e: (e.start, e.end), reverse=True):
            text = text[: edit.start] + edit.text + text[edit.end :]
        out.append(text)
    rendered = "".join(out)
    return rendered if rendered.endswith("\n") else rendered + "\n"


def global_edit(lines: Sequence[str], line: int, col: int, end_col: int, keep: Sequence[str]) -> Edit:
    """Trim a ``global`` statement to the names that stay globals of this file (drop it if none stay)."""
    text = lines[line - 1]
    start, end = char_col(text, col), char_col(text, end_col)
    if not keep and not text[:start].strip() and not text[end:].strip():
        return Edit(line, 0, len(text), "")  # the statement was alone on its line: drop the line
    replacement = f"global {', '.join(keep)}" if keep else "pass"
    return Edit(line, start, end, replacement)


def join_blocks(blocks: Iterable[str], separator: str = "\n\n") -> str:
    """Blocks of top-level code separated by two blank lines; ends with exactly one newline."""
    parts = [block.strip("\n") for block in blocks if block.strip()]
    return (("\n" + separator).join(parts) + "\n") if parts else ""


def import_line(level_dots: str, module: str, names: Sequence[tuple[str, str | None]]) -> str:
    """``from <dots><module> import a, b as c`` (parenthesised over several lines when long)."""
    rendered = [f"{name} as {alias}" if alias and alias != name else name for name, alias in names]
    head = f"from {level_dots}{module} import "
    single = head + ", ".join(rendered)
    if len(single) <= 100:
        return single + "\n"
    body = "".join(f"    {item},\n" for item in rendered)
    return f"{head}(\n{body})\n"
