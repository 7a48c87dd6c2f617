"""Answering a spreadsheet: written to a temporary file a chunk at a time by the feature's
export, then streamed out (Litestar's ``Stream``, a megabyte at a time) and removed once sent,
or on a failure. (``File`` would also do, but its OpenAPI document declares a Last-Modified
header as an ISO date-time, which the HTTP date it sends is not.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from litestar.background_tasks import BackgroundTask
from litestar.response import Stream

from matching.api.access import record
from matching.lib import clock
from matching.lib.principal import Principal
from matching.lib.workbook import MEDIA_TYPES, Written, remove, temporary_path

XLSX, CSV = ".xlsx", ".csv"
XLSX_TYPE, CSV_TYPE = MEDIA_TYPES[XLSX], MEDIA_TYPES[CSV]


CHUNK = 1 << 20


def _read(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    finally:
        remove(path)


async def send(name: str, suffix: str, write: Callable[[Path], Awaitable[Written]]) -> Stream:
    """Run ``write`` into a temporary file and answer it as ``name-YYYYMMDD.suffix``."""
    path = temporary_path(suffix)
    try:
        written = await write(path)
    except BaseException:
        remove(path)
        raise
    filename = f"{name}-{clock.today():%Y%m%d}{suffix}"
    return Stream(
        _read(written.path),
        media_type=MEDIA_TYPES[suffix],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(written.path.stat().st_size),
            "X-Row-Count": str(written.rows),
        },
        background=BackgroundTask(remove, written.path),  # also if the client went away
    )


def logged(
    request: Any, principal: Principal, action: str, suffix: str
) -> Callable[[list[int]], None]:
    """What an export tells of the workers each chunk showed: the access log, as a list's
    read logs the workers it shows (one row per worker)."""

    def seen(ids: list[int]) -> None:
        record(request, principal, action, ids, f"export{suffix}")

    return seen
