"""Helpers: write a real project to disk and turn it into FileAnalysis objects like a run would."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

from codeopt.analysis.facts import ModuleFacts
from codeopt.analysis.imports import extract_imports
from codeopt.analysis.model import (
    ZERO_HALSTEAD,
    Cohesion,
    EdgeKind,
    FileAnalysis,
    ImportRecord,
    ModuleMetrics,
    RawMetrics,
)
from codeopt.source.parsing import SourceFile


def write_project(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``{"pkg/mod.py": source}`` under ``root`` (sources are dedented)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    return root


def source_file(root: Path, path: Path) -> SourceFile:
    rel = path.relative_to(root)
    parts = list(rel.with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return SourceFile(
        path=path,
        display=rel.as_posix(),
        module=".".join(parts),
        is_package=is_package,
        text=path.read_text("utf-8"),
    )


def analyze_project(root: Path) -> list[FileAnalysis]:
    """Every ``*.py`` under ``root`` (module names from the path, like a run from ``root``)."""
    out = []
    for path in sorted(root.rglob("*.py")):
        source = source_file(root, path)
        out.append(
            FileAnalysis(
                path=source.display,
                module=source.module,
                is_package=source.is_package,
                metrics=_metrics(source),
                imports=extract_imports(source),
                facts=ModuleFacts(),
                suppressions=(),
                content_hash=source.content_hash,
            )
        )
    return out


def _metrics(source: SourceFile) -> ModuleMetrics:
    try:  # the real thing once it exists; the graph never reads metrics
        from codeopt.analysis.metrics import measure  # type: ignore[import-not-found, unused-ignore]

        return measure(source)  # type: ignore[no-any-return, unused-ignore]
    except ImportError:
        return DUMMY_METRICS


DUMMY_METRICS = ModuleMetrics(
    raw=RawMetrics(0, 0, 0, 0, 0, 0, 0),
    halstead=ZERO_HALSTEAD,
    mi=100.0,
    cc_total=0,
    cc_max=0,
    cc_avg=0.0,
    cognitive_total=0,
    cognitive_max=0,
    definitions=0,
    functions=(),
    classes=(),
    cohesion=Cohesion(0, 0, ()),
)


def synthetic(module: str, imports: tuple[ImportRecord, ...], is_package: bool = False) -> FileAnalysis:
    """A FileAnalysis without a file behind it, for graphs too big to write out."""
    path = module.replace(".", "/") + ("/__init__.py" if is_package else ".py")
    return FileAnalysis(
        path=path,
        module=module,
        is_package=is_package,
        metrics=DUMMY_METRICS,
        imports=imports,
        facts=ModuleFacts(),
        suppressions=(),
    )


def record(
    target: str, lineno: int = 1, kind: EdgeKind = EdgeKind.IMPORT_TIME, *, module_level_use: bool = False
) -> ImportRecord:
    """A plain ``import target`` as extract_imports would record it."""
    return ImportRecord(
        target=target,
        names=(),
        bound=(target.partition(".")[0],),
        lineno=lineno,
        kind=kind,
        module_level_use=module_level_use,
    )
