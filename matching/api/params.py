"""Query parameters every list route shares: paging, search terms and optional ids."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from matching.lib.pagination import MAX_LIMIT
from matching.lib.types import MAX_ID

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="page size")]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000, description="rows to skip")]
Term = Annotated[str | None, Parameter(max_length=100)]
OptId = Annotated[int | None, Parameter(ge=1, le=MAX_ID)]
PathId = Annotated[int, Parameter(ge=1, le=MAX_ID)]
"""An id in the path: bounded to the column, so a huge number is a 400, not a database error."""
