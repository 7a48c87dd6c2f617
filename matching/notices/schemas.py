"""Request and response bodies for notices and the gateway's inbound SMS replies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from matching.lib.types import Request, Response

NoticeStatus = Literal["pending", "sending", "sent", "failed"]
InboundAction = Literal["accepted", "declined", "no_pending_offer", "help", "unknown_sender"]


class NoticeOut(Response):
    id: int
    kind: str
    worker_id: int | None
    offer_id: int | None
    placement_id: int | None
    to: str
    locale: str
    text: str
    link: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


class NoticePage(Response):
    items: list[NoticeOut]
    total: int


class InboundIn(Request):
    """A worker's SMS reply as the gateway relays it."""

    from_: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] = msgspec.field(name="from")
    text: Annotated[str, msgspec.Meta(max_length=1000)]


class InboundOut(Response):
    action: InboundAction
    offer_id: int | None
