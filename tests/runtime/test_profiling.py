"""Behaviour of codeopt_runtime.profiling: tracemalloc windows, reports, process memory."""

from __future__ import annotations

import asyncio
import sys
import tracemalloc
import types
from collections.abc import Iterator

import pytest

from codeopt_runtime import profiling
from codeopt_runtime.profiling import (
    AllocationDelta,
    MemoryProfiler,
    MemoryReport,
    memory_window,
    process_rss,
    process_uss,
    profile_memory,
)

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def tracing_off() -> Iterator[None]:
    """Every test starts and ends with tracemalloc off, as a normal process would be."""
    if tracemalloc.is_tracing():
        tracemalloc.stop()
    yield
    if tracemalloc.is_tracing():
        tracemalloc.stop()


def allocate_kept(size: int) -> bytearray:
    return bytearray(size)  # the line reports should point at


def test_start_and_stop_restore_tracing_off() -> None:
    profiler = MemoryProfiler()
    profiler.start()
    assert tracemalloc.is_tracing() and profiler.active
    profiler.stop()
    assert not tracemalloc.is_tracing() and not profiler.active
    profiler.stop()  # idempotent


def test_tracing_already_on_is_left_on_with_its_frame_count() -> None:
    tracemalloc.start(5)
    with MemoryProfiler() as profiler:
        report = profiler.report()
    assert tracemalloc.is_tracing()
    assert tracemalloc.get_traceback_limit() == 5
    assert report.frames == 5


def test_nested_windows_leave_tracing_to_the_outer_one() -> None:
    with memory_window("outer") as outer:
        with memory_window("inner") as inner:
            kept = allocate_kept(MIB)
        assert tracemalloc.is_tracing()
    assert not tracemalloc.is_tracing()
    assert inner.report is not None and outer.report is not None
    assert inner.report.net_bytes >= MIB and outer.report.net_bytes >= MIB
    del kept


def test_window_reports_net_peak_and_the_allocating_line() -> None:
    with memory_window("alloc", top=5) as window:
        kept = allocate_kept(2 * MIB)
        temporary = bytearray(8 * MIB)
        del temporary
    report = window.report
    assert isinstance(report, MemoryReport)
    assert 2 * MIB <= report.net_bytes < 3 * MIB
    assert report.peak_bytes >= 10 * MIB
    assert report.duration_s > 0
    first = report.top[0]
    assert isinstance(first, AllocationDelta)
    line = allocate_kept.__code__.co_firstlineno + 1
    assert first.location == f"{__file__}:{line}"
    assert first.size_diff >= 2 * MIB and first.count_diff >= 1
    assert not any(profiling.__file__ in delta.location for delta in report.top)
    del kept


def test_report_is_produced_even_when_the_block_raises() -> None:
    with pytest.raises(KeyError), memory_window("failing") as window:
        raise KeyError("x")
    assert window.report is not None
    assert not tracemalloc.is_tracing()


def test_window_format_before_exit_is_an_error() -> None:
    with memory_window("open") as window:
        with pytest.raises(RuntimeError, match="still open"):
            window.format()
        assert "open" in repr(window)
    assert "memory window 'open'" in window.format()


def test_format_shows_label_sizes_process_memory_and_top_lines() -> None:
    with memory_window("fmt", top=3, uss=True) as window:
        kept = allocate_kept(MIB)
    text = window.format()
    assert text.startswith("memory window 'fmt'")
    assert "net +1.0 MiB" in text
    assert "peak +" in text
    if window.report is not None and window.report.rss_before is not None:
        assert "RSS " in text
    assert f"{__file__}:" in text and "top " in text
    assert len(window.format(top=1).splitlines()) <= len(text.splitlines())
    del kept


