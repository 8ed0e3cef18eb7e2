"""Process and host metrics, named like prometheus_client's process collector.

psutil is used when installed (it is an optional extra); otherwise the same values come from
``os.times()``, ``/proc/self/statm``, ``/proc/self/fd`` and ``/proc/self/status`` where those exist
(Linux), and a metric that cannot be read cheaply is left out rather than reported as 0.
psutil's RSS read costs ~30 µs, so the whole set stays well under a millisecond per scrape.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from .metrics import MetricFamily, Sample

__all__ = ["system_families"]

_PSUTIL: list[Any] = []  # [psutil module, its Process()] once imported, or [None, None] when missing


def _psutil() -> tuple[Any, Any]:
    """``(psutil, psutil.Process())``, or ``(None, None)`` without psutil (imported once)."""
    if not _PSUTIL:
        try:  # import_module: psutil is optional and may have no type stubs
            module = importlib.import_module("psutil")
            _PSUTIL.extend((module, module.Process()))
        except ImportError:
            _PSUTIL.extend((None, None))
    return _PSUTIL[0], _PSUTIL[1]


def _page_size() -> int:
    return int(os.sysconf("SC_PAGE_SIZE"))


def _statm(index: int) -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return float(int(handle.read().split()[index]) * _page_size())


def _proc_threads() -> float:
    with open("/proc/self/status", encoding="ascii", errors="replace") as handle:
        for line in handle:
            if line.startswith("Threads:"):
                return float(line.split()[1])
    raise OSError("no Threads: line in /proc/self/status")


def _max_fds() -> float:
    import resource

    return float(resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def _readers() -> list[tuple[str, str, str, Callable[[], float]]]:
    """``(name, type, help, read)`` for every metric, psutil-backed when available."""
    _, process = _psutil()
    if process is not None:
        cpu: Callable[[], float] = lambda: sum(process.cpu_times()[:2])  # noqa: E731
        rss: Callable[[], float] = lambda: float(process.memory_info().rss)  # noqa: E731
        vms: Callable[[], float] = lambda: float(process.memory_info().vms)  # noqa: E731
        fds: Callable[[], float] = lambda: float(process.num_fds())  # noqa: E731
        threads: Callable[[], float] = lambda: float(process.num_threads())  # noqa: E731
        start: Callable[[], float] = lambda: float(process.create_time())  # noqa: E731
    else:
        cpu = lambda: float(sum(os.times()[:2]))  # noqa: E731
        rss = lambda: _statm(1)  # noqa: E731
        vms = lambda: _statm(0)  # noqa: E731
        fds = lambda: float(len(os.listdir("/proc/self/fd")))  # noqa: E731
        threads = _proc_threads
        start = _no_value
    readers: list[tuple[str, str, str, Callable[[], float]]] = [
        ("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpu),
        ("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", rss),
        ("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", vms),
        ("process_open_fds", "gauge", "Number of open file descriptors.", fds),
        ("process_max_fds", "gauge", "Maximum number of open file descriptors.", _max_fds),
        ("process_threads", "gauge", "Number of OS threads in the process.", threads),
        (
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            start,
        ),
    ]
    readers.extend(_host_readers())
    return readers


def _no_value() -> float:
    raise OSError("not available without psutil")


def _host_readers() -> list[tuple[str, str, str, Callable[[], float]]]:
    out: list[tuple[str, str, str, Callable[[], float]]] = []
    if hasattr(os, "getloadavg"):
        for index, minutes in enumerate((1, 5, 15)):
            out.append((f"node_load{minutes}", "gauge", f"{minutes}m load average.", _loadavg_reader(index)))
    psutil, _ = _psutil()
    if psutil is not None:
        out.append(
            (
                "system_cpu_utilization_ratio",
                "gauge",
                "Host CPU utilisation since the previous scrape (0..1; 0 on the first).",
                lambda: psutil.cpu_percent(interval=None) / 100.0,
            )
        )
        out.append(
            (
                "system_memory_available_bytes",
                "gauge",
                "Host memory available to new processes in bytes.",
                lambda: float(psutil.virtual_memory().available),
            )
        )
    return out


def _loadavg_reader(index: int) -> Callable[[], float]:
    return lambda: os.getloadavg()[index]


def system_families() -> list[MetricFamily]:
    """The process/host metrics that can be read here; unreadable ones are omitted."""
    families = []
    for name, kind, documentation, read in _readers():
        try:
            value = read()
        except Exception:  # psutil.Error, OSError...: never fail a scrape over one metric
            continue
        families.append(MetricFamily(name, kind, documentation, (Sample(name, (), float(value)),)))
    return families
