"""The ``report`` use case: analyse like ``analyze``, then render HTML or Markdown from the JSON.

The renderers take the versioned JSON document (``to_json(run)``), not the run itself, so the report
shows exactly what ``codeopt analyze --format json`` would have written, and ``--compare`` reads an
earlier such document. A bad ``--compare`` file is rejected before the (possibly long) analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codeopt.commands.analyze import Progress, run_analysis
from codeopt.config import Settings
from codeopt.errors import ConfigError
from codeopt.report.html import render_html
from codeopt.report.json_report import to_json
from codeopt.report.markdown import render_markdown
from codeopt.report.model import AnalysisRun
from codeopt.report.trend import load_before
from codeopt.report.view import ReportOptions

REPORT_FORMATS = ("html", "markdown")


@dataclass(frozen=True)
class Report:
    text: str
    run: AnalysisRun


def run_report(
    paths: Sequence[Path],
    settings: Settings,
    *,
    fmt: str = "html",
    compare: Path | None = None,
    include_plans: bool = False,
    include_diffs: bool = False,
    use_cache: bool = True,
    measure_imports: bool = False,
    progress: Progress | None = None,
    cwd: Path | None = None,
) -> Report:
    if fmt not in REPORT_FORMATS:
        raise ConfigError(f"unknown report format {fmt!r} (choose from {', '.join(REPORT_FORMATS)})")
    cwd = cwd or Path.cwd()
    before = load_before(compare) if compare is not None else None
    run = run_analysis(
        paths, settings, cwd=cwd, use_cache=use_cache, measure_imports=measure_imports, progress=progress
    )
    options = ReportOptions(
        include_plans=include_plans,
        include_diffs=include_diffs,
        compare_label=compare.name if compare is not None else "",
        source_root=cwd,  # the JSON's relative paths are relative to the working directory
    )
    doc = to_json(run)
    render = render_html if fmt == "html" else render_markdown
    return Report(render(doc, before=before, options=options), run)
