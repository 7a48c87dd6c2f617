"""The run's processes (matching/matches/processes.py): batch helpers really are other
processes beside the caller, give results in order, start only when there is work to share,
and are gone when their block ends."""

from __future__ import annotations

import multiprocessing
import os
import time

from matching.matches import processes


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def _slow_pid_and_square(x: int) -> tuple[int, int]:
    time.sleep(0.2)  # long enough for the helper to start and take the first batches
    return os.getpid(), x * x


def _children() -> set[int]:
    return {p.pid for p in multiprocessing.active_children() if p.pid is not None}


def test_batch_helpers_are_other_processes_and_stop() -> None:
    before = _children()
    with processes.batch_helpers(2) as helpers:
        got = helpers(_slow_pid_and_square, list(range(8)))
        assert [sq for _, sq in got] == [x * x for x in range(8)]
        pids = [pid for pid, _ in got]
        # One helper beside the caller: it takes the first batches, the caller the last.
        assert pids[-1] == os.getpid() and pids[0] != os.getpid()
        assert set(pids) - {os.getpid()} <= _children() and len(set(pids)) == 2
        assert [sq for _, sq in helpers(_pid_and_square, [5, 6])] == [25, 36]  # reused
    assert _children() == before  # stopped with the block


def test_one_process_or_one_item_stays_here() -> None:
    before = _children()
    here = os.getpid()
    with processes.batch_helpers(2) as helpers:
        assert helpers(_pid_and_square, [3]) == [(here, 9)]
        assert _children() == before  # nothing to share: no process started
    with processes.batch_helpers(1) as helpers:
        assert helpers(_pid_and_square, [1, 2]) == [(here, 1), (here, 4)]
        assert _children() == before


def test_a_waiting_stop_of_the_solve_pool_returns_once_its_process_is_gone() -> None:
    """A share's process stops its solve pool so before it ends (``shutdown_pool``): had its
    solve pool's process outlived the stop, the share's end could wait on it for ever."""
    before = _children()
    pid, nine = processes.solve_pool().submit(_pid_and_square, 3).result()
    assert nine == 9 and pid in _children() - before
    processes.shutdown_pool(wait=True)
    assert pid not in _children()
    assert _children() == before
