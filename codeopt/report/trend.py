"""The trend against an earlier run: ``codeopt report --compare BEFORE.json``.

BEFORE.json is what ``codeopt analyze --format json`` wrote; both sides are read from the versioned
JSON only, so a trend line can be checked against the two documents by hand. Modules are matched by
dotted name (by path when a file has none), so a run from another working directory still matches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeopt.errors import ConfigError
from codeopt.report.json_report import SCHEMA, VERSION

TOTALS = (
    ("files", "files"),
    ("lines", "loc"),
    ("SLOC", "sloc"),
    ("functions", "functions"),
    ("findings", "findings"),
    ("import-time cycles", "import_time_cycles"),
)


@dataclass(frozen=True, slots=True)
class Delta:
    label: str
    before: float
    after: float

    @property
    def change(self) -> float:
        return round(self.after - self.before, 3)


@dataclass(frozen=True, slots=True)
class ModuleDelta:
    """One module present in both runs; each pair is (before, after)."""

    name: str
    path: str
    sloc: Delta
    cc_total: Delta
    mi: Delta
    lcom4: Delta

    @property
    def changed(self) -> bool:
        return any(d.change for d in (self.sloc, self.cc_total, self.mi, self.lcom4))


@dataclass(frozen=True)
class Trend:
    label: str  # how BEFORE is named in the report (its file name)
    totals: tuple[Delta, ...]
    rules: tuple[Delta, ...]  # findings per rule id, every rule seen on either side
    modules: tuple[ModuleDelta, ...]  # changed modules in both runs, largest SLOC change first
    unchanged: int  # modules in both runs with no change in these numbers
    added: tuple[str, ...]
    removed: tuple[str, ...]


def load_before(path: Path) -> dict[str, Any]:
    """The BEFORE document, checked to be a codeopt analysis this version can read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read --compare file: {exc.strerror}", path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"--compare file is not JSON: {exc}", path) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ConfigError(f"--compare file is not `codeopt analyze --format json` output ({SCHEMA})", path)
    if not isinstance(data.get("version"), int) or data["version"] > VERSION:
        raise ConfigError(
            f"--compare file has schema version {data.get('version')!r}; this codeopt reads <= {VERSION}",
            path,
        )
    try:  # the fields the trend reads, checked now rather than failing after the analysis
        _read_all(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"--compare file is incomplete (missing or malformed {exc})", path) from None
    return data


def _read_all(data: dict[str, Any]) -> None:
    """Read every field :func:`compare` reads from BEFORE (raising on the first one missing)."""
    for _, key in TOTALS:
        float(data["summary"][key])
    dict(data["summary"]["findings_by_rule"])
    for entry in data["files"]:
        _key(entry)
        _module_numbers(entry)


def _key(entry: dict[str, Any]) -> str:
    return str(entry.get("module") or entry["path"])


def _module_numbers(entry: dict[str, Any]) -> tuple[float, float, float, float]:
    return (
        entry["raw"]["sloc"],
        entry["cc"]["total"],
        entry["mi"],
        entry["cohesion"]["lcom4"],
    )


def compare(before: dict[str, Any], after: dict[str, Any], label: str) -> Trend:
    old_summary, new_summary = before.get("summary", {}), after["summary"]
    totals = tuple(Delta(name, old_summary.get(key, 0), new_summary.get(key, 0)) for name, key in TOTALS)
    old_rules, new_rules = old_summary.get("findings_by_rule", {}), new_summary["findings_by_rule"]
    rules = tuple(
        Delta(rule, old_rules.get(rule, 0), new_rules.get(rule, 0))
        for rule in sorted({*old_rules, *new_rules})
    )
    old_files = {_key(f): f for f in before.get("files", [])}
    new_files = {_key(f): f for f in after["files"]}
    deltas = []
    for name in sorted(old_files.keys() & new_files.keys()):
        was, now = _module_numbers(old_files[name]), _module_numbers(new_files[name])
        deltas.append(
            ModuleDelta(
                name,
                new_files[name]["path"],
                *(
                    Delta(label_, a, b)
                    for label_, a, b in zip(("SLOC", "CC", "MI", "LCOM4"), was, now, strict=True)
                ),
            )
        )
    changed = sorted((d for d in deltas if d.changed), key=lambda d: (-abs(d.sloc.change), d.name))
    return Trend(
        label=label,
        totals=totals,
        rules=rules,
        modules=tuple(changed),
        unchanged=len(deltas) - len(changed),
        added=tuple(sorted(new_files.keys() - old_files.keys())),
        removed=tuple(sorted(old_files.keys() - new_files.keys())),
    )
