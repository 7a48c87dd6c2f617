"""Answering a spreadsheet: written to a temporary file a chunk at a time by the feature's
export, then streamed out by Litestar's ``File`` and removed once sent (or on a failure)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from litestar.background_tasks import BackgroundTask
from litestar.response import File

from matching.api.access import record
from matching.lib import clock
from matching.lib.principal import Principal
from matching.lib.workbook import MEDIA_TYPES, Written, remove, temporary_path

XLSX, CSV = ".xlsx", ".csv"
XLSX_TYPE, CSV_TYPE = MEDIA_TYPES[XLSX], MEDIA_TYPES[CSV]


async def send(name: str, suffix: str, write: Callable[[Path], Awaitable[Written]]) -> File:
    """Run ``write`` into a temporary file and answer it as ``name-YYYYMMDD.suffix``."""
    path = temporary_path(suffix)
    try:
        written = await write(path)
    except BaseException:
        remove(path)
        raise
    return File(
        written.path,
        filename=f"{name}-{clock.today():%Y%m%d}{suffix}",
        media_type=MEDIA_TYPES[suffix],
        headers={"X-Row-Count": str(written.rows)},
        background=BackgroundTask(remove, written.path),
    )


def logged(
    request: Any, principal: Principal, action: str, suffix: str
) -> Callable[[list[int]], None]:
    """What an export tells of the workers each chunk showed: the access log, as a list's
    read logs the workers it shows (one row per worker)."""

    def seen(ids: list[int]) -> None:
        record(request, principal, action, ids, f"export{suffix}")

    return seen
