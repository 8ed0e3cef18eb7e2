"""Maintainability index on radon's 0-100 scale (``radon.metrics.mi_compute``).

radon feeds the formula with the module's Halstead volume, its total cyclomatic complexity, its
*logical* line count (radon passes ``lloc`` where the formula names SLOC) and the percentage of
comment lines per source line, counting multi-line strings as comments (``radon mi``'s default).
The same inputs come from codeopt's own passes, so no radon visitor runs twice.
"""

from __future__ import annotations

import math

from codeopt.analysis.model import RawMetrics


def mi_compute(halstead_volume: float, complexity: int, lines: int, comment_percent: float) -> float:
    """radon's formula: 171 - 5.2 ln V - 0.23 CC - 16.2 ln L + 50 sin(sqrt(2.46 rad(C))), scaled to 100."""
    if halstead_volume <= 0 or lines <= 0:
        return 100.0
    unscaled = (
        171
        - 5.2 * math.log(halstead_volume)
        - 0.23 * complexity
        - 16.2 * math.log(lines)
        + 50 * math.sin(math.sqrt(2.46 * math.radians(comment_percent)))
    )
    return min(max(0.0, unscaled * 100 / 171.0), 100.0)


def maintainability_index(
    raw: RawMetrics, halstead_volume: float, cc_total: int, multi: bool = True
) -> float:
    """``radon.metrics.mi_visit(text, multi)`` computed from already measured inputs."""
    comment_lines = raw.comments + (raw.multi if multi else 0)
    comment_percent = comment_lines / float(raw.sloc) * 100 if raw.sloc else 0
    return mi_compute(halstead_volume, cc_total, raw.lloc, comment_percent)
