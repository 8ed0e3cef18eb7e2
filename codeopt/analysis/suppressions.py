"""Inline suppressions: ``# codeopt: ignore[CO101, CO202]`` on a line, ``# codeopt: ignore`` for all
rules on that line, and ``# codeopt: ignore-file[CO101]`` anywhere for the whole file.

Found with a cheap text scan (no tokenize pass): a file without the marker costs one substring test.
"""

from __future__ import annotations

import re

_MARK = re.compile(r"#\s*codeopt:\s*(ignore-file|ignore)\b(?:\[([A-Za-z0-9_,\s-]*)\])?")

FILE_LINE = 0  # the line number used for file-wide suppressions


def find_suppressions(text: str) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """(line, rule ids) pairs; ``()`` means every rule; line 0 means the whole file."""
    if "codeopt:" not in text:
        return ()
    found: list[tuple[int, tuple[str, ...]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "codeopt:" not in line:
            continue
        for match in _MARK.finditer(line):
            ids = tuple(sorted(i.strip().upper() for i in (match.group(2) or "").split(",") if i.strip()))
            found.append((FILE_LINE if match.group(1) == "ignore-file" else number, ids))
    return tuple(found)


def is_suppressed(
    suppressions: tuple[tuple[int, tuple[str, ...]], ...],
    rule_id: str,
    line: int,
    end_line: int | None = None,
) -> bool:
    """A finding is suppressed by a marker on its first or last line, or a file-wide marker."""
    lines = {FILE_LINE, line} | ({end_line} if end_line else set())
    return any(at in lines and (not ids or rule_id in ids) for at, ids in suppressions)
