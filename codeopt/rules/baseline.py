"""A baseline file lets CI gate only on new findings: known ones are recorded by fingerprint.

Fingerprints name the rule, the file and the symbol, not the line, so edits elsewhere in a file do not
resurface old findings. Several findings with one fingerprint are counted: a baseline that knows two
of them hides two, and a third is new.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from codeopt import __version__
from codeopt.errors import BaselineError
from codeopt.rules.base import Finding

FORMAT = "codeopt-baseline"
VERSION = 1


def _key(finding: Finding, base: Path) -> str:
    """The fingerprint with the file path relative to the baseline's folder, whatever the cwd."""
    relative = Path(os.path.relpath(os.path.abspath(finding.path), os.path.abspath(base))).as_posix()
    return f"{finding.rule_id}:{relative}:{finding.symbol or finding.line}"


def write_baseline(path: Path, findings: Sequence[Finding]) -> None:
    counts = Counter(_key(f, path.parent) for f in findings)
    data = {
        "format": FORMAT,
        "version": VERSION,
        "codeopt": __version__,
        "fingerprints": dict(sorted(counts.items())),
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def load_baseline(path: Path) -> Counter[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError("baseline file does not exist (create it with --update-baseline)", path) from None
    except (OSError, ValueError) as exc:
        raise BaselineError(f"cannot read baseline: {exc}", path) from None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("fingerprints"), dict)
    ):
        raise BaselineError(f"not a {FORMAT} file", path)
    return Counter({str(k): int(v) for k, v in data["fingerprints"].items()})


def new_findings(findings: Sequence[Finding], known: Counter[str], baseline: Path) -> list[Finding]:
    """Findings beyond what the baseline knows, in the given order."""
    budget = Counter(known)
    fresh: list[Finding] = []
    for finding in findings:
        key = _key(finding, baseline.parent)
        if budget[key] > 0:
            budget[key] -= 1
        else:
            fresh.append(finding)
    return fresh
