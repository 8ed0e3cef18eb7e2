"""MetricsCollector and the text exposition, checked with prometheus_client's own parser."""

from __future__ import annotations

import math
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from codeopt_runtime.alerting import system
from codeopt_runtime.alerting.errors import MetricsError
from codeopt_runtime.alerting.exposition import (
    from_prometheus,
    register_with_prometheus,
    render,
    serve_metrics,
)
from codeopt_runtime.alerting.metrics import MetricFamily, MetricsCollector, Sample
from codeopt_runtime.cache import MemoryCache
from codeopt_runtime.pool import ObjectPool


def parse(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_counter_gauge_histogram_parse_back_with_types_and_values() -> None:
    collector = MetricsCollector(system=False)
    requests = collector.counter("http_requests_total", "Requests served.", ["method", "code"])
    requests.labels("GET", "200").inc(3)
    requests.labels(method="POST", code="500").inc()
    collector.gauge("queue_depth", "Jobs waiting.").set(7)
    latency = collector.histogram("latency_seconds", "Latency.", buckets=[0.1, 0.5, 1])
    for value in (0.05, 0.1, 0.3, 0.7, 3.0):
        latency.observe(value)

    text = collector.exposition()
    families = parse(text)
    assert families["http_requests"].type == "counter"  # the parser strips _total from counter families
    assert families["queue_depth"].type == "gauge"
    assert families["latency_seconds"].type == "histogram"
    values = samples(text)
    assert values[("http_requests_total", (("code", "200"), ("method", "GET")))] == 3
    assert values[("http_requests_total", (("code", "500"), ("method", "POST")))] == 1
    assert values[("queue_depth", ())] == 7
    # le is inclusive and buckets are cumulative, +Inf equals the count
    assert [values[("latency_seconds_bucket", (("le", le),))] for le in ("0.1", "0.5", "1.0", "+Inf")] == [
        2,
        3,
        4,
        5,
    ]
    assert values[("latency_seconds_count", ())] == 5
    assert values[("latency_seconds_sum", ())] == pytest.approx(4.15)
    assert "# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\n" in text


def test_escaping_of_help_and_label_values_round_trips() -> None:
    collector = MetricsCollector(system=False)
    gauge = collector.gauge("weird", 'Back\\slash and\nnewline "quoted"', ["path"])
    nasty = 'C:\\dir\\"file"\nnext'
    gauge.labels(path=nasty).set(1.5)
    text = collector.exposition()
    assert '# HELP weird Back\\\\slash and\\nnewline "quoted"\n' in text
    assert 'weird{path="C:\\\\dir\\\\\\"file\\"\\nnext"} 1.5\n' in text
    family = parse(text)["weird"]
    assert family.documentation == 'Back\\slash and\nnewline "quoted"'
    assert family.samples[0].labels == {"path": nasty}


def test_special_float_values_are_go_formatted() -> None:
    family = MetricFamily("x", "gauge", "", (
        Sample("x", (("k", "a"),), math.inf),
        Sample("x", (("k", "b"),), -math.inf),
        Sample("x", (("k", "c"),), math.nan),
    ))  # fmt: skip
    text = render([family])
    assert 'x{k="a"} +Inf\nx{k="b"} -Inf\nx{k="c"} NaN\n' in text
    parsed = parse(text)["x"].samples
    assert parsed[0].value == math.inf and parsed[1].value == -math.inf and math.isnan(parsed[2].value)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.counter("9bad"), "invalid metric name"),
        (lambda c: c.gauge("ok", labelnames=["__reserved"]), "invalid label name"),
        (lambda c: c.histogram("h", labelnames=["le"]), "reserved"),
        (lambda c: c.counter("c").inc(-1), "only increase"),
        (lambda c: c.counter("c2", labelnames=["a"]).inc(), "use .labels"),
        (lambda c: c.counter("c3", labelnames=["a"]).labels("x", "y"), "expected 1 label values"),
        (lambda c: (c.counter("dup"), c.gauge("dup")), "already registered"),
    ],
)
def test_misuse_raises_metrics_error(call: object, message: str) -> None:
    collector = MetricsCollector(system=False)
    with pytest.raises(MetricsError, match=message):
        call(collector)  # type: ignore[operator]


def test_registration_returns_the_existing_metric() -> None:
    collector = MetricsCollector(system=False)
    first = collector.counter("jobs_total", "", ["queue"])
    assert collector.counter("jobs_total", "", ["queue"]) is first


def test_gauge_function_is_read_at_collection() -> None:
    collector = MetricsCollector(system=False)
    box = [1.0]
    collector.gauge("live").set_function(lambda: box[0])
    box[0] = 42.0
    assert samples(collector.exposition())[("live", ())] == 42.0


@dataclass
class _DataclassStats:
    hits: int
    ratio: float
    healthy: bool


class _Broken:
    def stats(self) -> dict[str, int]:
        raise RuntimeError("boom")