def test_compare_by_filename_and_traceback() -> None:
    profiler = MemoryProfiler(top=3)
    profiler.start(frames=3)
    try:
        before = profiler.snapshot()
        kept = allocate_kept(MIB)
        after = profiler.snapshot()
        by_file = profiler.compare(before, after, key="filename", top=1)
        by_stack = profiler.compare(before, after, key="traceback", top=1)
        assert by_file[0].location == __file__
        assert " <- " in by_stack[0].location and f"{__file__}:" in by_stack[0].location
        with pytest.raises(ValueError, match="key"):
            profiler.compare(before, after, key="function")
        del kept
    finally:
        profiler.stop()


def test_misuse_is_reported() -> None:
    profiler = MemoryProfiler()
    with pytest.raises(RuntimeError, match="start"):
        profiler.snapshot()
    with pytest.raises(RuntimeError, match="start"):
        profiler.report()
    with pytest.raises(ValueError, match="frames"):
        profiler.start(frames=0)
    with pytest.raises(ValueError, match="key"):
        MemoryProfiler(key="function")
    profiler.start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            profiler.start()
    finally:
        profiler.stop()


def test_profile_memory_decorator_reports_each_call() -> None:
    reports: list[MemoryReport] = []

    @profile_memory(top=3, on_report=reports.append)
    def build(size: int) -> bytearray:
        return allocate_kept(size)

    data = build(MIB)
    assert len(data) == MIB
    assert build.__name__ == "build"
    assert len(reports) == 1 and reports[0].net_bytes >= MIB
    assert reports[0].label.endswith("build")
    assert not tracemalloc.is_tracing()


def test_profile_memory_reports_failing_calls_too() -> None:
    reports: list[MemoryReport] = []

    @profile_memory(on_report=reports.append, label="explode")
    def explode() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError):
        explode()
    assert [report.label for report in reports] == ["explode"]


def test_profile_memory_default_output_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    @profile_memory(top=1)
    def work() -> int:
        return 1

    assert work() == 1
    assert "memory window" in capsys.readouterr().err


def test_profile_memory_on_coroutine_functions() -> None:
    reports: list[MemoryReport] = []

    @profile_memory(on_report=reports.append)
    async def fetch() -> bytearray:
        await asyncio.sleep(0)
        return allocate_kept(MIB)

    assert asyncio.iscoroutinefunction(fetch)
    assert len(asyncio.run(fetch())) == MIB
    assert len(reports) == 1 and reports[0].net_bytes >= MIB


def test_process_memory_uses_psutil_when_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeProcess:
        def memory_info(self) -> types.SimpleNamespace:
            return types.SimpleNamespace(rss=123)

        def memory_full_info(self) -> types.SimpleNamespace:
            return types.SimpleNamespace(uss=45)

    monkeypatch.setitem(sys.modules, "psutil", types.SimpleNamespace(Process=FakeProcess))
    monkeypatch.setattr(profiling, "_PROCESS", profiling._ProcessMemory())
    assert (process_rss(), process_uss()) == (123, 45)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc fallback is Linux-only")
def test_process_memory_falls_back_to_proc_without_psutil(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psutil", None)  # makes `import psutil` fail
    monkeypatch.setattr(profiling, "_PROCESS", profiling._ProcessMemory())
    rss, uss = process_rss(), process_uss()
    assert rss is not None and rss > MIB
    assert uss is not None and 0 < uss <= rss * 2


def test_uss_is_read_only_on_request() -> None:
    with memory_window("no-uss") as window:
        pass
    assert window.report is not None and window.report.uss_before is None
    assert window.report.uss_delta is None


def test_report_deltas() -> None:
    report = MemoryReport(
        "x", 0.0, 1, "lineno", 0, 0, (), rss_before=10, rss_after=15, uss_before=3, uss_after=1
    )
    assert (report.rss_delta, report.uss_delta) == (5, -2)
    assert "RSS 10 B -> 15 B (+5 B)" in report.format()
    assert "no allocation growth traced" in report.format()
    with pytest.raises(AttributeError):
        report.label = "y"  # type: ignore[misc]
