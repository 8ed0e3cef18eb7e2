"""All per-file metrics in one call: ``measure(source) -> ModuleMetrics``.

One ``tokenize`` pass over the text gives the raw line counts; iterative walks over the ``ast`` tree
the parser already built give cyclomatic and cognitive complexity, Halstead counts and cohesion. The
maintainability index is computed from those numbers, not by running radon again.

``measure`` raises only what ``source.ast_tree`` raises (``ParseFailure`` for text that is not Python
for any supported version). Anything a metric cannot do exactly for a valid file is reported in
``ModuleMetrics.unavailable`` as (metric, why) and the rest is still measured.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TypeVar

from codeopt.analysis.cognitive import CognitiveResult, cognitive
from codeopt.analysis.cohesion import lcom4
from codeopt.analysis.complexity import Cyclomatic, Scope, cyclomatic
from codeopt.analysis.halstead import HalsteadResult, halstead
from codeopt.analysis.maintainability import maintainability_index
from codeopt.analysis.model import ZERO_HALSTEAD, Cohesion, FunctionMetrics, ModuleMetrics
from codeopt.analysis.raw import LineScan, approximate_scan, scan_lines, split_lines
from codeopt.errors import CodeoptError
from codeopt.source.parsing import SourceFile
from codeopt.source.syntax_features import FSTRINGS, TEMPLATE_STRINGS

_T = TypeVar("_T")
# Lowered features after which the original text no longer tokenizes the way Python 3.11 would.
_UNTOKENIZABLE = (FSTRINGS, TEMPLATE_STRINGS)


def measure(source: SourceFile) -> ModuleMetrics:
    """Every metric of one file; see docs/metrics.md for the definitions."""
    tree = source.ast_tree  # first: it records which newer-syntax features were lowered
    unavailable: list[tuple[str, str]] = []
    lines = _line_scan(source, unavailable)
    cc = _guarded("cyclomatic complexity", lambda: cyclomatic(tree), Cyclomatic((), (), 1), unavailable)
    hal = _guarded("halstead", lambda: halstead(tree), HalsteadResult(ZERO_HALSTEAD, {}), unavailable)
    cog = _guarded("cognitive complexity", lambda: cognitive(tree), CognitiveResult(0, {}), unavailable)
    cohesion = _guarded("cohesion", lambda: lcom4(tree), Cohesion(0, 0, ()), unavailable)
    functions = tuple(_function_metrics(scope, hal, cog, lines) for scope in cc.functions)
    ccs = [function.cc for function in functions]
    cognitives = [function.cognitive for function in functions]
    return ModuleMetrics(
        raw=lines.metrics,
        halstead=hal.module,
        mi=maintainability_index(lines.metrics, hal.module.volume, cc.total),
        cc_total=cc.total,
        cc_max=max(ccs, default=0),
        cc_avg=sum(ccs) / len(ccs) if ccs else 0.0,
        cognitive_total=cog.module,
        cognitive_max=max(cognitives, default=0),
        definitions=cohesion.units,
        functions=functions,
        classes=cc.class_metrics(),
        cohesion=cohesion,
        unavailable=tuple(unavailable),
    )


def _line_scan(source: SourceFile, unavailable: list[tuple[str, str]]) -> LineScan:
    """Raw counts from the text, else from the lowered text (same lines), else line by line."""
    untokenizable = [feature for feature in source.lowered if feature in _UNTOKENIZABLE]
    if untokenizable:
        why = f"{' and '.join(untokenizable)} do not tokenize on Python 3.11"
    else:
        scan = scan_lines(source.text)
        if scan.approximate is None or not source.lowered:
            if scan.approximate is not None:
                unavailable.append(("raw", f"approximate: {scan.approximate}; counted line by line"))
            return scan
        why = scan.approximate
    from codeopt.source.lowering import lower_for_host  # only for files with newer syntax

    try:
        lowered = scan_lines(lower_for_host(source.cst_module).text)
    except CodeoptError:
        lowered = None
    if lowered is not None and lowered.approximate is None:
        unavailable.append(("raw", f"approximate: {why}; counted on the text lowered for Python 3.11"))
        return lowered
    unavailable.append(("raw", f"approximate: {why}; counted line by line"))
    return approximate_scan(split_lines(source.text), why)


def _guarded(metric: str, compute: Callable[[], _T], fallback: _T, unavailable: list[tuple[str, str]]) -> _T:
    """``compute()``; on a failure no valid file should cause, the fallback and a note instead."""
    try:
        return compute()
    except (RecursionError, MemoryError) as exc:
        unavailable.append((metric, f"not computed: {type(exc).__name__}"))
        return fallback


def _function_metrics(
    scope: Scope, hal: HalsteadResult, cog: CognitiveResult, lines: LineScan
) -> FunctionMetrics:
    node = scope.node
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and scope.kind is not None
    end = node.end_lineno or node.lineno
    return FunctionMetrics(
        name=node.name,
        qualname=scope.qualname,
        kind=scope.kind,
        lineno=node.lineno,
        end_lineno=end,
        is_async=isinstance(node, ast.AsyncFunctionDef),
        cc=scope.cc,
        cognitive=cog.functions.get(node, 0),
        sloc=lines.sloc_between(node.lineno, end),
        halstead=hal.functions.get(node, ZERO_HALSTEAD),
    )
