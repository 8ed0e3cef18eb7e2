"""Runtime component stats (pools, caches, anything with ``stats``) as gauge families.

Components describe themselves in different shapes: ``ObjectPool.stats()`` returns a slotted
object with ``as_dict()``, caches return (nested) dicts, user code returns dataclasses. They are
all flattened to ``{prefix}_{field}`` gauges here, so any of them can be scraped and alerted on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from .metrics import LabelPairs, MetricFamily, Sample, sanitize_name

__all__ = ["component_families", "flatten_stats", "stats_mapping", "stats_reader"]


def stats_reader(component: object) -> Callable[[], object] | None:
    stats = getattr(component, "stats", None)
    if stats is None:
        return None
    if callable(stats):
        return stats  # type: ignore[no-any-return]
    return lambda: getattr(component, "stats", None)


def stats_mapping(stats: object) -> Mapping[str, object]:
    """A stats value (mapping, dataclass, ``as_dict()``, slotted or plain object) as a mapping."""
    if isinstance(stats, Mapping):
        return stats
    as_dict = getattr(stats, "as_dict", None) or getattr(stats, "_asdict", None)
    if callable(as_dict):
        result = as_dict()
        if isinstance(result, Mapping):
            return result
    fields = getattr(stats, "__dataclass_fields__", None)
    if isinstance(fields, Mapping):
        return {name: getattr(stats, name) for name in fields}
    slots = getattr(type(stats), "__slots__", None)
    if slots:
        names = (slots,) if isinstance(slots, str) else slots
        return {name: getattr(stats, name) for name in names if hasattr(stats, name)}
    return dict(getattr(stats, "__dict__", {}))


def flatten_stats(stats: object, prefix: str = "") -> Iterator[tuple[str, float | str]]:
    """``(field_path, value)`` for every number (bools as 0/1) or short string in ``stats``."""
    for key, value in stats_mapping(stats).items():
        path = f"{prefix}_{sanitize_name(str(key))}" if prefix else sanitize_name(str(key))
        if isinstance(value, bool | int | float):
            yield path, float(value)
        elif isinstance(value, str):
            yield path, value
        elif value is not None and not isinstance(value, bytes | list | tuple | set):
            yield from flatten_stats(value, path)


def component_families(prefix: str, component: object) -> list[MetricFamily]:
    """Gauges for one component's stats; a failing ``stats()`` yields an ``_up`` of 0, not an error.

    Text fields (a breaker's ``state``, a cache's ``policy``) become ``{prefix}_{field}{value="..."} 1``
    so that a rule can still match on them.
    """
    reader = stats_reader(component)
    families = []
    try:
        stats = reader() if reader is not None else None
        fields = list(flatten_stats(stats))
        up = 1.0
    except Exception:
        fields, up = [], 0.0
    up_sample = Sample(f"{prefix}_up", (), up)
    up_help = "1 if the component's stats could be read"
    families.append(MetricFamily(f"{prefix}_up", "gauge", up_help, (up_sample,)))
    for path, value in fields:
        name = f"{prefix}_{path}"
        labels: LabelPairs = (("value", value),) if isinstance(value, str) else ()
        sample = Sample(name, labels, 1.0 if isinstance(value, str) else value)
        families.append(MetricFamily(name, "gauge", f"{prefix} stats field {path}", (sample,)))
    return families
