"""The measured-import-time chart: the heaviest externals ``--measure-imports`` timed, before/after.

Only real measurements are charted (``measured_imports`` in the JSON); the bundled estimates are
already in the module table's import-cost column. With ``--compare``, a module measured in both runs
gets its earlier time as a second, thinner bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOP = 15
BAR_AREA = 420  # px for the longest bar
ROW = 24  # px per module


@dataclass(frozen=True, slots=True)
class Bar:
    module: str
    ms: float
    before_ms: float | None
    width: float  # px
    before_width: float | None
    modules_loaded: int


@dataclass(frozen=True)
class ImportChart:
    bars: tuple[Bar, ...]
    measured: int  # modules measured successfully
    failed: tuple[tuple[str, str], ...]  # (module, error)
    scale_ms: float  # the value of a full-width bar
    height: int
    compared: bool  # BEFORE had measurements too


def _ok(measured: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: cost for name, cost in measured.items() if not cost.get("error")}


def import_chart(measured: dict[str, Any], before: dict[str, Any] | None = None) -> ImportChart | None:
    """None when nothing was measured (the report then says "not measured")."""
    if not measured:
        return None
    ok = _ok(measured)
    old = _ok(before or {})
    heaviest = sorted(ok.items(), key=lambda item: (-item[1]["cumulative_us"], item[0]))[:TOP]
    values = [cost["cumulative_us"] / 1000 for _, cost in heaviest]
    values += [old[name]["cumulative_us"] / 1000 for name, _ in heaviest if name in old]
    scale = max(values, default=0.0) or 1.0
    bars = []
    for name, cost in heaviest:
        ms = cost["cumulative_us"] / 1000
        was = old[name]["cumulative_us"] / 1000 if name in old else None
        bars.append(
            Bar(
                module=name,
                ms=round(ms, 1),
                before_ms=round(was, 1) if was is not None else None,
                width=round(BAR_AREA * ms / scale, 1),
                before_width=round(BAR_AREA * was / scale, 1) if was is not None else None,
                modules_loaded=int(cost.get("modules_loaded", 0)),
            )
        )
    failed = tuple(sorted((name, str(cost["error"])) for name, cost in measured.items() if cost.get("error")))
    return ImportChart(
        bars=tuple(bars),
        measured=len(ok),
        failed=failed,
        scale_ms=round(scale, 1),
        height=ROW * len(bars) + 8,
        compared=bool(old),
    )
