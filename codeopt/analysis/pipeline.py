"""The per-file stage: one parsed :class:`SourceFile` in, one picklable :class:`FileAnalysis` out."""

from __future__ import annotations

import hashlib
from pathlib import Path

from codeopt.analysis.facts import extract_facts
from codeopt.analysis.imports import extract_imports
from codeopt.analysis.metrics import measure
from codeopt.analysis.model import FileAnalysis, Note
from codeopt.analysis.suppressions import find_suppressions
from codeopt.source.parsing import SourceFile


def code_fingerprint() -> str:
    """A digest of the code behind a FileAnalysis, for the result cache's key: a new release, or a
    developer's edit between two runs, can never be answered from an old entry."""
    import codeopt.analysis
    import codeopt.source

    digest = hashlib.blake2b(digest_size=16)
    for package in (codeopt.analysis, codeopt.source):
        for path in sorted(Path(package.__path__[0]).rglob("*.py")):
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(path.name.encode())
    return digest.hexdigest()


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
