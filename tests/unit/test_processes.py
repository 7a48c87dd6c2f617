"""The run's processes (matching/matches/processes.py): batch helpers really are other
processes, give results in order, start only when there is work to share, and are gone when
their block ends."""

from __future__ import annotations

import multiprocessing
import os

from matching.matches import processes


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def _children() -> set[int]:
    return {p.pid for p in multiprocessing.active_children() if p.pid is not None}


def test_batch_helpers_are_other_processes_and_stop() -> None:
    before = _children()
    with processes.batch_helpers(2) as helpers:
        got = helpers(_pid_and_square, list(range(8)))
        assert [sq for _, sq in got] == [x * x for x in range(8)]
        pids = {pid for pid, _ in got}
        assert os.getpid() not in pids and 1 <= len(pids) <= 2
        assert pids <= _children()
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
