"""The Markdown report: a pull-request comment that fits GitHub's 65,536-character limit.

The content is the HTML report's, summary first and details folded in ``<details>``. When the full
text is too long, the loosest of ``LEVELS`` (fewer table rows, findings, excerpts, then no
proposals) that fits under ``LIMIT`` is used, and the comment says what was cut. If even the
tightest limits do not fit, the text is cut at a line boundary, with open code fences and
``<details>`` closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codeopt.report.templating import environment
from codeopt.report.view import ReportOptions, ReportView, build_view

LIMIT = 60_000  # characters; GitHub refuses comments over 65,536
ALL = 10**9


@dataclass(frozen=True, slots=True)
class Limits:
    modules: int  # rows of the modules table
    findings: int  # findings listed per rule
    excerpts: int  # findings per rule with a code excerpt
    proposals: bool
    trend_modules: int
    cycles: int


# From everything to almost nothing; every limit only shrinks from one level to the next, so the
# rendered length shrinks too and the first level that fits can be found by bisection.
LEVELS = tuple(
    Limits(*level)
    for level in (
        (ALL, ALL, ALL, True, ALL, ALL),
        (300, 100, 20, True, 200, 50),
        (200, 60, 10, True, 100, 20),
        (100, 40, 8, True, 60, 20),
        (60, 25, 5, True, 40, 10),
        (40, 15, 3, True, 30, 10),
        (30, 10, 2, True, 20, 10),
        (20, 6, 1, True, 15, 5),
        (20, 4, 0, True, 10, 5),
        (15, 3, 0, False, 10, 5),
        (10, 1, 0, False, 5, 3),
        (10, 0, 0, False, 0, 3),
        (0, 0, 0, False, 0, 0),
    )
)


def cuts(view: ReportView, limits: Limits) -> list[str]:
    """What ``limits`` leaves out of ``view``, in words, for the note at the top of the comment."""
    found = (
        _cut_rows("modules table", len(view.modules), limits.modules, "rows (worst first)"),
        _cut_findings(view, limits),
        _cut_excerpts(view, limits),
        "proposals left out" if not limits.proposals and view.rules and limits.findings else None,
        _cut_rows(
            "trend:", len(view.trend.modules) if view.trend else 0, limits.trend_modules, "changed modules"
        ),
        _cut_rows("", len(view.cycles), limits.cycles, "import cycles"),
    )
    return [cut for cut in found if cut]


def _cut_rows(what: str, total: int, shown: int, unit: str) -> str | None:
    return f"{what} {shown:,} of {total:,} {unit}".strip() if total > shown else None


def _cut_findings(view: ReportView, limits: Limits) -> str | None:
    total = sum(len(g.findings) for g in view.rules)
    listed = sum(min(len(g.findings), limits.findings) for g in view.rules)
    if listed == total:
        return None
    return f"{listed:,} of {total:,} findings listed (at most {limits.findings:,} per rule, worst first)"


def _cut_excerpts(view: ReportView, limits: Limits) -> str | None:
    available = sum(g.excerpted for g in view.rules)
    shown = sum(
        sum(1 for f in g.findings[: min(limits.findings, limits.excerpts)] if f.excerpt) for g in view.rules
    )
    return f"code excerpts for {shown:,} of {available:,} findings" if shown < available else None


def _render(view: ReportView, limits: Limits, limit: int, note: list[str]) -> str:
    template = environment().get_template("report.md")
    return template.render(view=view, limits=limits, cuts=note, limit=limit)


def _hard_cut(text: str, limit: int) -> str:
    """The last resort: whole lines up to ``limit``, then closing fences and details, and a note."""
    tail = "\n\n**Cut here**: the report is longer than a GitHub comment allows.\n"
    budget = limit - len(tail) - 200
    head = text[: text.rfind("\n", 0, budget) + 1]
    lines = head.splitlines()
    fence_open = sum(1 for line in lines if line.startswith("```")) % 2 == 1
    details_open = head.count("<details>") - head.count("</details>")
    closing = ("```\n" if fence_open else "") + "\n</details>\n" * max(0, details_open)
    return head + closing + tail


def render_markdown(
    doc: dict[str, Any],
    *,
    before: dict[str, Any] | None = None,
    options: ReportOptions | None = None,
    limit: int = LIMIT,
) -> str:
    """The comment for the JSON document ``doc``, at most ``limit`` characters long."""
    view = build_view(doc, before=before, options=options)
    rendered: dict[int, str] = {}

    def text(level: int) -> str:
        if level not in rendered:
            rendered[level] = _render(view, LEVELS[level], limit, cuts(view, LEVELS[level]))
        return rendered[level]

    if len(text(0)) <= limit:
        return text(0)
    low, high = 1, len(LEVELS) - 1  # the answer is in [low, high] if anything fits
    if len(text(high)) > limit:
        return _hard_cut(text(high), limit)
    while low < high:
        middle = (low + high) // 2
        if len(text(middle)) <= limit:
            high = middle
        else:
            low = middle + 1
    return text(low)
