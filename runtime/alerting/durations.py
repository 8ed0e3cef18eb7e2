"""Durations written as Prometheus writes them (``"30s"``, ``"5m"``, ``"1h30m"``, ``"3d"``) or as seconds.

Rules, routes, silences, escalations and hooks copied from an existing Prometheus/Alertmanager
configuration can keep their duration strings.
"""

from __future__ import annotations

import math
import re

from .errors import ConfigError

__all__ = ["Duration", "seconds"]

Duration = float | int | str

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0, "y": 365 * 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")


def seconds(value: Duration, what: str = "duration") -> float:
    """``value`` in seconds: numbers as they are, strings in Prometheus's duration syntax."""
    if isinstance(value, bool):
        raise ConfigError(f"{what}: expected seconds or a duration like '5m', got {value!r}")
    if isinstance(value, int | float):
        if math.isnan(value):
            raise ConfigError(f"{what}: NaN is not a duration")
        return float(value)
    text = value.strip()
    position, total = 0, 0.0
    for part in _PART.finditer(text):
        if part.start() != position:
            break
        total += float(part.group(1)) * _UNITS[part.group(2)]
        position = part.end()
    if not text or position != len(text):
        raise ConfigError(f"{what}: cannot parse duration {value!r} (use e.g. '90s', '5m', '1h30m', '3d')")
    return total
