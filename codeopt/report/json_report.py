"""The versioned JSON document (schema ``codeopt-analysis``, version 1; see docs/json-output.md).

Every other report format is derived from the same data, so every number shown anywhere can be
traced back to this document.
"""

from __future__ import annotations

from typing import Any

from codeopt import __version__
from codeopt.report.model import AnalysisRun
from codeopt.report.serialize import file_entry, finding, plain

SCHEMA = "codeopt-analysis"
VERSION = 1


def summary(run: AnalysisRun) -> dict[str, Any]:
    files = run.project.files
    by_severity: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    for f in run.findings:
        by_severity[f.severity.value] = by_severity.get(f.severity.value, 0) + 1
        by_rule[f.rule_id] = by_rule.get(f.rule_id, 0) + 1
    return {
        "files": len(files),
        "files_seen": run.files_seen,
        "sloc": sum(f.metrics.raw.sloc for f in files),
        "loc": sum(f.metrics.raw.loc for f in files),
        "functions": sum(len(f.metrics.functions) for f in files),
        "findings": len(run.findings),
        "findings_by_severity": dict(sorted(by_severity.items())),
        "findings_by_rule": dict(sorted(by_rule.items())),
        "suppressed": run.suppressed,
        "baselined": run.baselined,
        "import_time_cycles": len(run.project.graph.cycles),
        "call_time_only_cycles": max(
            0, len(run.project.graph.all_sccs) - len(run.project.graph.import_time_sccs)
        ),
        "errors": sum(1 for d in run.diagnostics if not d.skipped),
        "skipped": sum(1 for d in run.diagnostics if d.skipped),
        "cache_hits": run.cache_hits,
    }


def to_json(run: AnalysisRun) -> dict[str, Any]:
    graph = run.project.graph
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "codeopt": __version__,
        "root": run.project.root,
        "summary": summary(run),
        "findings": [finding(f) for f in run.findings],
        "files": [file_entry(f) for f in run.project.files],
        "graph": {
            "modules": plain(graph.modules),
            "edges": plain(graph.edges),
            "externals": plain(graph.externals),
            "import_time_sccs": plain(graph.import_time_sccs),
            "all_sccs": plain(graph.all_sccs),
            "cycles": plain(graph.cycles),
            "unresolved": plain(graph.unresolved),
        },
        "measured_imports": {name: plain(cost) for name, cost in sorted(run.project.measured_costs.items())},
        "diagnostics": [plain(d) for d in run.diagnostics],
        "timings": {
            "stages": {k: round(v, 3) for k, v in run.timings.items()},
            "slowest_files": [list(item) for item in run.slowest],
        },
    }
