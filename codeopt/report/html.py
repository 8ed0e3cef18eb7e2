"""The HTML report: one self-contained page (inline CSS, script and SVG; no request of any kind).

The page is complete without JavaScript (the script only sorts tables) and prints cleanly. It stays
small on large projects: the graph collapses into packages past a few hundred modules, each rule lists
at most ``FINDINGS_PER_RULE`` findings and excerpts the worst ``excerpts_per_rule`` of them.
"""

from __future__ import annotations

from typing import Any

from codeopt.report.charts import ImportChart
from codeopt.report.graph_svg import CHAR_PX, draw, heat_legend
from codeopt.report.templating import environment
from codeopt.report.view import ReportOptions, build_view

FINDINGS_PER_RULE = 300


def _label_width(chart: ImportChart | None) -> int:
    longest = max((len(bar.module) for bar in chart.bars), default=0) if chart else 0
    return int(longest * CHAR_PX) + 16


def render_html(
    doc: dict[str, Any], *, before: dict[str, Any] | None = None, options: ReportOptions | None = None
) -> str:
    """The report of the JSON document ``doc`` (``to_json(run)``), optionally against ``before``."""
    view = build_view(doc, before=before, options=options)
    template = environment().get_template("report.html")
    return template.render(
        view=view,
        graph=draw(doc["graph"], doc["files"]),
        findings_per_rule=FINDINGS_PER_RULE,
        chart_label=_label_width(view.imports),
        heat_legend=heat_legend(),
    )
