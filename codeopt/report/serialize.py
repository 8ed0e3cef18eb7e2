"""Plain-data views of analysis results: the one place that decides what the JSON looks like.

Every report format (JSON, SARIF, text, Markdown, HTML) reads these dicts, so every number in every
report traces back to the JSON.
"""

from __future__ import annotations

import dataclasses
import math
from enum import Enum
from typing import Any

from codeopt.analysis.model import FileAnalysis, FunctionMetrics, Halstead, ImportRecord
from codeopt.rules.base import Finding

_FIELDS: dict[type, tuple[str, ...]] = {}
_SCALARS = (str, int, bool, type(None))


def plain(value: Any) -> Any:
    """Dataclasses, enums, tuples and mappings as JSON-ready values."""
    if isinstance(value, _SCALARS):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return _plain_object(value)


def _plain_object(value: Any) -> Any:
    if isinstance(value, Halstead):
        return halstead(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    names = _FIELDS.get(type(value))
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    return {name: plain(getattr(value, name)) for name in names} if names is not None else value


def halstead(h: Halstead) -> dict[str, Any]:
    # The same formulas as Halstead's properties, computed once each (this runs ~70k times on Django +
    # the stdlib, so the derived values are not recomputed through chained properties).
    vocabulary, length = h.h1 + h.h2, h.N1 + h.N2
    volume = length * math.log2(vocabulary) if vocabulary else 0.0
    difficulty = (h.h1 / 2) * (h.N2 / h.h2) if h.h2 else 0.0
    effort = difficulty * volume
    return {
        "h1": h.h1,
        "h2": h.h2,
        "N1": h.N1,
        "N2": h.N2,
        "vocabulary": vocabulary,
        "length": length,
        "volume": round(volume, 3),
        "difficulty": round(difficulty, 3),
        "effort": round(effort, 3),
        "time": round(effort / 18, 3),
        "bugs": round(volume / 3000, 4),
    }


def function(f: FunctionMetrics) -> dict[str, Any]:
    return {
        "name": f.name,
        "qualname": f.qualname,
        "kind": f.kind.value,
        "lineno": f.lineno,
        "end_lineno": f.end_lineno,
        "is_async": f.is_async,
        "cc": f.cc,
        "cognitive": f.cognitive,
        "sloc": f.sloc,
        "halstead": halstead(f.halstead),
    }


def import_record(r: ImportRecord) -> dict[str, Any]:
    return {
        "target": r.target,
        "names": list(r.names),
        "bound": list(r.bound),
        "lineno": r.lineno,
        "kind": r.kind.value,
        "level": r.level,
        "in_try": r.in_try,
        "resolved": r.resolved,
        "dynamic": r.dynamic,
        "module_level_use": r.module_level_use,
    }


def file_entry(f: FileAnalysis) -> dict[str, Any]:
    m = f.metrics
    return {
        "path": f.path,
        "module": f.module,
        "is_package": f.is_package,
        "raw": plain(m.raw),
        "halstead": halstead(m.halstead),
        "mi": round(m.mi, 3),
        "cc": {"total": m.cc_total, "max": m.cc_max, "avg": round(m.cc_avg, 3)},
        "cognitive": {"total": m.cognitive_total, "max": m.cognitive_max},
        "definitions": m.definitions,
        "cohesion": {
            "lcom4": m.cohesion.lcom4,
            "units": m.cohesion.units,
            "components": [list(c) for c in m.cohesion.components],
        },
        "functions": [function(fn) for fn in m.functions],
        "classes": plain(m.classes),
        "unavailable": [{"metric": k, "why": v} for k, v in m.unavailable],
        "imports": [import_record(r) for r in f.imports],
        "notes": plain(f.notes),
    }


def finding(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule_id,
        "name": f.rule_name,
        "severity": f.severity.value,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "symbol": f.symbol,
        "message": f.message,
        "proposal": f.proposal,
        "fix": f.fix,
        "fingerprint": f.fingerprint(),
        "data": {k: plain(v) for k, v in f.data},
    }
