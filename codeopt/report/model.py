"""What one analysis run produced; every report format renders this and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field

from codeopt.analysis.project import ProjectAnalysis
from codeopt.rules.base import Finding


@dataclass(frozen=True)
class Diagnostic:
    """A file or path that could not be analysed: ``path: reason`` on one line."""

    path: str
    reason: str
    skipped: bool = False  # deliberately skipped (limits), not broken


@dataclass(frozen=True)
class AnalysisRun:
    project: ProjectAnalysis
    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]
    suppressed: int = 0
    baselined: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0
    files_seen: int = 0
    slowest: tuple[tuple[str, float], ...] = ()  # (path, seconds) of the slowest analysed files
