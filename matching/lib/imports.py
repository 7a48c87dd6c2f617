"""What the spreadsheet imports (workers, openings) share: a column's Chinese header and how
its cells read (是/否, ``缝纫:3;绣花:2``, dates), the answer, the refusal that names every bad
row, and the two small workbooks an import hands back: the template, and the bad rows to fix.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
import xlsxwriter

from matching.lib.errors import Invalid, Message, Translate, msg
from matching.lib.sheets import Cell, Sheet, header_key
from matching.lib.types import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
T = TypeVar("T")
Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: what the CLI draws its bar from."""

_YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "同意", "有", "需要", "愿意"})
_NO = frozenset({"否", "n", "no", "false", "0", "×", "不同意", "无", "不需要", "不愿意"})
_SPLIT = re.compile(r"[;；、,，]")
_LEVEL = re.compile(r"^(.+?)\s*[:：]\s*([0-9]+)$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


@dataclass(frozen=True, slots=True)
class Column:
    """One column an import reads: the API field, its Chinese header and how cells read."""

    field: str
    header: str
    kind: str  # text | int | date | bool | list | levels
    example: str = ""
    required: bool = False
    aliases: tuple[str, ...] = ()
    names: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """For ``list`` and ``levels``: Chinese names (and codes) → codes."""
    level_key: str = "level"
    note: str = ""


def header_names(columns: Sequence[Column]) -> dict[str, str]:
    """Every header key a column answers to (its Chinese header, field name and aliases)."""
    out: dict[str, str] = {}
    for c in columns:
        for name in (c.header, c.field, *c.aliases):
            out[header_key(name)] = c.field
    return out


def text(cell: Cell) -> str:
    """A cell as text; a whole number Excel stored as 13812345678.0 reads 13812345678."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell).strip()


def _yes_no(cell: Cell) -> bool:
    if isinstance(cell, bool):
        return cell
    value = text(cell).lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError("must be 是 or 否 (also yes/no, true/false, 1/0)")


def _date(cell: Cell) -> dt.date:
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    value = text(cell)
    found = _DATE.match(value) or _COMPACT_DATE.match(value)
    if found is None:
        raise ValueError("must be a date, e.g. 2026-03-01")
    try:
        return dt.date(*map(int, found.groups()))
    except ValueError as exc:
        raise ValueError(f"{value} is not a date") from exc


def _int(cell: Cell) -> int:
    if isinstance(cell, bool):
        raise ValueError("must be a whole number")
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        if cell.is_integer():
            return int(cell)
        raise ValueError("must be a whole number")
    value = text(cell).replace(",", "").replace("，", "").removesuffix("元")
    if not value.isascii() or not value.isdigit():
        raise ValueError("must be a whole number")
    return int(value)


def _list(cell: Cell, names: Mapping[str, str]) -> list[str]:
    parts = [p.strip() for p in _SPLIT.split(text(cell))]
    return [names.get(p, names.get(p.lower(), p)) for p in parts if p]


def _levels(cell: Cell, names: Mapping[str, str], key: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in (p.strip() for p in _SPLIT.split(text(cell))):
        if not part:
            continue
        found = _LEVEL.match(part)
        if found is None:
            raise ValueError(f"{part!r} must be a skill and its level 1-5, e.g. 缝纫:3")
        name, level = found.group(1).strip(), int(found.group(2))
        out.append({"code": names.get(name, names.get(name.lower(), name)), key: level})
    return out


def _read(col: Column, cell: Cell) -> Any:
    if col.kind == "int":
        return _int(cell)
    if col.kind == "date":
        return _date(cell)
    if col.kind == "bool":
        return _yes_no(cell)
    if col.kind == "list":
        return _list(cell, col.names)
    return _levels(cell, col.names, col.level_key)


class Cells:
    """Reads a sheet's cells as the API's values. A column's cells repeat (是, a date, the
    same skills), so each distinct cell of a column is read once: what it says, or why not.
    Lists come out as fresh copies (the checks after may keep them)."""

    def __init__(self, columns: Mapping[str, Column]) -> None:
        self.columns = columns
        self._seen: dict[tuple[str, Cell], tuple[Any, str | None]] = {}

    def convert(self, record: Mapping[str, Cell], errors: list[tuple[str, str]]) -> dict[str, Any]:
        """A row's cells as values; a cell that cannot be read adds an error."""
        out: dict[str, Any] = {}
        seen = self._seen
        columns = self.columns
        for name, cell in record.items():
            col = columns[name]
            if col.kind == "text":
                out[name] = cell.strip() if type(cell) is str else text(cell)
                continue
            key = (name, cell)
            found = seen.get(key)
            if found is None:
                try:
                    found = (_read(col, cell), None)
                except ValueError as exc:
                    found = (None, str(exc))
                if len(seen) < 100_000:
                    seen[key] = found
            value, problem = found
            if problem is not None:
                errors.append((name, problem))
            else:
                out[name] = (
                    [dict(v) if isinstance(v, dict) else v for v in value]
                    if isinstance(value, list)
                    else value
                )
        return out


