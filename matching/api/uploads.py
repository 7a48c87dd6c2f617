"""The spreadsheet upload the import routes share: multipart field ``file``, and its query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Response
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter

from matching.lib.imports import XLSX
from matching.lib.types import MAX_ID


@dataclass
class SheetUpload:
    file: UploadFile
    """The spreadsheet: .xlsx, or .csv in UTF-8 or GBK; the first row names the columns."""


Upload = Annotated[SheetUpload, Body(media_type=RequestEncodingType.MULTI_PART)]
DryRun = Annotated[bool, Parameter(description="check every row, write nothing")]
SkipInvalid = Annotated[
    bool,
    Parameter(
        description="write the good rows; the bad ones come back as a workbook (errors_xlsx)"
    ),
]
AgencyId = Annotated[
    int | None, Parameter(ge=1, le=MAX_ID, description="admins: the agency the rows are for")
]


async def read_upload(data: SheetUpload) -> tuple[bytes, str | None]:
    return await data.file.read(), data.file.filename


def workbook(content: bytes, filename: str) -> Response[bytes]:
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


__all__ = ["AgencyId", "DryRun", "SkipInvalid", "Upload", "read_upload", "workbook"]
