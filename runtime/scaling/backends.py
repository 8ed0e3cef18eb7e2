"""Where replicas live: the ``Backend`` protocol and a real local worker pool.

A scaler only needs three things from the system it scales: how many replicas are asked for, how
many are ready, and a way to ask for another number. Anything that offers them plugs in:

* :class:`LocalWorkerPool` (here): threads or processes consuming one task queue, for tests, single
  hosts and CI;
* a Kubernetes Deployment: ``scale_to(n)`` patches ``spec.replicas`` through the ``scale``
  subresource, ``ready_replicas()`` reads ``status.readyReplicas`` (see docs/runtime/scaling.md);
* Celery (``app.control.pool_grow/pool_shrink`` or the autoscaler's ``--autoscale``) or Ray
  (``ray.autoscaler.sdk.request_resources``): each engine already manages its workers; we never
  build a cluster manager of our own.

Scale-in is graceful: a worker told to stop finishes the task it holds and exits before taking
another; tasks still queued stay for the remaining workers.
"""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.context
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from .errors import BackendError, ScalingConfigError

__all__ = ["Backend", "LocalWorkerPool", "TaskResult"]


@runtime_checkable
class Backend(Protocol):
    """What a scaler drives: desired replicas, ready replicas, and a request for a new count."""

    def current_replicas(self) -> int:
        """Replicas asked for (ready or starting), like a Deployment's ``spec.replicas``."""
        ...

    def ready_replicas(self) -> int:
        """Replicas able to take work now, like ``status.readyReplicas``."""
        ...

    def scale_to(self, replicas: int) -> None:
        """Ask for ``replicas`` replicas; returns without waiting for them to be ready or gone."""
        ...


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one task: its value, or the error as ``"Type: message"`` (picklable)."""

    item: Any
    value: Any
    error: str | None
    worker: str


def _worker_loop(
    handler: Callable[[Any], Any], tasks: Any, results: Any, stop: Any, ready: Any, name: str, poll: float
) -> None:
    """Body of a worker thread or process: take, run, report, until told to stop (between tasks)."""
    ready.set()
    while not stop.is_set():
        try:
            item = tasks.get(timeout=poll)
        except queue.Empty:
            continue
        try:
            results.put(TaskResult(item, handler(item), None, name))
        except Exception as exc:  # a failing task must not kill its worker
            results.put(TaskResult(item, None, f"{type(exc).__name__}: {exc}", name))


@dataclass
class _Worker:
    name: str
    runner: threading.Thread | multiprocessing.process.BaseProcess
    stop: Any
    ready: Any

    def alive(self) -> bool:
        return self.runner.is_alive()


class LocalWorkerPool:
    """A :class:`Backend` of real threads or processes that consume a shared task queue.

    ``handler(item)`` runs once per submitted item; with ``kind="process"`` it must be picklable
    (a module-level function) when the start method is ``spawn``. Results arrive on a queue read with
    :meth:`get_result`.
    """

    def __init__(
        self,
        handler: Callable[[Any], Any],
        *,
        kind: Literal["thread", "process"] = "thread",
        replicas: int = 0,
        poll_interval: float = 0.05,
        start_method: str | None = None,
        name: str = "worker",
    ) -> None:
        if kind not in ("thread", "process"):
            raise ScalingConfigError(f"kind must be 'thread' or 'process', got {kind!r}")
        self.kind = kind
        self._handler = handler
        self._poll = poll_interval
        self._name = name
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._active: list[_Worker] = []
        self._stopping: list[_Worker] = []
        self._closed = False
        self._ctx: Any = multiprocessing.get_context(start_method) if kind == "process" else None
        self._tasks: Any = self._ctx.Queue() if self._ctx else queue.Queue()
        self._results: Any = self._ctx.Queue() if self._ctx else queue.Queue()
        if replicas:
            self.scale_to(replicas)

    # -- Backend ------------------------------------------------------------------------------------
    def current_replicas(self) -> int:
        with self._lock:
            return len(self._active)

    def ready_replicas(self) -> int:
        with self._lock:
            return sum(1 for w in self._active if w.ready.is_set() and w.alive())

    def scale_to(self, replicas: int) -> None:
        """Start workers, or tell the newest ones to stop after their current task (LIFO)."""
        if replicas < 0:
            raise ScalingConfigError(f"replicas must be >= 0, got {replicas}")
        with self._lock:
            if self._closed:
                raise BackendError("the worker pool is closed")
            while len(self._active) < replicas:
                self._active.append(self._start())
            while len(self._active) > replicas:
                worker = self._active.pop()
                worker.stop.set()
                self._stopping.append(worker)
            self._stopping = [w for w in self._stopping if w.alive()]

    # -- work ---------------------------------------------------------------------------------------
    def submit(self, item: Any) -> None:
        """Queue one task for whichever worker is free first."""
        if self._closed:
            raise BackendError("the worker pool is closed")
        self._tasks.put(item)

    def get_result(self, timeout: float | None = None) -> TaskResult:
        """The next finished task's result; ``queue.Empty`` after ``timeout`` seconds."""
        result: TaskResult = self._results.get(timeout=timeout)
        return result

    def pending(self) -> int:
        """Tasks queued and not yet taken (approximate, as ``Queue.qsize`` is)."""
        return int(self._tasks.qsize())

    def draining(self) -> int:
        """Workers told to stop that are still finishing a task."""
        with self._lock:
            self._stopping = [w for w in self._stopping if w.alive()]
            return len(self._stopping)

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """Wait until every requested worker is ready and every stopped one has exited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready_replicas() == self.current_replicas() and self.draining() == 0:
                return True
            time.sleep(0.01)
        return False

    def close(self, timeout: float = 10.0) -> None:
        """Stop every worker (gracefully) and wait up to ``timeout`` seconds for them."""
        if self._closed:
            return
        self.scale_to(0)
        self._closed = True
        deadline = time.monotonic() + timeout
        for worker in self._stopping:
            worker.runner.join(max(deadline - time.monotonic(), 0.0))
        if self._ctx is not None:
            for q in (self._tasks, self._results):
                q.cancel_join_thread()
                q.close()

    def __enter__(self) -> LocalWorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> _Worker:
        name = f"{self._name}-{next(self._seq)}"
        runner: threading.Thread | multiprocessing.process.BaseProcess
        if self._ctx is None:
            stop: Any = threading.Event()
            ready: Any = threading.Event()
            runner = threading.Thread(
                target=_worker_loop,
                name=name,
                daemon=True,
                args=(self._handler, self._tasks, self._results, stop, ready, name, self._poll),
            )
        else:
            stop, ready = self._ctx.Event(), self._ctx.Event()
            runner = self._ctx.Process(
                target=_worker_loop,
                name=name,
                daemon=True,
                args=(self._handler, self._tasks, self._results, stop, ready, name, self._poll),
            )
        runner.start()
        return _Worker(name, runner, stop, ready)