_PATH = re.compile(r"`\$\.([A-Za-z_]+)")


def struct_field(message: str) -> str:
    """The field a msgspec error names (``... - at `$.name```), else ``row``."""
    found = _PATH.search(message)
    return found.group(1) if found else "row"


def field_of(path: str) -> str:
    """``skills[0].code`` → ``skills``: a sheet's cell holds the whole list."""
    return path.split("[", 1)[0].split(".", 1)[0]


def to_struct(
    values: dict[str, Any],
    kind: type[T],
    placeholders: Mapping[str, Any],
    failed: dict[str, str],
) -> T:
    """``values`` as the request struct ``kind``, through msgspec's own checks (lengths,
    ranges). A field that fails is noted in ``failed`` (field → message) and the conversion
    tried again without it (or with its placeholder, when the struct requires it), so that
    every field at fault is named, not only the first."""
    for _ in range(len(values) + len(placeholders) + 1):
        try:
            return msgspec.convert(values, kind)
        except msgspec.ValidationError as exc:
            message = str(exc)
            name = struct_field(message)
            if name in failed or (name not in values and name not in placeholders):
                raise  # cannot happen for a struct whose required fields have placeholders
            failed[name] = message.split(" - at ", 1)[0]
            if name in placeholders:
                values[name] = placeholders[name]
            else:
                values.pop(name, None)
    raise AssertionError("unreachable: each round removes a field")


class RowError(Response):
    row: int
    field: str
    message: str


class ImportResult(Response):
    rows: int
    created: int
    duplicates: int
    invalid: int
    errors: list[RowError]
    dry_run: bool = False
    would_create: int = 0
    """With ``dry_run``: how many the import would create (``created`` is 0)."""
    errors_xlsx: str | None = None
    """With ``skip_invalid`` and bad rows: the bad rows as a workbook (base64) to fix and
    upload again, each with what is wrong in its last column."""


class InvalidRows(Invalid):
    """Bad rows and no ``skip_invalid``: 422, every bad row named, nothing written."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__([(f"row {e.row}: {e.field}", e.message) for e in result.errors[:20]])
        rows_named: Any = [
            {"row": e.row, "field": e.field, "message": e.message} for e in result.errors
        ]
        self.errors = rows_named  # problem details' errors, each with its row
        rows = sorted({e.row for e in result.errors})
        self.summary = Message(
            msg(
                "{bad} of {rows} rows cannot be imported, so nothing was written; "
                "fix them and upload again, or send skip_invalid=true to import the others"
            ),
            {"bad": len(rows), "rows": result.rows},
        )
        self.detail = self.summary.render()
        self.extra = {
            "rows": result.rows,
            "created": 0,
            "duplicates": result.duplicates,
            "invalid": result.invalid,
        }

    def rendered(self, translate: Translate | None = None) -> str:
        return self.summary.render(translate) if translate else self.summary.render()

    def rendered_errors(self, translate: Translate | None = None) -> list[dict[str, str]]:
        """Each bad row's error, its row kept beside its field, in the reader's language."""
        return [{**e, "message": say(e["message"], translate)} for e in self.errors]


_UNKNOWN = re.compile(r"^unknown (skill code|priority group) '(.*)'(?:; see GET /skills)?$")


def say(message: str, translate: Translate | None) -> str:
    """A row's error in the reader's language (``None``: as written): a message template, or
    the reference's "unknown skill code 'x'", said with the name she wrote."""
    if translate is None:
        return message
    unknown = _UNKNOWN.match(message)
    if unknown is None:
        return Message(message).render(translate)
    if unknown.group(1) == "skill code":
        return translate("no skill is called %(name)s; see the template") % {
            "name": unknown.group(2)
        }
    return translate("no priority group is called %(name)s") % {"name": unknown.group(2)}


