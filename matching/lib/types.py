"""Constrained field types shared by request schemas (msgspec validates them on decode)."""

from __future__ import annotations

from typing import Annotated

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
LongName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Place = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
# The same lengths with no minimum, for fields the service checks with the text rule (blank,
# control characters): a blank one is then named together with every other wrong field.
NameText = Annotated[str, msgspec.Meta(max_length=100)]
LongNameText = Annotated[str, msgspec.Meta(max_length=200)]
PlaceText = Annotated[str, msgspec.Meta(max_length=100)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Level = Annotated[int, msgspec.Meta(ge=1, le=5)]
Yuan = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
Score = Annotated[int, msgspec.Meta(ge=0, le=100)]
MAX_ID = 2**31 - 1  # identifiers are INTEGER (32-bit) columns on PostgreSQL
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
Username = Annotated[str, msgspec.Meta(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=200)]


class Request(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body: unknown fields are refused (no mass assignment)."""


class Response(msgspec.Struct, kw_only=True):
    """Base of every response body."""
