"""Memory of a process tree, sampled from /proc: what the benchmarks report as its peak."""

from __future__ import annotations

import os
import threading


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(pid: int) -> list[int]:
    """``pid`` and every process under it (the solve pool, its helpers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


class TreePeak:
    """Peak resident memory of a process and all its descendants, sampled every 20 ms (a
    spike shorter than that may be missed; PostgreSQL's own processes are not counted)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            total = sum(rss_kib(p) for p in tree(self.pid))
            self.peak_kib = max(self.peak_kib, total)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kib / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class DatabaseCpu:
    """CPU of the PostgreSQL backends serving one database (on this machine), sampled every
    20 ms from /proc: each backend's last reading counts, so a backend that ends between two
    samples loses at most its last 20 ms."""

    def __init__(self, database: str) -> None:
        self._tag = f" {database} ".encode()
        self._seen: dict[int, float] = {}
        self._start = self._backends()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _backends(self) -> dict[int, float]:
        found: dict[int, float] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    line = f.read()
            except OSError:
                continue
            if line.startswith(b"postgres: ") and self._tag in line + b" ":
                found[int(name)] = cpu_seconds(int(name))
        return found

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            for pid, cpu in self._backends().items():
                self._seen[pid] = max(cpu, self._seen.get(pid, 0.0))

    def stop(self) -> float:
        """CPU seconds the database's backends used since this began."""
        self._stop.set()
        self._thread.join()
        return sum(cpu - self._start.get(pid, 0.0) for pid, cpu in self._seen.items())
