"""The whole-project view that project-level rules and reports read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from codeopt.analysis.model import FileAnalysis

if TYPE_CHECKING:
    from codeopt.analysis.graph import ImportGraph
    from codeopt.analysis.import_cost import ImportCost


@dataclass(frozen=True)
class ProjectAnalysis:
    root: str  # absolute path of the project root (where pyproject.toml or the target is)
    files: tuple[FileAnalysis, ...]
    graph: ImportGraph
    # measured with --measure-imports (module -> cost); empty when not measured
    measured_costs: Mapping[str, ImportCost] = field(default_factory=dict)

    def by_module(self) -> dict[str, FileAnalysis]:
        return {f.module: f for f in self.files if f.module}
