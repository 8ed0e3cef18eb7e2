"""Analysing one file inside a worker process, under a time budget.

Everything a file can do wrong ends here as a :class:`Failed` or :class:`Skipped` with a one-line
reason; only genuine bugs escape, and the runner turns those into ``Failed`` too so the run goes on.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from codeopt.analysis.pipeline import analyze_source
from codeopt.analysis.results import Analyzed, Failed, FileResult, Skipped
from codeopt.errors import SourceError, TooLarge
from codeopt.source.parsing import SourceFile
from codeopt.source.reading import decode_source


@dataclass(frozen=True, slots=True)
class Job:
    path: str  # absolute
    display: str
    module: str
    is_package: bool
    raw: bytes
    timeout: float


class _OverBudget(Exception):
    pass


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise _OverBudget in this (main) thread after ``seconds``; a no-op where signals can't be used."""

    def expire(signum: int, frame: object) -> None:
        raise _OverBudget

    try:
        previous = signal.signal(signal.SIGALRM, expire)
    except ValueError:  # not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_job(job: Job) -> FileResult:
    start = time.perf_counter()
    try:
        with time_budget(job.timeout):
            text = decode_source(job.raw, job.display)
            source = SourceFile(
                path=Path(job.path),
                display=job.display,
                module=job.module,
                is_package=job.is_package,
                text=text.text,
                encoding=text.encoding,
            )
            analysis = analyze_source(source)
    except _OverBudget:
        return Skipped(job.display, f"analysis took over {job.timeout:g} s (file-timeout); skipped")
    except TooLarge as exc:
        return Skipped(job.display, exc.reason)
    except SourceError as exc:
        return Failed(job.display, exc.reason)
    except RecursionError:
        return Failed(job.display, "nesting too deep to analyse")
    except MemoryError:
        return Failed(job.display, "out of memory while analysing")
    return Analyzed(job.display, analysis, time.perf_counter() - start)


def run_jobs(jobs: list[Job]) -> list[FileResult]:
    """A batch per task keeps inter-process traffic low for many small files."""
    results: list[FileResult] = []
    for job in jobs:
        try:
            results.append(run_job(job))
        except Exception as exc:  # a bug in an analysis must not stop the run
            results.append(
                Failed(job.display, f"internal error ({type(exc).__name__}: {exc}); please report")
            )
    return results
