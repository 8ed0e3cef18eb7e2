"""Code excerpts around findings, read from the source files when the report is rendered.

The JSON has locations, not code, so the excerpts are read at render time, relative to the directory
the analysis ran in (the JSON's paths are relative to it). A file that is gone or no longer readable
gives no excerpt; the report says so instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from codeopt.errors import CodeoptError
from codeopt.report.highlight import highlight, split_lines
from codeopt.source.reading import read_source

BEFORE = 2  # lines of context above the finding's line
AFTER = 3  # ... and below


@dataclass(frozen=True, slots=True)
class ExcerptLine:
    number: int
    text: str  # plain, for Markdown
    html: Markup  # escaped and highlighted, for HTML
    target: bool  # the finding's own line


@dataclass(frozen=True, slots=True)
class Excerpt:
    path: str
    lines: tuple[ExcerptLine, ...]

    @property
    def width(self) -> int:
        """Digits of the largest line number, to align the gutter."""
        return len(str(self.lines[-1].number)) if self.lines else 1

    def plain(self) -> str:
        """Numbered lines, the finding's own line marked with ``>``, for a Markdown code block."""
        return "\n".join(
            f"{'>' if line.target else ' '} {line.number:>{self.width}}  {line.text}".rstrip()
            for line in self.lines
        )


class SourceExcerpts:
    """Reads and highlights each file at most once, only as far as the deepest excerpt needs."""

    def __init__(self, base: Path, *, highlighted: bool = True) -> None:
        self.base = base
        self.highlighted = highlighted
        self._lines: dict[str, list[str] | None] = {}

    def _read(self, path: str) -> list[str] | None:
        if path not in self._lines:
            target = Path(path) if Path(path).is_absolute() else self.base / path
            try:
                self._lines[path] = split_lines(read_source(target).text)
            except (CodeoptError, OSError):
                self._lines[path] = None
        return self._lines[path]

    def excerpts(self, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], Excerpt]:
        """Excerpts for ``(path, line)`` pairs; pairs whose file or line is missing are left out."""
        by_path: dict[str, set[int]] = {}
        for path, line in wanted:
            by_path.setdefault(path, set()).add(line)
        out: dict[tuple[str, int], Excerpt] = {}
        for path, numbers in by_path.items():
            lines = self._read(path)
            if lines is None:
                continue
            marked = highlight(lines, max(numbers) + AFTER) if self.highlighted else None
            for line in sorted(n for n in numbers if 1 <= n <= len(lines)):
                first, end = max(1, line - BEFORE), min(len(lines), line + AFTER)
                out[(path, line)] = Excerpt(
                    path,
                    tuple(
                        ExcerptLine(
                            n,
                            lines[n - 1],
                            marked[n - 1] if marked is not None else Markup.escape(lines[n - 1]),
                            n == line,
                        )
                        for n in range(first, end + 1)
                    ),
                )
        return out
