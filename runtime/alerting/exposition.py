"""The Prometheus text exposition format 0.0.4, a prometheus_client bridge and a scrape endpoint.

Format rules (https://prometheus.io/docs/instrumenting/exposition_formats/): one ``# HELP`` and one
``# TYPE`` line per family before its samples; in HELP text ``\\`` and newlines are escaped; in
label values ``\\``, ``"`` and newlines are; values are Go floats (``+Inf``, ``-Inf``, ``NaN``).
Histograms expose cumulative ``_bucket{le=...}`` lines ending with ``le="+Inf"``, then ``_sum``
and ``_count``. Users who already run prometheus_client can register the collector in their
registry instead (``register_with_prometheus``), and anyone can scrape ``serve_metrics``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .metrics import MetricFamily, MetricsCollector, Sample

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

    from prometheus_client.registry import CollectorRegistry

__all__ = [
    "CONTENT_TYPE",
    "MetricsServer",
    "PrometheusBridge",
    "format_value",
    "from_prometheus",
    "register_with_prometheus",
    "render",
    "serve_metrics",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def escape_label_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def format_value(value: float) -> str:
    """A sample value as Go's strconv formats it for Prometheus (integers keep a ``.0``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _sample_line(sample: Sample) -> str:
    if sample.labels:
        pairs = ",".join(f'{name}="{escape_label_value(value)}"' for name, value in sample.labels)
        return f"{sample.name}{{{pairs}}} {format_value(sample.value)}\n"
    return f"{sample.name} {format_value(sample.value)}\n"


def render(families: Iterable[MetricFamily]) -> str:
    """Families in the text format; a name seen twice keeps only its first family (scrapers reject
    duplicates)."""
    out: list[str] = []
    seen: set[str] = set()
    for family in families:
        if family.name in seen:
            continue
        seen.add(family.name)
        out.append(f"# HELP {family.name} {escape_help(family.help)}\n")
        out.append(f"# TYPE {family.name} {family.type}\n")
        out.extend(_sample_line(sample) for sample in family.samples)
    return "".join(out)


# -- prometheus_client bridge ------------------------------------------------------------------


class PrometheusBridge:
    """A prometheus_client custom collector serving a ``MetricsCollector``'s families.

    prometheus_client names a counter family without ``_total`` and writes ``_total`` on its
    samples, so counters are exposed that way (a counter ``jobs`` is scraped as ``jobs_total``).
    System metrics are left out by default: prometheus_client's registry has its own process
    collector, and two families with one name make the registry refuse the bridge.
    """

    def __init__(self, collector: MetricsCollector, *, include_system: bool = False) -> None:
        self.collector = collector
        self.include_system = include_system

    def collect(self) -> Iterator[Any]:
        from prometheus_client.metrics_core import Metric

        for family in self.collector.collect(system=self.include_system and self.collector.system):
            kind = family.type if family.type != "untyped" else "unknown"
            name = family.name
            if kind == "counter":
                name = name.removesuffix("_total")
            metric = Metric(name, family.help, kind)
            for sample in family.samples:
                sample_name = f"{name}_total" if kind == "counter" else sample.name
                metric.add_sample(sample_name, dict(sample.labels), sample.value)
            yield metric


def register_with_prometheus(
    collector: MetricsCollector, registry: CollectorRegistry | None = None, *, include_system: bool = False
) -> PrometheusBridge:
    """Register ``collector`` in ``registry`` (prometheus_client's global REGISTRY by default)."""
    if registry is None:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    bridge = PrometheusBridge(collector, include_system=include_system)
    registry.register(bridge)
    return bridge


def from_prometheus(registry: CollectorRegistry | None = None) -> Callable[[], list[MetricFamily]]:
    """A source for ``MetricsCollector.add_source`` reading a prometheus_client registry.

    The other direction of the bridge: metrics a library already records with prometheus_client
    show up in our exposition (and in rule expressions). Counters get their ``_total`` family
    name back; OpenMetrics-only ``_created`` samples are dropped (the 0.0.4 format has no place
    for them).
    """

    def read() -> list[MetricFamily]:
        source = registry
        if source is None:
            from prometheus_client import REGISTRY

            source = REGISTRY
        return [_family_of(metric) for metric in source.collect()]

    return read


def _family_of(metric: Any) -> MetricFamily:
    kind = {"unknown": "untyped", "info": "gauge", "stateset": "gauge"}.get(metric.type, metric.type)
    name = f"{metric.name}_total" if kind == "counter" else metric.name
    if metric.type == "info":
        name = f"{metric.name}_info"
    samples = tuple(
        Sample(sample.name, tuple(sorted(sample.labels.items())), float(sample.value))
        for sample in metric.samples
        if not sample.name.endswith("_created")
    )
    return MetricFamily(name, kind, metric.documentation, samples)


# -- scrape endpoint ---------------------------------------------------------------------------


class MetricsServer:
    """A tiny HTTP server on a daemon thread answering ``GET /metrics`` (for Prometheus to scrape)."""

    def __init__(self, collector: MetricsCollector, host: str = "127.0.0.1", port: int = 0) -> None:
        import threading  # here, not at import time: only the endpoint needs http.server
        from http.server import ThreadingHTTPServer

        handler = _handler_for(collector)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="codeopt-metrics-http", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = str(self._server.server_address[0])
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _handler_for(collector: MetricsCollector) -> type[BaseHTTPRequestHandler]:
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] not in ("/metrics", "/"):
                self.send_error(404, "only /metrics is served")
                return
            try:
                body = collector.exposition().encode("utf-8")
            except Exception as exc:  # report, keep serving
                self.send_error(500, f"collection failed: {type(exc).__name__}")
                return
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Scrapes every 15 s would flood stderr."""

    return Handler


def serve_metrics(collector: MetricsCollector, host: str = "127.0.0.1", port: int = 0) -> MetricsServer:
    """Start serving ``collector`` at ``http://host:port/metrics`` (port 0: any free port)."""
    return MetricsServer(collector, host, port)
