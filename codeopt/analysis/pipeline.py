"""The per-file stage: one parsed :class:`SourceFile` in, one picklable :class:`FileAnalysis` out."""

from __future__ import annotations

from codeopt.analysis.facts import extract_facts
from codeopt.analysis.imports import extract_imports
from codeopt.analysis.metrics import measure
from codeopt.analysis.model import FileAnalysis, Note
from codeopt.analysis.suppressions import find_suppressions
from codeopt.source.parsing import SourceFile


def analyze_source(source: SourceFile) -> FileAnalysis:
    """All per-file analyses over the same trees; raises SourceError for files that cannot be parsed."""
    tree = source.ast_tree  # parse once; every analysis below reads this tree
    metrics = measure(source)
    notes = tuple(
        Note("lowered", f"newer syntax analysed through an equivalent: {feature}")
        for feature in source.lowered
    )
    return FileAnalysis(
        path=source.display,
        module=source.module,
        is_package=source.is_package,
        metrics=metrics,
        imports=extract_imports(source),
        facts=extract_facts(source, tree),
        suppressions=find_suppressions(source.text),
        notes=notes,
        content_hash=source.content_hash,
    )
