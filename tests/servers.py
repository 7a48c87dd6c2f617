"""Real ``laowu`` processes for a test: a free port in the range tests may bind, the process
started in a session of its own (bounded by ``timeout``), its readiness awaited, and it and its
children killed at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.processes import free_port

LAOWU = str(Path(sys.executable).parent / "laowu")


@contextlib.contextmanager
def running(
    env: dict[str, str], *args: str, log: Path, lifetime: int = 300
) -> Iterator[subprocess.Popen[bytes]]:
    """``laowu *args``, its log (stderr) in ``log`` and what it prints (stdout) beside it,
    in ``log`` with the suffix ``.out``; killed when the block ends."""
    with log.open("ab") as err, log.with_suffix(".out").open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
            ["timeout", str(lifetime), LAOWU, *args],  # noqa: S607 - coreutils' timeout
            env=env,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"laowu exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/api/v1/health/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"laowu at {base} not ready within {within}s:\n{log.read_text()}")


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path, *extra: str, lifetime: int = 300) -> Iterator[str]:
    """``laowu serve`` on a free port, ready; yields its base URL."""
    port = free_port()
    with running(env, "serve", "--port", str(port), *extra, log=log, lifetime=lifetime) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc, log)
        yield base
