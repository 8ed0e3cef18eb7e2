"""What the HTML and Markdown reports show, derived from the versioned JSON document only.

Both formats render this one view of ``to_json(run)`` (plus an optional BEFORE document), so any
number in either report can be traced back to a field of the JSON; the templates only lay it out.
Source excerpts are the one thing the JSON lacks: they are read from the files at render time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeopt.report.charts import ImportChart, import_chart
from codeopt.report.excerpt import Excerpt, SourceExcerpts
from codeopt.report.plans import SplitPlan, split_plans
from codeopt.report.prose import Block, blocks
from codeopt.report.trend import Trend, compare

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
WORST = 10  # modules in the summary
EXCERPTS_PER_RULE = 40  # findings per rule that get a code excerpt (worst first)


@dataclass(frozen=True)
class ReportOptions:
    include_plans: bool = False
    include_diffs: bool = False
    compare_label: str = ""  # the --compare file as the user named it
    excerpts_per_rule: int = EXCERPTS_PER_RULE
    source_root: Path | None = None  # where the JSON's relative paths start; None: no excerpts


@dataclass(frozen=True, slots=True)
class ModuleRow:
    index: int  # position in the JSON's files[]
    path: str
    module: str
    loc: int
    sloc: int
    cc_max: int
    cc_avg: float
    cognitive_max: int
    mi: float
    lcom4: int
    fan_in: int | None  # None: not in the import graph (no module name)
    fan_out: int | None
    import_ms: float | None
    findings: int


@dataclass(frozen=True, slots=True)
class FindingView:
    index: int  # position in the JSON's findings[]
    rule: str
    name: str
    severity: str
    path: str
    line: int
    column: int
    symbol: str
    message: str
    proposal: tuple[Block, ...]
    fix: str | None
    excerpt: Excerpt | None


@dataclass(frozen=True)
class RuleGroup:
    rule: str
    name: str
    severity: str  # the worst severity among its findings
    findings: tuple[FindingView, ...]
    by_severity: dict[str, int]
    excerpted: int  # findings that got an excerpt


@dataclass(frozen=True, slots=True)
class CycleView:
    modules: tuple[str, ...]
    chain: str  # "a:3 -> b:7 -> a"
    can_fail: bool
    breakers: tuple[str, ...]  # "a -> b (line 3)"


@dataclass(frozen=True)
class ReportView:
    doc: dict[str, Any]
    summary: dict[str, Any]
    root: str
    name: str
    modules: tuple[ModuleRow, ...]  # worst first
    worst: tuple[ModuleRow, ...]
    most_imported: tuple[ModuleRow, ...]
    rules: tuple[RuleGroup, ...]
    cycles: tuple[CycleView, ...]
    imports: ImportChart | None
    trend: Trend | None
    plans: tuple[SplitPlan, ...] | None  # None unless --include-plans or --include-diffs
    include_diffs: bool
    optimize_fixes: int  # findings whose fix is a `codeopt optimize` command
    diagnostics: tuple[dict[str, Any], ...]
    excerpts_per_rule: int

    @property
    def severities(self) -> list[tuple[str, int]]:
        """``summary.findings_by_severity``, worst severity first."""
        counts: dict[str, int] = self.summary["findings_by_severity"]
        return sorted(counts.items(), key=lambda item: SEVERITY_RANK.get(item[0], 9))


def module_rows(doc: dict[str, Any]) -> list[ModuleRow]:
    nodes = {m["path"]: m for m in doc["graph"]["modules"]}
    findings = Counter(f["path"] for f in doc["findings"])
    rows = []
    for index, f in enumerate(doc["files"]):
        node = nodes.get(f["path"])
        rows.append(
            ModuleRow(
                index=index,
                path=f["path"],
                module=f["module"],
                loc=f["raw"]["loc"],
                sloc=f["raw"]["sloc"],
                cc_max=f["cc"]["max"],
                cc_avg=f["cc"]["avg"],
                cognitive_max=f["cognitive"]["max"],
                mi=f["mi"],
                lcom4=f["cohesion"]["lcom4"],
                fan_in=node["fan_in"] if node else None,
                fan_out=node["fan_out"] if node else None,
                import_ms=node["import_cost_ms"] if node else None,
                findings=findings[f["path"]],
            )
        )
    rows.sort(key=lambda r: (-r.findings, -r.sloc, r.path))
    return rows


def rule_groups(doc: dict[str, Any], excerpts: SourceExcerpts | None, per_rule: int) -> list[RuleGroup]:
    by_rule: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, f in enumerate(doc["findings"]):
        by_rule.setdefault(f["rule"], []).append((index, f))
    wanted = [(f["path"], f["line"]) for items in by_rule.values() for _, f in items[:per_rule]]
    found = excerpts.excerpts(wanted) if excerpts is not None else {}
    groups = []
    for rule, items in by_rule.items():
        views = tuple(
            FindingView(
                index=index,
                rule=rule,
                name=f["name"],
                severity=f["severity"],
                path=f["path"],
                line=f["line"],
                column=f["column"],
                symbol=f["symbol"],
                message=f["message"],
                proposal=tuple(blocks(f["proposal"] or "")),
                fix=f["fix"],
                excerpt=found.get((f["path"], f["line"])) if position < per_rule else None,
            )
            for position, (index, f) in enumerate(items)
        )
        severities = Counter(v.severity for v in views)
        groups.append(
            RuleGroup(
                rule=rule,
                name=views[0].name,
                severity=min(severities, key=lambda s: SEVERITY_RANK.get(s, 9)),
                findings=views,
                by_severity=dict(sorted(severities.items(), key=lambda kv: SEVERITY_RANK.get(kv[0], 9))),
                excerpted=sum(1 for v in views if v.excerpt is not None),
            )
        )
    groups.sort(key=lambda g: (SEVERITY_RANK.get(g.severity, 9), g.rule))
    return groups


def cycle_views(doc: dict[str, Any]) -> list[CycleView]:
    out = []
    for cycle in doc["graph"]["cycles"]:
        chain = cycle["chain"]
        text = " -> ".join(f"{link['source']}:{link['lineno']}" for link in chain)
        if chain:
            text += f" -> {chain[0]['source']}"
        breakers = tuple(
            f"{b['source']} -> {b['target']} (line {', '.join(map(str, b['linenos']))})"
            for b in cycle["breakers"]
        )
        out.append(CycleView(tuple(cycle["modules"]), text, bool(cycle.get("can_fail", True)), breakers))
    return out


def build_view(
    doc: dict[str, Any], *, before: dict[str, Any] | None = None, options: ReportOptions | None = None
) -> ReportView:
    options = options or ReportOptions()
    excerpts = SourceExcerpts(options.source_root) if options.source_root is not None else None
    rows = module_rows(doc)
    root = str(doc.get("root", ""))
    return ReportView(
        doc=doc,
        summary=doc["summary"],
        root=root,
        name=Path(root).name or root,
        modules=tuple(rows),
        worst=tuple(rows[:WORST]),
        most_imported=_most_imported(rows),
        rules=tuple(rule_groups(doc, excerpts, options.excerpts_per_rule)),
        cycles=tuple(cycle_views(doc)),
        imports=import_chart(doc.get("measured_imports") or {}, _get(before, "measured_imports")),
        trend=compare(before, doc, options.compare_label or "BEFORE") if before is not None else None,
        plans=_plans(doc, options),
        include_diffs=options.include_diffs,
        optimize_fixes=sum(1 for f in doc["findings"] if (f.get("fix") or "").startswith("codeopt optimize")),
        diagnostics=tuple(doc.get("diagnostics", ())),
        excerpts_per_rule=options.excerpts_per_rule,
    )


def _get(doc: dict[str, Any] | None, key: str) -> Any:
    return doc.get(key) if doc is not None else None


def _most_imported(rows: list[ModuleRow]) -> tuple[ModuleRow, ...]:
    in_graph = [r for r in rows if r.fan_in is not None]
    return tuple(sorted(in_graph, key=lambda r: (-(r.fan_in or 0), r.path))[:WORST])


def _plans(doc: dict[str, Any], options: ReportOptions) -> tuple[SplitPlan, ...] | None:
    """The split plans, shown only when asked for (``--include-plans`` or ``--include-diffs``)."""
    if not (options.include_plans or options.include_diffs):
        return None
    return tuple(split_plans(doc["findings"]))
