"""Application metrics (counters, gauges, histograms with labels) and the collector that gathers them.

The model is Prometheus's, so that what users register here reads the same once scraped: a metric
family has a name, a help text, a type and label names; each distinct tuple of label values is a
child series. ``MetricsCollector`` also gathers process/system metrics (``system.py``) and the
``stats()`` of runtime components (pools, caches), and renders the lot in the text exposition
format (``exposition.py``). Rules read values back through ``Snapshot`` without rendering text.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple

from .errors import MetricsError

__all__ = [
    "DEFAULT_BUCKETS",
    "Counter",
    "Gauge",
    "Histogram",
    "LabelPairs",
    "MetricFamily",
    "MetricsCollector",
    "Sample",
    "Snapshot",
]

LabelPairs = tuple[tuple[str, str], ...]

#: prometheus_client's default buckets (seconds): request latencies from 5 ms to 10 s.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, math.inf,
)  # fmt: skip

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_NOT_NAME_CHAR = re.compile(r"[^a-zA-Z0-9_:]")


class Sample(NamedTuple):
    """One line of exposition: ``name{labels} value`` (a tuple: built for every series at every
    collection, so it must be cheap)."""

    name: str
    labels: LabelPairs
    value: float


class MetricFamily(NamedTuple):
    """A metric with its HELP/TYPE and every sample (histograms: _bucket, _sum, _count lines)."""

    name: str
    type: str
    help: str
    samples: tuple[Sample, ...]


def check_metric_name(name: str) -> str:
    if not _METRIC_NAME.match(name):
        raise MetricsError(f"invalid metric name {name!r}: must match [a-zA-Z_:][a-zA-Z0-9_:]*")
    return name


def check_label_names(names: Iterable[str], *, reserved: Sequence[str] = ()) -> tuple[str, ...]:
    out = tuple(names)
    for name in out:
        if not _LABEL_NAME.match(name) or name.startswith("__"):
            raise MetricsError(f"invalid label name {name!r}: must match [a-zA-Z_][a-zA-Z0-9_]*, no '__'")
        if name in reserved:
            raise MetricsError(f"label name {name!r} is reserved for this metric type")
    if len(set(out)) != len(out):
        raise MetricsError(f"duplicate label names in {out!r}")
    return out


def sanitize_name(text: str) -> str:
    """``text`` turned into a valid metric name fragment (invalid characters become ``_``)."""
    cleaned = _NOT_NAME_CHAR.sub("_", text)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"_{cleaned}"


class _Metric:
    """A family with label names and one child per label-value tuple (created on first use)."""

    type_name = "untyped"
    _reserved: tuple[str, ...] = ()

    def __init__(self, name: str, documentation: str = "", labelnames: Iterable[str] = ()) -> None:
        self.name = check_metric_name(name)
        self.documentation = documentation
        self.labelnames = check_label_names(labelnames, reserved=self._reserved)
        self._lock = threading.Lock()
        self._children: dict[tuple[str, ...], list[float]] = {}
        self._pairs: dict[tuple[str, ...], LabelPairs] = {}  # label pairs per child, built once
        if not self.labelnames:
            self._children[()] = self._new_cell()
            self._pairs[()] = ()

    def _new_cell(self) -> list[float]:
        return [0.0]

    def _key(self, values: tuple[object, ...], kwargs: Mapping[str, object]) -> tuple[str, ...]:
        if values and kwargs:
            raise MetricsError(f"{self.name}: pass label values by position or by name, not both")
        if kwargs:
            if set(kwargs) != set(self.labelnames):
                raise MetricsError(f"{self.name}: expected labels {self.labelnames}, got {sorted(kwargs)}")
            return tuple(str(kwargs[name]) for name in self.labelnames)
        if len(values) != len(self.labelnames):
            expected = len(self.labelnames)
            raise MetricsError(f"{self.name}: expected {expected} label values, got {len(values)}")
        return tuple(str(value) for value in values)

    def _cell(self, values: tuple[object, ...], kwargs: Mapping[str, object]) -> list[float]:
        key = self._key(values, kwargs)
        cell = self._children.get(key)
        if cell is None:
            with self._lock:
                self._pairs.setdefault(key, tuple(zip(self.labelnames, key, strict=True)))
                cell = self._children.setdefault(key, self._new_cell())
        return cell

    def _only(self) -> list[float]:
        if self.labelnames:
            raise MetricsError(f"{self.name} has labels {self.labelnames}: use .labels(...) first")
        return self._children[()]

    def remove(self, *values: object, **kwargs: object) -> None:
        """Forget one child series (e.g. a worker that went away)."""
        key = self._key(values, kwargs)
        with self._lock:
            self._children.pop(key, None)
            self._pairs.pop(key, None)

    def _items(self) -> list[tuple[LabelPairs, list[float]]]:
        """``(label pairs, copy of the cell)`` per child, copied under the lock (consistent)."""
        pairs = self._pairs
        with self._lock:
            return [(pairs[key], cell[:]) for key, cell in self._children.items()]

    def family(self) -> MetricFamily:
        name, pairs = self.name, self._pairs
        with self._lock:
            samples = tuple([Sample(name, pairs[key], cell[0]) for key, cell in self._children.items()])
        return MetricFamily(name, self.type_name, self.documentation, samples)


class _CounterChild:
    __slots__ = ("_cell", "_lock", "_name")

    def __init__(self, name: str, cell: list[float], lock: threading.Lock) -> None:
        self._name, self._cell, self._lock = name, cell, lock

    def inc(self, amount: float = 1.0) -> None:
        if amount < 0:
            raise MetricsError(f"counter {self._name} can only increase (got {amount})")
        with self._lock:
            self._cell[0] += amount

    @property
    def value(self) -> float:
        return self._cell[0]


class Counter(_Metric):
    """A monotonically increasing value; name it ``..._total`` as Prometheus recommends."""

    type_name = "counter"

    def labels(self, *values: object, **kwargs: object) -> _CounterChild:
        return _CounterChild(self.name, self._cell(values, kwargs), self._lock)

    def inc(self, amount: float = 1.0) -> None:
        _CounterChild(self.name, self._only(), self._lock).inc(amount)

    @property
    def value(self) -> float:
        return self._only()[0]


class _GaugeChild:
    __slots__ = ("_cell", "_lock")

    def __init__(self, cell: list[float], lock: threading.Lock) -> None:
        self._cell, self._lock = cell, lock

    def set(self, value: float) -> None:
        self._cell[0] = float(value)

    def inc(self, amount: float = 1.0) -> None:
        with self._lock:
            self._cell[0] += amount

    def dec(self, amount: float = 1.0) -> None:
        self.inc(-amount)

    @property
    def value(self) -> float:
        return self._cell[0]


class Gauge(_Metric):
    """A value that goes up and down; ``set_function`` reads it from a callable at collection."""

    type_name = "gauge"

    def __init__(self, name: str, documentation: str = "", labelnames: Iterable[str] = ()) -> None:
        super().__init__(name, documentation, labelnames)
        self._function: Callable[[], float] | None = None

    def labels(self, *values: object, **kwargs: object) -> _GaugeChild:
        return _GaugeChild(self._cell(values, kwargs), self._lock)

    def set(self, value: float) -> None:
        self._only()[0] = float(value)

    def inc(self, amount: float = 1.0) -> None:
        _GaugeChild(self._only(), self._lock).inc(amount)

    def dec(self, amount: float = 1.0) -> None:
        self.inc(-amount)

    def set_function(self, function: Callable[[], float]) -> None:
        """Read the value from ``function()`` whenever the gauge is collected (unlabelled gauges)."""
        self._only()
        self._function = function

    @property
    def value(self) -> float:
        if self._function is not None:
            self._only()[0] = float(self._function())
        return self._only()[0]

    def family(self) -> MetricFamily:
        if self._function is not None:
            _ = self.value
        return super().family()


class _HistogramChild:
    __slots__ = ("_bounds", "_cell", "_lock")

    def __init__(self, bounds: tuple[float, ...], cell: list[float], lock: threading.Lock) -> None:
        self._bounds, self._cell, self._lock = bounds, cell, lock

    def observe(self, value: float) -> None:
        index = bisect_left(self._bounds, value)  # first bucket whose upper bound (le) >= value
        with self._lock:
            cell = self._cell
            cell[index + 2] += 1
            cell[0] += value
            cell[1] += 1


class Histogram(_Metric):
    """Observations counted in cumulative buckets (``le`` upper bounds, ``+Inf`` always last).

    A child cell is ``[sum, count, n_bucket0, n_bucket1, ...]`` with per-bucket (not cumulative)
    counts; exposition makes them cumulative.
    """

    type_name = "histogram"
    _reserved = ("le",)

    def __init__(
        self,
        name: str,
        documentation: str = "",
        labelnames: Iterable[str] = (),
        buckets: Iterable[float] = DEFAULT_BUCKETS,
    ) -> None:
        bounds = sorted(float(bound) for bound in buckets)
        if not bounds or any(math.isnan(bound) for bound in bounds) or len(set(bounds)) != len(bounds):
            raise MetricsError(f"histogram {name}: buckets must be distinct numbers, got {list(buckets)}")
        if bounds[-1] != math.inf:
            bounds.append(math.inf)
        self.buckets = tuple(bounds)
        super().__init__(name, documentation, labelnames)

    def _new_cell(self) -> list[float]:
        return [0.0] * (len(self.buckets) + 2)

    def labels(self, *values: object, **kwargs: object) -> _HistogramChild:
        return _HistogramChild(self.buckets, self._cell(values, kwargs), self._lock)

    def observe(self, value: float) -> None:
        _HistogramChild(self.buckets, self._only(), self._lock).observe(value)

    def family(self) -> MetricFamily:
        samples: list[Sample] = []
        for labels, cell in self._items():
            running = 0.0
            for bound, count in zip(self.buckets, cell[2:], strict=True):
                running += count
                samples.append(Sample(f"{self.name}_bucket", (*labels, ("le", format_bound(bound))), running))
            samples.append(Sample(f"{self.name}_sum", labels, cell[0]))
            samples.append(Sample(f"{self.name}_count", labels, cell[1]))
        return MetricFamily(self.name, self.type_name, self.documentation, tuple(samples))


def format_bound(bound: float) -> str:
    """A bucket bound as Prometheus writes it in ``le``: ``0.1``, ``1.0``, ``+Inf``."""
    return "+Inf" if bound == math.inf else repr(float(bound))


class Snapshot:
    """Every sample of one collection, indexed by name, for rules that read many values per tick."""

    __slots__ = ("_by_name",)

    def __init__(self, families: Iterable[MetricFamily]) -> None:
        by_name: dict[str, list[Sample]] = {}
        for family in families:
            for sample in family.samples:
                by_name.setdefault(sample.name, []).append(sample)
        self._by_name = by_name

    def series(self, name: str) -> list[tuple[dict[str, str], float]]:
        """Every series of ``name`` as ``(labels, value)`` (a PromQL instant vector)."""
        return [(dict(sample.labels), sample.value) for sample in self._by_name.get(name, ())]

    def value(self, name: str, **labels: str) -> float | None:
        """The value of the series of ``name`` whose labels include ``labels``; None if absent.

        With several matching series the values are summed (like ``sum(name{labels})``).
        """
        wanted = set(labels.items())
        found = [s.value for s in self._by_name.get(name, ()) if wanted.issubset(s.labels)]
        return math.fsum(found) if found else None

    def names(self) -> list[str]:
        return sorted(self._by_name)


class MetricsCollector:
    """The registry: user metrics, system metrics and runtime component stats, in one collection.

    ``system=True`` adds process metrics (CPU seconds, RSS, open fds, threads, ...), read through
    psutil when installed and from /proc or the stdlib otherwise. Components are any objects with
    a ``stats()`` method or ``stats`` attribute giving a mapping, dataclass or slotted object
    (``ObjectPool``, ``MemoryCache``, ``MultiLevelCache``...): each numeric field becomes a gauge
    ``{prefix}_{component}_{field}`` (nested mappings joined with ``_``).
    """

    def __init__(self, *, system: bool = True, component_prefix: str = "codeopt_runtime") -> None:
        self.system = system
        self.component_prefix = sanitize_name(component_prefix)
        self._metrics: dict[str, _Metric] = {}
        self._components: dict[str, object] = {}
        self._sources: list[Callable[[], Iterable[MetricFamily]]] = []
        self._lock = threading.Lock()

    # -- registration ---------------------------------------------------------------------

    def _register(self, metric: _Metric) -> _Metric:
        with self._lock:
            existing = self._metrics.get(metric.name)
            if existing is None:
                self._metrics[metric.name] = metric
                return metric
        if type(existing) is not type(metric) or existing.labelnames != metric.labelnames:
            raise MetricsError(
                f"metric {metric.name} is already registered as {existing.type_name} "
                f"with labels {existing.labelnames}"
            )
        return existing

    def counter(self, name: str, documentation: str = "", labelnames: Iterable[str] = ()) -> Counter:
        """The counter ``name`` (created on first call; later calls return the same object)."""
        metric = self._register(Counter(name, documentation, labelnames))
        assert isinstance(metric, Counter)
        return metric

    def gauge(self, name: str, documentation: str = "", labelnames: Iterable[str] = ()) -> Gauge:
        metric = self._register(Gauge(name, documentation, labelnames))
        assert isinstance(metric, Gauge)
        return metric

    def histogram(
        self,
        name: str,
        documentation: str = "",
        labelnames: Iterable[str] = (),
        buckets: Iterable[float] = DEFAULT_BUCKETS,
    ) -> Histogram:
        metric = self._register(Histogram(name, documentation, labelnames, buckets))
        assert isinstance(metric, Histogram)
        return metric

    def unregister(self, name: str) -> None:
        with self._lock:
            self._metrics.pop(name, None)

    def register_component(self, name: str, component: object) -> None:
        """Expose ``component``'s stats under ``{prefix}_{name}_...`` at every collection."""
        from .components import stats_reader

        if stats_reader(component) is None:
            raise MetricsError(f"component {name!r} has no stats() method or stats attribute")
        with self._lock:
            self._components[sanitize_name(name)] = component

    def add_source(self, source: Callable[[], Iterable[MetricFamily]]) -> None:
        """Add families produced by ``source()`` at every collection (e.g. ``from_prometheus``).

        A source that raises is skipped for that collection rather than failing the scrape.
        """
        with self._lock:
            self._sources.append(source)

    def unregister_component(self, name: str) -> None:
        with self._lock:
            self._components.pop(sanitize_name(name), None)

    # -- collection -----------------------------------------------------------------------

    def collect(self, *, system: bool | None = None) -> list[MetricFamily]:
        """Every family: user metrics, components, added sources, then system metrics (unless
        ``system`` is False, or None and the collector was created with ``system=False``)."""
        with self._lock:
            metrics = list(self._metrics.values())
            components = list(self._components.items())
            sources = list(self._sources)
        families = [metric.family() for metric in metrics]
        if components:
            from .components import component_families
        for name, component in components:
            families.extend(component_families(f"{self.component_prefix}_{name}", component))
        for source in sources:
            try:
                families.extend(source())
            except Exception:  # one broken source must not take the whole scrape down
                continue
        if self.system if system is None else system:
            from .system import system_families

            families.extend(system_families())
        return families

    def snapshot(self) -> Snapshot:
        return Snapshot(self.collect())

    def value(self, name: str, **labels: str) -> float | None:
        """Current value of one series (sum over series whose labels include ``labels``)."""
        metric = self._metrics.get(name)
        if metric is not None:
            return Snapshot([metric.family()]).value(name, **labels)
        return self.snapshot().value(name, **labels)

    def exposition(self) -> str:
        """The collection in the Prometheus text format 0.0.4."""
        from .exposition import render

        return render(self.collect())

    def __iter__(self) -> Iterator[MetricFamily]:
        return iter(self.collect())
