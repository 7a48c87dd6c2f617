"""The processes a match run uses: made here, and nowhere else (never in ``engine/``).

- The solve pool: one process the runner hands a snapshot to, so the event loop keeps
  serving while OR-Tools (which holds the GIL while it solves) works. It lives until
  ``shutdown_pool`` (the app's and the scheduler's shutdown call it, and ``laowu match run``
  when its run ends). Its loop renews the run's lease meanwhile (``runner.py``).
- The share pool: with ``laowu match run --partitions N``, one process per share at a time,
  each running its share's run to the end (``share_pool``), for the one block that runs them.
- Batch helpers: processes a large instance's independent flows are spread over, beside
  the process that solves (which takes its share), handed to the engine as its
  ``MapBatches``. They live for one ``with batch_helpers()`` block in whichever process
  solves (the solve pool's for the API, the scheduler and ``laowu match run``, the script's
  for ``benchmarks/``) and are started only when the engine has enough
  work to hand over. Scoped, not kept: a process that made helpers must stop them before it
  exits (multiprocessing joins a child's children before its own exit handlers could), and
  an API keeps no idle solvers between daily runs.

Every process is spawned, never forked: the API's process runs an event loop and threads that
must not be copied into a child. ProcessPoolExecutor workers are not daemonic, so the solve
pool's process may start helpers. A spawned process imports ``matching`` afresh on the
parent's ``sys.path`` (no PYTHONPATH to pass on) and re-imports the parent's main script as
``__mp_main__``, so a script that solves keeps its work under ``if __name__ == "__main__"``.
Each process exits as soon as the one that made it is gone, so none outlives a killed parent.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, CancelledError, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

log = logging.getLogger("laowu.matching")

T = TypeVar("T")
R = TypeVar("R")

# Flows solved side by side, at most one helper per usable core (and at most four).
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
PROCESSES = max(1, min(4, _CORES or 1))

_SPAWN = multiprocessing.get_context("spawn")
_solve_pool: ProcessPoolExecutor | None = None


def _leave_with_parent(parent: int) -> None:
    """In a child: exit as soon as the process that made it is gone (even if it was killed)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="leave-with-parent", daemon=True).start()


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_SPAWN,
        initializer=_leave_with_parent,
        initargs=(os.getpid(),),
    )


def solve_pool() -> ProcessPoolExecutor:
    """The one process match runs are solved in, off the caller's event loop."""
    global _solve_pool
    if _solve_pool is None:
        _solve_pool = _pool(1)
    return _solve_pool


@contextmanager
def share_pool(width: int) -> Iterator[ProcessPoolExecutor]:
    """``width`` processes, each running whole shares of a partitioned run (``laowu match run
    --partitions N``): a share reads, solves and writes in a process of its own, as a pod of
    the Kubernetes Indexed Job would. Stopped, after its shares end, when the block ends."""
    pool = _pool(max(1, width))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def ready() -> None:
    """Nothing: submitted to a pool to start its process early (its imports take a second)."""


def warm_solve_pool() -> None:
    """Start the solve pool's process now, if it is not running, so that its start overlaps
    what the caller does next (the snapshot's read) rather than delaying the solve."""
    solve_pool().submit(ready)


def shutdown_pool(*, wait: bool = False) -> None:
    """Stop the solve pool: a solve under way finishes, queued ones are dropped.

    ``wait``: return only once its process has exited. A process that is itself a pool's
    worker (a share of ``laowu match run --partitions N``) must wait: when such a process
    ends, multiprocessing runs its exit finalizers before any thread's, and one of them
    closes the solve pool's call queue, so a stop signal the pool's own thread had not yet
    queued is never sent; the exiting process then waits for ever on its solve pool's
    process, which waits for ever for that signal (seen as an intermittent hang of the
    share's parent). A process that ends normally (the API's, the scheduler's) stops its
    pool's threads before those finalizers run, so it need not wait."""
    global _solve_pool
    if _solve_pool is not None:
        pool, _solve_pool = _solve_pool, None
        pool.shutdown(wait=wait, cancel_futures=True)


class BatchHelpers:
    """The engine's ``MapBatches`` over ``width`` workers: the caller and ``width - 1`` helper
    processes, started on first use.

    Helpers take the batches in the order given (the engine gives the largest first); the
    caller meanwhile solves, from the other end, each batch no helper has started yet, so no
    core idles and no process is made that the caller could stand in for. A helper that
    cannot start, or dies, leaves its batches to the caller: the same answer, only slower.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self._pool: ProcessPoolExecutor | None = None

    def __call__(self, fn: Callable[[T], R], items: Sequence[T], /) -> list[R]:
        if self.width <= 1 or len(items) < 2:
            return [fn(item) for item in items]
        futures = self._submit(fn, items)
        try:
            done: dict[int, R] = {}
            for i in reversed(range(len(items))):  # the caller's share, smallest first
                future = futures[i]
                if future is None or future.cancel():
                    done[i] = fn(items[i])
            return [
                done[i] if i in done else self._result(i, future, fn, item)
                for i, (future, item) in enumerate(zip(futures, items, strict=True))
            ]
        except BaseException:
            for future in futures:
                if future is not None:
                    future.cancel()
            raise

    def warm(self) -> None:
        """Start the helpers now (their imports overlap the caller's work until it maps);
        for a caller that knows it will have enough work to hand over."""
        if self.width > 1 and self._pool is None:
            self._pool = _pool(self.width - 1)
            try:
                for _ in range(self.width - 1):
                    self._pool.submit(ready)
            except Exception:  # as in _submit: no helper, the caller solves alone
                log.warning("batch helpers could not start; solving here", exc_info=True)
                self.close()

    def _submit(self, fn: Callable[[T], R], items: Sequence[T]) -> list[Future[R] | None]:
        if self._pool is None:
            self._pool = _pool(self.width - 1)
        futures: list[Future[R] | None] = []
        try:
            for item in items:
                futures.append(self._pool.submit(fn, item))
        except Exception:  # no helper could start: the rest is solved here
            log.warning("batch helpers could not start; solving here", exc_info=True)
            self.close()
        return futures + [None] * (len(items) - len(futures))

    def _result(self, i: int, future: Future[R] | None, fn: Callable[[T], R], item: T) -> R:
        if future is not None:
            try:
                return future.result()
            except (BrokenExecutor, CancelledError):  # the pool is gone: the rest is ours
                if self._pool is not None:
                    log.warning("batch helpers stopped; solving the rest here")
                    self.close()
            except Exception:  # failed there: solve it here (a real error raises again)
                log.warning("batch %d failed in a helper; solving it here", i, exc_info=True)
        return fn(item)

    def close(self) -> None:
        """Stop the helpers; a batch one is still solving (after an error) finishes first."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def batch_helpers(width: int | None = None) -> Iterator[BatchHelpers]:
    """Helpers for one solve (``width`` default PROCESSES), all stopped when the block ends."""
    helpers = BatchHelpers(PROCESSES if width is None else width)
    try:
        yield helpers
    finally:
        helpers.close()
