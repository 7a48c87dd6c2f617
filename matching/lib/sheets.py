"""Reading a spreadsheet a clerk uploads (.xlsx, or .csv in UTF-8 or GBK) into its header and
its rows, with the limits every import shares. Domain-free: the importers map the headers.

xlsx is read by python-calamine (Rust; values, not formulas); formulas and merged cells are
refused, since the values a formula cached and the blank cells a merge leaves are not what the
clerk sees. A file that is neither is refused before anything is read from it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import python_calamine

from matching.lib.errors import Invalid

Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None

NOT_A_SHEET = "is not a spreadsheet: send an .xlsx workbook or a .csv file (UTF-8 or GBK)"
UNKNOWN_COLUMN = "is not a column of this import; see the template"
MISSING_COLUMN = "this column is missing; see the template"
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc) container
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3}[0-9]{1,7})"')


class SheetProblem(Invalid):
    """The file as a whole cannot be imported (field ``file``); ``template`` and ``values``
    let a page say it in its own language."""

    def __init__(self, template: str, **values: str) -> None:
        self.template = template
        self.values = values
        super().__init__("file", template % values if values else template)


def _problem(template: str, **values: str) -> SheetProblem:
    return SheetProblem(template, **values)


@dataclass(frozen=True, slots=True)
class Sheet:
    """The header (as written, normalised) and the data rows, each as long as the header.
    Row ``i`` of ``rows`` is row ``i + 2`` of the sheet (the header is row 1)."""

    headers: list[str]
    rows: list[list[Cell]]

    def column(self, index: int) -> list[Cell]:
        return [r[index] for r in self.rows]


def header_key(text: str) -> str:
    """A header as compared with the known names: NFKC (full-width letters and brackets),
    no spaces, no trailing ``*`` (a template marks required columns so), lower case."""
    key = unicodedata.normalize("NFKC", text).replace(" ", "").strip().rstrip("*").lower()
    return key


def map_headers(
    headers: list[str], names: Mapping[str, str], required: frozenset[str]
) -> list[str | None]:
    """The field each column holds (None for an empty header), from ``names`` (a header key
    → field). Unknown, repeated and missing columns are refused together, each named."""
    errors: list[tuple[str, str]] = []
    fields: list[str | None] = []
    seen: dict[str, str] = {}
    for header in headers:
        if not header.strip():
            fields.append(None)
            continue
        field = names.get(header_key(header))
        if field is None:
            errors.append((header, UNKNOWN_COLUMN))
        elif field in seen:
            errors.append((header, f"says the same as the column {seen[field]}"))
        else:
            seen[field] = header
        fields.append(field)
    for field in sorted(required - set(seen)):
        errors.append((field, MISSING_COLUMN))
    if errors:
        raise Invalid(errors)
    return fields


def read_sheet(data: bytes, filename: str | None, *, max_rows: int) -> Sheet:
    """The first sheet of ``data``: xlsx by its zip signature, else CSV. Raises ``Invalid``
    (field ``file``) for what cannot be imported: not a spreadsheet, empty, over ``max_rows``
    data rows, formulas or merged cells."""
    name = (filename or "").lower()
    if not data.strip():
        raise _problem("is empty")
    if data.startswith(_OLE) or name.endswith(".xls"):
        raise _problem("is an old .xls workbook: save it as .xlsx (Excel 2007 or later) or .csv")
    if data.startswith(_ZIP):
        headers, rows = _xlsx(data, max_rows)
    elif b"\x00" in data:
        raise _problem(NOT_A_SHEET)
    else:
        headers, rows = _csv(data, max_rows)
    while rows and all(_blank(c) for c in rows[-1]):
        rows.pop()
    if not headers or all(_blank(c) for c in headers):
        raise _problem("is empty: the first row must name the columns")
    if not rows:
        raise _problem("has a header but no rows")
    width = len(headers)
    fixed = [(r + [None] * (width - len(r)))[:width] for r in rows]
    return Sheet([str(h or "").strip() for h in headers], fixed)


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _too_many(max_rows: int) -> Invalid:
    return _problem(
        "has more than %(max)s rows; split it into files of at most that many",
        max=f"{max_rows:,}",
    )


def _csv(data: bytes, max_rows: int) -> tuple[list[Cell], list[list[Cell]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header: list[Cell] = list(next(reader, []))
        rows: list[list[Cell]] = []
        for row in reader:
            if len(rows) >= max_rows:
                raise _too_many(max_rows)
            rows.append(list(row))
    except csv.Error as exc:
        raise _problem("is not a readable CSV file (%(why)s)", why=str(exc)) from exc
    return header, rows


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else GB 18030, which reads every GBK file (what
    Chinese Excel saves as "CSV") and more; neither: not a text spreadsheet."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(unicodedata.category(c) == "Cc" and c not in "\r\n\t" for c in text[:4096]):
            raise _problem(NOT_A_SHEET)
        return text
    raise _problem(NOT_A_SHEET)


def _xlsx(data: bytes, max_rows: int) -> tuple[list[Cell], list[list[Cell]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        if not sheets:
            raise _problem(NOT_A_SHEET)
        for member in sheets:
            _refuse_formulas(archive, member)
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
    except (zipfile.BadZipFile, python_calamine.CalamineError, ValueError) as exc:
        raise _problem(NOT_A_SHEET) from exc
    merged = sheet.merged_cell_ranges or []
    if merged:
        (r0, c0), (r1, c1) = merged[0]
        where = f"{_ref(r0, c0)}:{_ref(r1, c1)}"
        raise _problem(
            "has merged cells (%(where)s): unmerge them and fill every cell", where=where
        )
    if sheet.height > max_rows + 1:  # the header and max_rows data rows
        raise _too_many(max_rows)
    values: list[list[Any]] = sheet.to_python(skip_empty_area=False)
    if not values:
        return [], []
    return values[0], values[1:]


def _refuse_formulas(archive: zipfile.ZipFile, member: str) -> None:
    with archive.open(member) as fh:
        tail = b""
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            block = tail + chunk
            found = _FORMULA.search(block)
            if found is not None:
                cells = _CELL_REF.findall(block, 0, found.start())
                cell = cells[-1].decode() if cells else "?"
                raise _problem(
                    "holds formulas (cell %(cell)s): copy the sheet and paste it as values, "
                    "then upload",
                    cell=cell,
                )
            tail = block[-256:]


def _ref(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def iter_records(sheet: Sheet, fields: list[str | None]) -> Iterator[tuple[int, dict[str, Cell]]]:
    """(sheet row number, {field: cell}) for each row, empty cells left out."""
    pairs = [(i, f) for i, f in enumerate(fields) if f is not None]
    for n, row in enumerate(sheet.rows, start=2):  # _blank, inline: it is asked of every cell
        yield (
            n,
            {
                f: c
                for i, f in pairs
                if (c := row[i]) is not None and (type(c) is not str or c.strip())
            },
        )


__all__ = [
    "MISSING_COLUMN",
    "NOT_A_SHEET",
    "UNKNOWN_COLUMN",
    "Cell",
    "Sheet",
    "SheetProblem",
    "header_key",
    "iter_records",
    "map_headers",
    "read_sheet",
]