def with_bad_rows(
    result: ImportResult,
    sheet: Sheet,
    bad: Mapping[int, Sequence[tuple[str, str]]],
    columns: Iterable[Column],
    translate: Translate | None,
) -> None:
    """What ``skip_invalid`` answers of the bad rows: their errors, and the workbook of them
    (``errors_xlsx``), both in the reader's language."""
    result.errors = [
        RowError(row=e.row, field=e.field, message=say(e.message, translate)) for e in result.errors
    ]
    headers = {c.field: c.header for c in columns}
    result.errors_xlsx = encode_file(errors_workbook(sheet, bad, headers, translate))


def errors_workbook(
    sheet: Sheet,
    bad: Mapping[int, Sequence[tuple[str, str]]],
    headers: Mapping[str, str],
    translate: Translate | None = None,
) -> bytes:
    """The bad rows as uploaded (sheet row ``n`` → its errors), and what is wrong with each
    in a last column 错误, in Chinese headers where the field has one and the reasons in the
    reader's language (``translate``; the 422's problem details say them alike)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
    ws = book.add_worksheet("待修改")
    bold = book.add_format({"bold": True})
    width = len(sheet.headers)
    ws.write_row(0, 0, [*sheet.headers, "错误 (原第几行)"], bold)
    for i, (n, problems) in enumerate(sorted(bad.items()), start=1):
        for j, cell in enumerate(sheet.rows[n - 2]):
            if isinstance(cell, dt.datetime | dt.date):
                ws.write_datetime(
                    i, j, dt.datetime.combine(cell, dt.time()) if type(cell) is dt.date else cell
                )
            elif cell is not None:
                ws.write_string(i, j, text(cell))
        said = "; ".join(f"{headers.get(f, f)}: {say(m, translate)}" for f, m in problems)
        ws.write_string(i, width, f"{said} (第 {n} 行)")
    ws.set_column(0, width, 16)
    book.close()
    return out.getvalue()


def encode_file(data: bytes) -> str:
    return base64.b64encode(data).decode()


def template_workbook(columns: Iterable[Column]) -> bytes:
    """The empty sheet to fill (required columns marked ``*``), every column typed as text so
    that Excel keeps a phone's and an ID number's digits, and a sheet 说明 that explains each."""
    cols = list(columns)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    as_text = book.add_format({"num_format": "@"})
    ws = book.add_worksheet("导入")
    for j, c in enumerate(cols):
        ws.write_string(0, j, c.header + ("*" if c.required else ""), bold)
        ws.set_column(j, j, 16, as_text)
    ws.freeze_panes(1, 0)
    notes = book.add_worksheet("说明")
    notes.write_row(0, 0, ["列", "字段", "必填", "示例", "说明"], bold)
    for i, c in enumerate(cols, start=1):
        notes.write_row(i, 0, [c.header, c.field, "是" if c.required else "", c.example, c.note])
    notes.set_column(0, 4, 22)
    book.close()
    return out.getvalue()


__all__ = [
    "XLSX",
    "Cells",
    "Column",
    "ImportResult",
    "InvalidRows",
    "Progress",
    "RowError",
    "encode_file",
    "errors_workbook",
    "field_of",
    "header_names",
    "struct_field",
    "template_workbook",
    "text",
    "to_struct",
]
