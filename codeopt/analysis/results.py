"""Per-file outcomes that cross process boundaries: exactly one per file, frozen and picklable."""

from __future__ import annotations

from dataclasses import dataclass

from codeopt.analysis.model import FileAnalysis


@dataclass(frozen=True)
class Analyzed:
    path: str
    analysis: FileAnalysis
    seconds: float = 0.0


@dataclass(frozen=True)
class Skipped:
    """Deliberately not analysed (over the size limit or the time budget): not an error of the file."""

    path: str
    reason: str


@dataclass(frozen=True)
class Failed:
    """Could not be analysed (unreadable, undecodable, invalid syntax); reported in one line."""

    path: str
    reason: str


FileResult = Analyzed | Skipped | Failed