def test_runtime_components_are_exposed_from_pool_cache_and_dataclass_stats() -> None:
    collector = MetricsCollector(system=False)
    pool = ObjectPool(object, max_size=3)
    with pool.acquire():
        collector.register_component("db_pool", pool)
        cache = MemoryCache(maxsize=10)
        cache.set("k", 1)
        cache.get("k")
        cache.get("missing")
        collector.register_component("l1", cache)
        collector.register_component("custom", type("C", (), {"stats": _DataclassStats(5, 0.5, True)})())
        collector.register_component("broken", _Broken())
        values = samples(collector.exposition())
    assert values[("codeopt_runtime_db_pool_in_use", ())] == 1
    assert values[("codeopt_runtime_db_pool_created", ())] == 1
    assert values[("codeopt_runtime_l1_hits", ())] == 1
    assert values[("codeopt_runtime_l1_misses", ())] == 1
    assert ("codeopt_runtime_l1_policy", (("value", cache.stats()["policy"]),)) in values
    assert values[("codeopt_runtime_custom_hits", ())] == 5
    assert values[("codeopt_runtime_custom_healthy", ())] == 1
    assert values[("codeopt_runtime_broken_up", ())] == 0
    assert values[("codeopt_runtime_db_pool_up", ())] == 1


def test_component_without_stats_is_refused() -> None:
    with pytest.raises(MetricsError, match="no stats"):
        MetricsCollector(system=False).register_component("x", object())


def test_system_metrics_with_psutil() -> None:
    values = samples(MetricsCollector().exposition())
    assert values[("process_resident_memory_bytes", ())] > 1_000_000
    assert values[("process_open_fds", ())] >= 3
    assert values[("process_threads", ())] >= 1
    assert values[("process_cpu_seconds_total", ())] > 0


def test_system_metrics_fall_back_to_proc_without_psutil(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(system, "_PSUTIL", [None, None])
    names = {family.name: family for family in system.system_families()}
    assert "system_cpu_utilization_ratio" not in names  # psutil-only
    assert names["process_cpu_seconds_total"].samples[0].value > 0
    assert names["process_resident_memory_bytes"].samples[0].value > 1_000_000
    assert names["process_threads"].samples[0].value >= 1


def test_bridge_into_a_prometheus_client_registry() -> None:
    collector = MetricsCollector(system=False)
    collector.counter("jobs", "Jobs.").inc(2)
    collector.counter("tasks_total", "Tasks.").inc(5)
    collector.histogram("size_bytes", "Size.", buckets=[10]).observe(3)
    registry = CollectorRegistry()
    register_with_prometheus(collector, registry)
    text = generate_latest(registry).decode()
    values = samples(text)
    assert values[("jobs_total", ())] == 2  # prometheus_client's convention for counters
    assert values[("tasks_total", ())] == 5
    assert values[("size_bytes_bucket", (("le", "10.0"),))] == 1
    assert registry.get_sample_value("tasks_total") == 5


def test_http_endpoint_serves_the_exposition() -> None:
    collector = MetricsCollector(system=False)
    collector.gauge("up_gauge").set(1)
    with serve_metrics(collector) as server:
        with urllib.request.urlopen(server.url, timeout=5) as response:
            assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            body = response.read().decode()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(server.url.replace("/metrics", "/nope"), timeout=5)
        assert missing.value.code == 404
    assert samples(body)[("up_gauge", ())] == 1


def test_snapshot_values_sum_over_matching_series() -> None:
    collector = MetricsCollector(system=False)
    counter = collector.counter("req_total", "", ["code"])
    counter.labels("200").inc(5)
    counter.labels("500").inc(2)
    assert collector.value("req_total") == 7
    assert collector.value("req_total", code="500") == 2
    assert collector.value("req_total", code="404") is None
    assert collector.value("absent") is None


def test_bridge_from_a_prometheus_client_registry_into_our_exposition() -> None:
    from prometheus_client import Counter, Gauge, Histogram

    registry = CollectorRegistry()
    Counter("lib_calls", "Calls.", ["kind"], registry=registry).labels("read").inc(4)
    Gauge("lib_open", "Open.", registry=registry).set(2)
    Histogram("lib_seconds", "Time.", buckets=[1.0], registry=registry).observe(0.5)
    collector = MetricsCollector(system=False)
    collector.add_source(from_prometheus(registry))
    collector.add_source(lambda: 1 / 0)  # type: ignore[arg-type, return-value]  # skipped, not fatal
    text = collector.exposition()
    values = samples(text)
    assert values[("lib_calls_total", (("kind", "read"),))] == 4
    assert values[("lib_open", ())] == 2
    assert values[("lib_seconds_bucket", (("le", "1.0"),))] == 1
    assert "_created" not in text
    assert "# TYPE lib_calls_total counter" in text
    assert collector.value("lib_calls_total", kind="read") == 4


def test_bridge_into_the_global_registry_leaves_process_metrics_to_prometheus_client() -> None:
    from prometheus_client import REGISTRY

    collector = MetricsCollector()  # system metrics on: would clash with REGISTRY's process collector
    collector.gauge("bridged_gauge").set(3)
    bridge = register_with_prometheus(collector)
    try:
        text = generate_latest(REGISTRY).decode()
    finally:
        REGISTRY.unregister(bridge)
    assert samples(text)[("bridged_gauge", ())] == 3
    assert text.count("# TYPE process_resident_memory_bytes gauge") <= 1
