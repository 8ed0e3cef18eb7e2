"""The "Proposed split" section, read back from CO101 findings' proposals.

``codeopt split`` does not exist yet, so there is no plan object in the JSON: the groups are in each
CO101 proposal as ``{label: member, member, ... (+N)}``, written by the rule's ``_proposal``. Parsing
that text keeps the report tied to the JSON; a proposal this parser does not recognise is shown as
its text, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SPLIT_RULE = "CO101"
_GROUP = re.compile(r"\{([^{}:]+): ([^{}]*)\}")
_MORE = re.compile(r",? *\.\.\. \(\+(\d+)\)$")
_SMALLER = re.compile(r"and (\d+) smaller groups")


@dataclass(frozen=True, slots=True)
class SplitGroup:
    label: str  # the proposed submodule name
    members: tuple[str, ...]  # the definitions listed in the proposal
    more: int  # definitions the proposal left out of the list


@dataclass(frozen=True, slots=True)
class SplitPlan:
    path: str
    module: str
    message: str
    groups: tuple[SplitGroup, ...]  # empty when the proposal text was not recognised
    smaller_groups: int  # groups the proposal did not list
    proposal: str
    fix: str | None


def _group(label: str, listed: str) -> SplitGroup:
    more = 0
    found = _MORE.search(listed)
    if found:
        more = int(found.group(1))
        listed = listed[: found.start()]
    return SplitGroup(label.strip(), tuple(m.strip() for m in listed.split(",") if m.strip()), more)


def split_plans(findings: list[dict[str, Any]]) -> list[SplitPlan]:
    plans = []
    for finding in findings:
        if finding["rule"] != SPLIT_RULE:
            continue
        proposal = finding.get("proposal") or ""
        smaller = _SMALLER.search(proposal)
        plans.append(
            SplitPlan(
                path=finding["path"],
                module=finding.get("symbol") or finding["path"],
                message=finding["message"],
                groups=tuple(_group(label, listed) for label, listed in _GROUP.findall(proposal)),
                smaller_groups=int(smaller.group(1)) if smaller else 0,
                proposal=proposal,
                fix=finding.get("fix"),
            )
        )
    return plans
