"""Choosing and running rules: select/ignore, per-rule options, per-file ignores, inline suppressions.

Rules read only the analysis built once per run, so running them is cheap and happens in the parent
process after the per-file stage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch

from codeopt.analysis.project import ProjectAnalysis
from codeopt.analysis.suppressions import is_suppressed
from codeopt.errors import CodeoptError, RuleError
from codeopt.rules.base import Finding, Rule
from codeopt.rules.registry import discover_rules

_RULE_ID = re.compile(r"^co\d{3}$", re.IGNORECASE)


def _matches(rule: type[Rule], selector: str) -> bool:
    selector = selector.strip()
    return selector.upper() == "ALL" or rule.id.startswith(selector.upper()) or rule.name == selector


def select_rules(select: Sequence[str], ignore: Sequence[str]) -> list[type[Rule]]:
    """Rules matching ``select`` (all when empty) minus ``ignore``; unknown selectors are errors."""
    available = discover_rules()
    for selector in (*select, *ignore):
        if not any(_matches(r, selector) for r in available.values()):
            raise RuleError(f"unknown rule selector {selector!r} (see `codeopt rules`)")
    chosen = [r for r in available.values() if not select or any(_matches(r, s) for s in select)]
    return [r for r in chosen if not any(_matches(r, s) for s in ignore)]


def instantiate(rules: Iterable[type[Rule]], options: Mapping[str, Mapping[str, object]]) -> list[Rule]:
    """Rules with their configured options (keyed by rule id or name)."""
    by_key = {key.upper() if _RULE_ID.match(key) else key: value for key, value in options.items()}
    known = {r.id for r in discover_rules().values()} | {r.name for r in discover_rules().values()}
    for key in by_key:
        if key not in known:
            raise RuleError(f"options given for unknown rule {key!r}")
    return [r({**by_key.get(r.name, {}), **by_key.get(r.id, {})}) for r in rules]


@dataclass(frozen=True)
class RuleRun:
    findings: tuple[Finding, ...]
    suppressed: int
    errors: tuple[str, ...]  # one line per rule that crashed (a bug), the run goes on


def run_rules(
    project: ProjectAnalysis,
    rules: Sequence[Rule],
    per_file_ignores: Mapping[str, Sequence[str]] | None = None,
) -> RuleRun:
    suppressions = {f.path: f.suppressions for f in project.files}
    found: list[Finding] = []
    errors: list[str] = []
    suppressed = 0
    for rule in rules:
        try:
            produced = list(rule.check_project(project))
        except CodeoptError as exc:
            errors.append(f"{rule.id}: {exc}")
            continue
        except Exception as exc:  # a buggy rule must not take the others down
            errors.append(f"{rule.id}: internal error in rule ({type(exc).__name__}: {exc}); please report")
            continue
        for finding in produced:
            if is_suppressed(
                suppressions.get(finding.path, ()), finding.rule_id, finding.line, finding.end_line
            ) or (_ignored_for_path(finding, per_file_ignores or {})):
                suppressed += 1
            else:
                found.append(finding)
    found.sort(key=lambda f: (-f.severity.rank, f.path, f.line, f.rule_id))
    return RuleRun(tuple(found), suppressed, tuple(errors))


def _ignored_for_path(finding: Finding, per_file_ignores: Mapping[str, Sequence[str]]) -> bool:
    for pattern, selectors in per_file_ignores.items():
        if not (fnmatch(finding.path, pattern) or fnmatch(finding.path, f"*/{pattern}")):
            continue
        if any(
            s.upper() == "ALL" or finding.rule_id.startswith(s.upper()) or s == finding.rule_name
            for s in selectors
        ):
            return True
    return False
