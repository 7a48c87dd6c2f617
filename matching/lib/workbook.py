"""Spreadsheets written out, a row at a time: XLSX through XlsxWriter's constant-memory mode
(each row goes to disk as it is written) and CSV in UTF-8 with a BOM (so Chinese Excel reads it
as UTF-8). Domain-free: a list of :class:`Column` and rows of plain values in, a file out (and
the Chinese names a cell gives a reference code)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import tempfile
from collections.abc import AsyncIterable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import xlsxwriter

from matching.lib import clock
from matching.lib.reference import reference

Kind = Literal["text", "int", "percent", "date", "datetime"]
SUFFIXES = (".xlsx", ".csv")
MEDIA_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class Column:
    heading: str
    kind: Kind = "text"
    width: int = 12


def _datetime(value: dt.datetime) -> dt.datetime:
    """A stored time as Beijing time, without its zone (spreadsheets hold no zones)."""
    return clock.beijing(value).replace(tzinfo=None)


class SheetWriter(Protocol):
    def write(self, row: Sequence[Any], kinds: Sequence[Kind] | None = None) -> None: ...


class _XlsxSheet:
    def __init__(self, book: Any, name: str, columns: Sequence[Column], formats: Any) -> None:
        self._sheet = book.add_worksheet(name[:31])
        self._kinds = [c.kind for c in columns]
        self._formats = formats
        self._row = 0
        for i, c in enumerate(columns):
            self._sheet.set_column(i, i, c.width)
        if columns:
            self._sheet.write_row(0, 0, [c.heading for c in columns], formats["head"])
            self._sheet.freeze_panes(1, 0)
            self._row = 1

    def write(self, row: Sequence[Any], kinds: Sequence[Kind] | None = None) -> None:
        """One row; ``kinds`` (default: the columns') marks the cells shown as percentages."""
        sheet, r, f = self._sheet, self._row, self._formats
        kinds = self._kinds if kinds is None else kinds
        for i, v in enumerate(row):
            if v is None:
                continue  # an empty cell
            if isinstance(v, dt.datetime):
                sheet.write_datetime(r, i, _datetime(v), f["datetime"])
            elif isinstance(v, dt.date):
                sheet.write_datetime(r, i, v, f["date"])
            elif isinstance(v, int | float) and not isinstance(v, bool):
                percent = i < len(kinds) and kinds[i] == "percent"
                sheet.write_number(r, i, v, f["percent"] if percent else None)
            else:
                # Always a string: an ID number or a phone must never become a number.
                sheet.write_string(r, i, str(v))
        self._row += 1


class XlsxBook:
    """One workbook being written; sheets are written in order, each row once."""

    def __init__(self, path: str | Path) -> None:
        self._book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "tmpdir": str(Path(path).parent),
                "strings_to_numbers": False,
            },
        )
        self._formats = {
            "head": self._book.add_format({"bold": True}),
            "date": self._book.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": self._book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "percent": self._book.add_format({"num_format": "0.0%"}),
        }

    def sheet(self, name: str, columns: Sequence[Column] = ()) -> SheetWriter:
        """A new sheet with ``columns`` as its bold first row (none: rows as they come)."""
        return _XlsxSheet(self._book, name, columns, self._formats)

    def close(self) -> None:
        self._book.close()


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return f"{_datetime(v):%Y-%m-%d %H:%M}"
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


class CsvSheet:
    """One CSV file: UTF-8 with a BOM, the headings first."""

    def __init__(self, path: str | Path, columns: Sequence[Column]) -> None:
        self._file = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self._csv = csv.writer(self._file)
        self._csv.writerow([c.heading for c in columns])

    def write(self, row: Sequence[Any], kinds: Sequence[Kind] | None = None) -> None:
        self._csv.writerow([_csv_value(v) for v in row])

    def close(self) -> None:
        self._file.close()


class TableFile:
    """A one-table spreadsheet, XLSX or CSV by the path's suffix."""

    def __init__(self, path: str | Path, sheet: str, columns: Sequence[Column]) -> None:
        suffix = Path(path).suffix.lower()
        if suffix not in SUFFIXES:
            raise ValueError(f"a spreadsheet's name ends in .xlsx or .csv, not {suffix!r}")
        self.path = Path(path)
        self.rows = 0
        self._book: XlsxBook | None = None
        self._csv: CsvSheet | None = None
        self._sheet: SheetWriter
        if suffix == ".xlsx":
            self._book = XlsxBook(path)
            self._sheet = self._book.sheet(sheet, columns)
        else:
            self._csv = self._sheet = CsvSheet(path, columns)

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self._sheet.write(row)
            self.rows += 1

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
        if self._csv is not None:
            self._csv.close()


def temporary_path(suffix: str) -> Path:
    """A new, empty file's path in the temporary directory; the caller removes it."""
    fd, name = tempfile.mkstemp(prefix="laowu-export-", suffix=suffix)
    os.close(fd)
    return Path(name)


def remove(path: str | Path) -> None:
    """Remove a written file (an export sent, or abandoned)."""
    Path(path).unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    rows: int


Progress = Callable[[int], None] | None
"""Told how many rows each chunk wrote (the command line's progress bar)."""


async def write_table(
    path: Path,
    sheet: str,
    columns: Sequence[Column],
    chunks: AsyncIterable[Sequence[Sequence[Any]]],
    progress: Progress = None,
) -> Written:
    """Write every chunk's rows to ``path`` (XLSX or CSV by its suffix) as they come, so that
    no more than a chunk is held; a failure part-way removes the file."""
    out = TableFile(path, sheet, columns)
    try:
        async for rows in chunks:
            out.write_rows(rows)
            if progress is not None:
                progress(len(rows))
    except BaseException:
        with contextlib.suppress(Exception):
            out.close()
        remove(path)
        raise
    out.close()
    return Written(path, out.rows)


# What a clerk reads in a cell for a code (the reference's Chinese names).
YES_NO = {True: "是", False: "否"}


def skills_text(pairs: Iterable[tuple[str, int]]) -> str:
    """Skills as the import template writes them: ``缝纫:3;绣花:2``."""
    return ";".join(f"{reference().skill(code).zh}:{level}" for code, level in pairs)


def groups_text(codes: Iterable[str]) -> str:
    return "、".join(reference().group(c).zh for c in codes)
