"""``codeopt rules``: the rule list as a table or JSON, and one rule explained (the docs section)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from codeopt.rules import docs
from codeopt.rules.base import Rule


def rules_table(rules: Mapping[str, type[Rule]], *, markdown: bool = False) -> str:
    if markdown:
        lines = ["| Id | Name | Severity | Fix | What it does |", "|---|---|---|---|---|"]
        lines += [
            f"| {r.id} | `{r.name}` | {r.severity.value} | {r.fix or ''} | {r.summary} |"
            for r in rules.values()
        ]
        return "\n".join(lines)
    name_width = max((len(r.name) for r in rules.values()), default=4)
    lines = [f"{'id':<6} {'name':<{name_width}} {'severity':<8} what it does"]
    for rule in rules.values():
        lines.append(f"{rule.id:<6} {rule.name:<{name_width}} {rule.severity.value:<8} {rule.summary}")
    lines.append("")
    lines.append("`codeopt rules ID` explains one rule; docs/rules.md has them all.")
    return "\n".join(lines)


def rules_json(rules: Mapping[str, type[Rule]]) -> str:
    data = [
        {
            "id": r.id,
            "name": r.name,
            "severity": r.severity.value,
            "summary": r.summary,
            "why": r.why,
            "use_instead": r.use_instead,
            "fix_safety": r.fix_safety,
            "fix": r.fix,
            "options": [
                {"name": o.name, "default": o.default, "description": o.description} for o in r.options
            ],
        }
        for r in rules.values()
    ]
    return json.dumps(data, indent=2)


def explain(rule: type[Rule]) -> str:
    return "\n".join(docs.section(rule)).rstrip() + "\n"
