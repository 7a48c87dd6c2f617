"""Bulk work with Python's cyclic garbage collector paused.

An import of 100,000 rows keeps every checked row alive until it is written, and every row
is a dozen container objects (its values, its struct, its checked fields): the collector
then scans that growing heap again and again (a young collection every 700 new containers,
a full one each time the long-lived objects grow by a quarter) and finds nothing to free,
because nothing there is garbage. Measured on the import of 30,000 rows: 2.30 CPU-s with
the collector, 1.32 without. Reference counting still frees every object the moment it is
dropped; only garbage in reference cycles waits for the collector, which runs again when
the block ends.

The collector is one per process, so a pause covers the whole process: two blocks at once
(two imports in one API process) keep it paused until the last one ends, and it is switched
back on only if it was on when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for the block (and on again after it, as it was before)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


YOUNG_THRESHOLD = 20_000
"""Container allocations between young collections in a server (CPython's default, 700, is
a young collection every request or two). With ``settle``, measured on benchmarks/api.py
(PostgreSQL, 32 connections): GET /workers/{id} 3,000-3,140 req/s without, 3,300 with the
freeze alone, 3,370-3,460 with this threshold too; registration 1,540-1,650 req/s."""


def settle() -> None:
    """For a long-running process (``laowu serve``), once it has imported and built what it
    keeps for its life: collect once, then move every object still alive out of the
    collector's sight (``gc.freeze``), so that a full collection scans only what was made
    since, not the hundreds of thousands of objects the imported libraries hold."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
