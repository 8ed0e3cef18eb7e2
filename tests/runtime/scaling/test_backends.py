"""LocalWorkerPool really starts and stops threads and processes, and drains gracefully on scale-in."""

from __future__ import annotations

import os
import threading
import time

import pytest

from codeopt_runtime.scaling import Backend, BackendError, LocalWorkerPool, ScalingConfigError


def square(x: int) -> int:
    return x * x


def pid_of_worker(_: object) -> int:
    return os.getpid()


def fail(_: object) -> None:
    raise ValueError("bad item")


def _threads(prefix: str) -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive()}


def test_threads_start_and_stop_for_real() -> None:
    with LocalWorkerPool(square, replicas=3, name="sq") as pool:
        assert isinstance(pool, Backend)
        assert pool.wait_ready(5)
        assert pool.ready_replicas() == pool.current_replicas() == 3
        assert _threads("sq-") == {"sq-1", "sq-2", "sq-3"}
        for i in range(20):
            pool.submit(i)
        results = sorted(pool.get_result(timeout=5).value for _ in range(20))
        assert results == [i * i for i in range(20)]
        pool.scale_to(1)
        assert pool.current_replicas() == 1
        assert pool.wait_ready(5)
        assert _threads("sq-") == {"sq-1"}  # the newest went first
    assert _threads("sq-") == set()


def test_scale_in_finishes_the_running_task_first() -> None:
    started, release = threading.Event(), threading.Event()

    def slow(item: str) -> str:
        started.set()
        release.wait(5)
        return item

    with LocalWorkerPool(slow, replicas=1, name="slow") as pool:
        pool.submit("job")
        assert started.wait(5)
        pool.scale_to(0)
        assert pool.current_replicas() == 0 and pool.draining() == 1
        pool.submit("queued")  # stays queued: no worker takes new work while draining
        release.set()
        assert pool.get_result(timeout=5).value == "job"
        assert pool.wait_ready(5) and pool.draining() == 0
        assert pool.pending() == 1
        pool.scale_to(1)  # a new worker picks the queued task up
        assert pool.get_result(timeout=5).value == "queued"


def test_task_errors_are_reported_and_the_worker_survives() -> None:
    with LocalWorkerPool(fail, replicas=1, name="f") as pool:
        pool.submit(1)
        pool.submit(2)
        results = [pool.get_result(timeout=5) for _ in range(2)]
        assert [r.error for r in results] == ["ValueError: bad item"] * 2
        assert pool.ready_replicas() == 1


def test_processes_start_and_stop_for_real() -> None:
    pool = LocalWorkerPool(pid_of_worker, kind="process", replicas=2, name="proc")
    try:
        assert pool.wait_ready(20)
        assert pool.ready_replicas() == 2
        for i in range(8):
            pool.submit(i)
        pids = {pool.get_result(timeout=10).value for _ in range(8)}
        assert os.getpid() not in pids and 1 <= len(pids) <= 2
        runners = list(pool._active)  # the OS processes themselves
        pool.scale_to(0)
        assert pool.wait_ready(20)
        assert all(not w.runner.is_alive() for w in runners)
    finally:
        pool.close()


def test_closed_pool_and_bad_counts() -> None:
    pool = LocalWorkerPool(square)
    with pytest.raises(ScalingConfigError):
        pool.scale_to(-1)
    pool.close()
    with pytest.raises(BackendError):
        pool.scale_to(1)
    with pytest.raises(BackendError):
        pool.submit(1)
    with pytest.raises(ScalingConfigError):
        LocalWorkerPool(square, kind="fiber")  # type: ignore[arg-type]


def test_ready_lags_until_workers_run() -> None:
    pool = LocalWorkerPool(square, name="lag")
    start = time.monotonic()
    pool.scale_to(2)
    assert pool.current_replicas() == 2
    assert pool.wait_ready(5) and time.monotonic() - start < 5
    pool.close()


def test_spawned_processes_run_a_module_level_handler() -> None:
    pool = LocalWorkerPool(square, kind="process", replicas=1, start_method="spawn", name="spawned")
    try:
        assert pool.wait_ready(30)
        pool.submit(7)
        assert pool.get_result(timeout=30).value == 49
    finally:
        pool.close()
