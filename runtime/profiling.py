"""Opt-in memory measurement windows: tracemalloc deltas plus process RSS/USS.

Why windows: tracemalloc slows allocation-heavy code 2.8x (1 frame) to 8.5x (25 frames), so it must
be on only around the code being measured, and it is process-global, so a window must put it back
the way it found it. Nothing here runs at import: tracemalloc and psutil are imported on first use.

* ``MemoryProfiler``: ``start(frames=1)``, ``snapshot()``, ``compare(old, new, key, top)``,
  ``report()``, ``stop()`` - the primitives.
* ``with memory_window("label") as window: ...`` then ``window.report`` / ``window.format()``.
* ``@profile_memory(top=10)``: a window around every call (sync or async), reported to stderr or to
  a callback.

RSS comes from psutil when it is installed (``memory_info``, ~30 us) and from ``/proc/self/statm``
otherwise; USS (``memory_full_info``, ~0.5 ms, or ``/proc/self/smaps_rollup``) only on request.
For whole-program profiling use memray or scalene; this is for a window around one code path.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    import tracemalloc
    from collections.abc import Awaitable, Callable, Iterator
    from typing import Any, ParamSpec, TypeVar

    _P = ParamSpec("_P")
    _R = TypeVar("_R")

__all__ = [
    "AllocationDelta",
    "MemoryProfiler",
    "MemoryReport",
    "MemoryWindow",
    "memory_window",
    "process_rss",
    "process_uss",
    "profile_memory",
]

_KEYS = ("lineno", "filename", "traceback")
_IGNORED_FILES = (
    "<frozen importlib._bootstrap>",
    "<frozen importlib._bootstrap_external>",
    "<unknown>",
)


# --------------------------------------------------------------------------------------------
# Process memory


def _statm_rss() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _smaps_uss() -> int | None:
    try:
        with open("/proc/self/smaps_rollup", "rb") as smaps:
            total = 0
            for line in smaps:
                if line.startswith((b"Private_Clean:", b"Private_Dirty:", b"Private_Hugetlb:")):
                    total += int(line.split()[1]) * 1024
            return total
    except (OSError, ValueError, IndexError):
        return None


class _ProcessMemory:
    """Reads RSS/USS, through psutil if it can be imported (once), else from /proc."""

    def __init__(self) -> None:
        self._process: Any = None
        self._tried = False

    def _psutil_process(self) -> Any:
        if not self._tried:
            self._tried = True
            try:  # import_module: psutil is optional and may have no type stubs
                psutil = importlib.import_module("psutil")
            except ImportError:
                self._process = None
            else:
                self._process = psutil.Process()
        return self._process

    def rss(self) -> int | None:
        process = self._psutil_process()
        if process is not None:
            return int(process.memory_info().rss)
        return _statm_rss()

    def uss(self) -> int | None:
        process = self._psutil_process()
        if process is not None:
            try:
                return int(process.memory_full_info().uss)
            except Exception:  # AccessDenied on some platforms: fall back to /proc
                pass
        return _smaps_uss()


_PROCESS = _ProcessMemory()


def process_rss() -> int | None:
    """Resident set size of this process in bytes (None if it cannot be read here)."""
    return _PROCESS.rss()


def process_uss() -> int | None:
    """Unique set size (memory freed if this process exited) in bytes; costs ~0.5 ms."""
    return _PROCESS.uss()


# --------------------------------------------------------------------------------------------
# Reports


def _format_bytes(value: int, *, signed: bool = False) -> str:
    sign = ("+" if value >= 0 else "-") if signed else ("-" if value < 0 else "")
    size = float(abs(value))
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{sign}{size:.0f} {unit}" if unit == "B" else f"{sign}{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class AllocationDelta:
    """Growth of the memory allocated at one place between two snapshots."""

    location: str  #: ``file:line`` (key="lineno"), a file, or a "<-"-joined stack (key="traceback")
    size_diff: int  #: bytes allocated there at the end minus at the start (may be negative)
    count_diff: int  #: same for the number of memory blocks
    size: int  #: bytes allocated there at the end
    count: int  #: blocks allocated there at the end


@dataclass(frozen=True)
class MemoryReport:
    """What a measurement window saw. Sizes are bytes; ``None`` means "not measured here"."""

    label: str
    duration_s: float
    frames: int  #: tracemalloc frames per allocation in effect (1 unless it was already on)
    key: str
    net_bytes: int  #: traced memory at the end minus at the start (what the window kept)
    peak_bytes: int  #: highest traced memory during the window minus at the start
    top: tuple[AllocationDelta, ...]
    rss_before: int | None = None
    rss_after: int | None = None
    uss_before: int | None = None
    uss_after: int | None = None

    @property
    def rss_delta(self) -> int | None:
        if self.rss_before is None or self.rss_after is None:
            return None
        return self.rss_after - self.rss_before

    @property
    def uss_delta(self) -> int | None:
        if self.uss_before is None or self.uss_after is None:
            return None
        return self.uss_after - self.uss_before

    def format(self, *, top: int | None = None) -> str:
        """A short text report, largest growth first."""
        frames = f"{self.frames} frame" + ("s" if self.frames != 1 else "")
        lines = [
            f"memory window {self.label!r}: {self.duration_s * 1000:.1f} ms (tracemalloc, {frames})",
            f"  net {_format_bytes(self.net_bytes, signed=True)}, "
            f"peak {_format_bytes(self.peak_bytes, signed=True)} above start",
        ]
        for name, before, after in (
            ("RSS", self.rss_before, self.rss_after),
            ("USS", self.uss_before, self.uss_after),
        ):
            if before is not None and after is not None:
                lines.append(
                    f"  {name} {_format_bytes(before)} -> {_format_bytes(after)} "
                    f"({_format_bytes(after - before, signed=True)})"
                )
        shown = self.top if top is None else self.top[:top]
        if shown:
            lines.append(f"  top {len(shown)} by {self.key}:")
            for delta in shown:
                lines.append(
                    f"    {_format_bytes(delta.size_diff, signed=True):>12} "
                    f"({delta.count_diff:+,} blocks)  {delta.location}"
                )
        else:
            lines.append("  no allocation growth traced")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Profiler


class MemoryProfiler:
    """A tracemalloc window that leaves tracemalloc as it found it.

    ``start()`` starts tracing only if it was off (and ``stop()`` then stops it); if tracing was
    already on (another profiler, ``-X tracemalloc``), it is left on with its frame count, and only
    its peak counter is reset. Not for concurrent use from several threads: tracemalloc is global.
    """

    def __init__(
        self, *, label: str = "window", key: str = "lineno", top: int = 10, uss: bool = False
    ) -> None:
        if key not in _KEYS:
            raise ValueError(f"key must be one of {_KEYS}, not {key!r}")
        self.label = label
        self.key = key
        self.top = top
        self.uss = uss
        self._tracemalloc: Any = None
        self._started_tracing = False
        self._active = False
        self._frames = 0
        self._baseline: Any = None
        self._start_traced = 0
        self._start_time = 0.0
        self._rss_before: int | None = None
        self._uss_before: int | None = None

    @property
    def active(self) -> bool:
        return self._active

    def start(self, frames: int = 1) -> None:
        """Open the window: record process memory, start tracing if needed, take a baseline."""
        if self._active:
            raise RuntimeError("this MemoryProfiler is already started")
        if frames < 1:
            raise ValueError(f"frames must be >= 1, got {frames}")
        import tracemalloc

        self._tracemalloc = tracemalloc
        self._rss_before = _PROCESS.rss()
        self._uss_before = _PROCESS.uss() if self.uss else None
        self._started_tracing = not tracemalloc.is_tracing()
        if self._started_tracing:
            tracemalloc.start(frames)
        self._frames = tracemalloc.get_traceback_limit()
        self._active = True
        self._baseline = self.snapshot()
        tracemalloc.reset_peak()
        self._start_traced = tracemalloc.get_traced_memory()[0]
        self._start_time = time.perf_counter()

    def snapshot(self) -> tracemalloc.Snapshot:
        """A snapshot of traced allocations, without tracemalloc's, importlib's and ours."""
        if not self._active:
            raise RuntimeError("MemoryProfiler.snapshot() needs start() first")
        tracemalloc = self._tracemalloc
        filters = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
        filters += [tracemalloc.Filter(False, name) for name in _IGNORED_FILES]
        return tracemalloc.take_snapshot().filter_traces(filters)  # type: ignore[no-any-return]

    def compare(
        self,
        old: tracemalloc.Snapshot,
        new: tracemalloc.Snapshot,
        key: str | None = None,
        top: int | None = None,
    ) -> tuple[AllocationDelta, ...]:
        """The ``top`` places whose allocations changed most between ``old`` and ``new``."""
        key = self.key if key is None else key
        if key not in _KEYS:
            raise ValueError(f"key must be one of {_KEYS}, not {key!r}")
        limit = self.top if top is None else top
        deltas = []
        for stat in new.compare_to(old, key, cumulative=False)[: max(limit, 0)]:
            if not stat.size_diff and not stat.count_diff:
                continue
            if key == "filename":
                location = stat.traceback[0].filename
            else:
                location = " <- ".join(f"{frame.filename}:{frame.lineno}" for frame in stat.traceback)
            deltas.append(AllocationDelta(location, stat.size_diff, stat.count_diff, stat.size, stat.count))
        return tuple(deltas)

    def report(self) -> MemoryReport:
        """The window so far: net and peak traced memory, top growth, process memory."""
        if not self._active:
            raise RuntimeError("MemoryProfiler.report() needs start() first")
        duration = time.perf_counter() - self._start_time
        current, peak = self._tracemalloc.get_traced_memory()  # before the snapshot allocates
        rss_after = _PROCESS.rss() if self._rss_before is not None else None
        uss_after = _PROCESS.uss() if self._uss_before is not None else None
        top = self.compare(self._baseline, self.snapshot())
        return MemoryReport(
            label=self.label,
            duration_s=duration,
            frames=self._frames,
            key=self.key,
            net_bytes=current - self._start_traced,
            peak_bytes=max(peak - self._start_traced, 0),
            top=top,
            rss_before=self._rss_before,
            rss_after=rss_after,
            uss_before=self._uss_before,
            uss_after=uss_after,
        )

    def stop(self) -> None:
        """Close the window; stop tracing if ``start()`` started it. Idempotent."""
        if not self._active:
            return
        self._active = False
        self._baseline = None
        if self._started_tracing:
            self._tracemalloc.stop()
            self._started_tracing = False

    def __enter__(self) -> MemoryProfiler:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class MemoryWindow:
    """Yielded by ``memory_window()``; ``report`` is filled in when the block exits."""

    __slots__ = ("label", "report")

    def __init__(self, label: str) -> None:
        self.label = label
        self.report: MemoryReport | None = None

    def format(self, *, top: int | None = None) -> str:
        if self.report is None:
            raise RuntimeError(f"memory window {self.label!r} is still open; read it after the with block")
        return self.report.format(top=top)

    def __repr__(self) -> str:
        state = (
            "open" if self.report is None else f"net={self.report.net_bytes} peak={self.report.peak_bytes}"
        )
        return f"<MemoryWindow {self.label!r} {state}>"


@contextmanager
def memory_window(
    label: str = "window", *, top: int = 10, frames: int = 1, key: str = "lineno", uss: bool = False
) -> Iterator[MemoryWindow]:
    """``with memory_window("load") as window: ...`` then ``print(window.format())``.

    The report is produced even if the block raises. Nested windows work (the inner one leaves
    tracing on for the outer one).
    """
    profiler = MemoryProfiler(label=label, key=key, top=top, uss=uss)
    window = MemoryWindow(label)
    profiler.start(frames)
    try:
        yield window
    finally:
        try:
            window.report = profiler.report()
        finally:
            profiler.stop()


def _print_report(report: MemoryReport) -> None:
    print(report.format(), file=sys.stderr)


def profile_memory(
    top: int = 10,
    *,
    frames: int = 1,
    key: str = "lineno",
    uss: bool = False,
    label: str | None = None,
    on_report: Callable[[MemoryReport], object] | None = None,
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorator: measure every call in a window; ``on_report`` receives the MemoryReport
    (default: print it to stderr). For ``async def`` functions the window spans the awaits, so it
    also sees what other tasks allocate meanwhile."""
    report_to = _print_report if on_report is None else on_report

    def decorate(func: Callable[_P, _R]) -> Callable[_P, _R]:
        name = label or str(getattr(func, "__qualname__", None) or repr(func))
        if _is_coroutine_function(func):
            async_func: Callable[..., Awaitable[Any]] = func  # type: ignore[assignment]

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                window = MemoryWindow(name)
                try:
                    with memory_window(name, top=top, frames=frames, key=key, uss=uss) as window:
                        return await async_func(*args, **kwargs)
                finally:
                    if window.report is not None:
                        report_to(window.report)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            window = MemoryWindow(name)
            try:
                with memory_window(name, top=top, frames=frames, key=key, uss=uss) as window:
                    return func(*args, **kwargs)
            finally:
                if window.report is not None:
                    report_to(window.report)

        return wrapper

    return decorate


def _is_coroutine_function(func: object) -> bool:
    code = getattr(func, "__code__", None)
    return code is not None and bool(code.co_flags & 0x80)  # inspect.CO_COROUTINE, without inspect
