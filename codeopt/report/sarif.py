"""SARIF 2.1.0 with what GitHub code scanning requires: rules with descriptions and help,
repository-relative URIs under ``%SRCROOT%``, regions, and ``partialFingerprints``."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codeopt import __version__
from codeopt.rules.base import Finding, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/codeopt/codeopt"


def _rule_entry(rule: type[Rule]) -> dict[str, Any]:
    help_text = f"{rule.summary}\n\nWhy: {rule.why}"
    if rule.use_instead:
        help_text += f"\n\nUse instead: {rule.use_instead}"
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.name.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": help_text, "markdown": help_text},
        "helpUri": f"{INFO_URI}/blob/main/docs/rules.md#{rule.id.lower()}-{rule.name}",
        "defaultConfiguration": {"level": rule.severity.sarif_level},
        "properties": {"tags": ["maintainability"] if rule.id < "CO300" else ["performance"]},
    }


def to_sarif(findings: Sequence[Finding], rules: Sequence[type[Rule]], source_root: Path) -> dict[str, Any]:
    """``source_root`` is the repository root: URIs are relative to it, as code scanning expects."""
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for f in findings:
        uri = Path(os.path.relpath(os.path.abspath(f.path), source_root)).as_posix()
        fingerprint = hashlib.sha256(f"{f.rule_id}:{uri}:{f.symbol or f.line}".encode()).hexdigest()[:32]
        region: dict[str, int] = {"startLine": f.line, "startColumn": max(f.column, 1)}
        if f.end_line and f.end_line >= f.line:
            region["endLine"] = f.end_line
        results.append(
            {
                "ruleId": f.rule_id,
                **({"ruleIndex": index[f.rule_id]} if f.rule_id in index else {}),
                "level": f.severity.sarif_level,
                "message": {"text": f"{f.message} Proposal: {f.proposal}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                            "region": region,
                        }
                    }
                ],
                "partialFingerprints": {"codeoptFingerprint/v1": fingerprint},
            }
        )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "codeopt",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFO_URI,
                        "rules": [_rule_entry(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": source_root.resolve().as_uri() + "/"}},
                "results": results,
            }
        ],
    }
