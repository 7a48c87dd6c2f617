"""Notices for staff (the failed ones, and retrying them) and the worker's SMS replies.

A reply of ``1`` accepts and ``2`` declines her most recent pending offer; every answer to her
goes through the outbox in the same transaction as the reply's record and its effect.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, cast

import msgspec
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import insert_ignoring_conflicts
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthorized,
)
from matching.matches import offers
from matching.network.principal import Principal
from matching.notices import templates
from matching.notices.outbox import enqueue, notice_row
from matching.notices.schemas import InboundAction, InboundIn, InboundOut, NoticeOut, NoticePage
from matching.notices.signing import BadSignature, verify
from matching.profiles.identity import normalise_mobile

N = cast(Table, m.Notice.__table__)
C = N.c
W = m.WorkerProfile.__table__.c
IN = cast(Table, m.InboundMessage.__table__)

REPLY_KIND = "sms_reply"


class Unavailable(DomainError):
    """The service is not configured for this (no webhook secret to check signatures with)."""

    status_code = 503
    title = "Service unavailable"


class MalformedBody(Invalid):
    status_code = 400
    title = "Malformed JSON"


# --- staff: the outbox -----------------------------------------------------------------------


def _out(r: Any) -> NoticeOut:
    return NoticeOut(
        id=r.id,
        kind=r.kind,
        worker_id=r.worker_id,
        offer_id=r.offer_id,
        placement_id=r.placement_id,
        to=r.to_phone,
        locale=r.locale,
        text=r.text,
        link=r.link,
        status=r.status,
        attempts=r.attempts,
        next_attempt_at=r.next_attempt_at,
        last_error=r.last_error,
        created_at=r.created_at,
        sent_at=r.sent_at,
    )


def _scoped(principal: Principal, stmt: Any) -> Any:
    """Staff see their agency's workers' notices; admins all; employers none."""
    if principal.is_employer:
        raise Forbidden("notices to workers are for agency staff")
    if principal.is_admin:
        return stmt
    return stmt.join(m.WorkerProfile.__table__, W.id == C.worker_id).where(
        W.agency_id == principal.agency_id
    )


async def list_notices(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None = None,
    worker_id: int | None = None,
    limit: int,
    offset: int,
) -> NoticePage:
    stmt = _scoped(principal, select(N).select_from(N))
    if status is not None:
        stmt = stmt.where(C.status == status)
    if worker_id is not None:
        stmt = stmt.where(C.worker_id == worker_id)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar()
    page = stmt.order_by(C.created_at.desc(), C.id.desc()).limit(limit).offset(offset)
    rows = (await session.execute(page)).all()
    return NoticePage(items=[_out(r) for r in rows], total=int(total or 0))


async def _get(session: AsyncSession, principal: Principal, notice_id: int) -> Any:
    stmt = _scoped(principal, select(N).select_from(N)).where(C.id == notice_id)
    row = (await session.execute(stmt)).first()
    if row is None:
        raise NotFound(f"no notice with id {notice_id}")
    return row


async def retry(session: AsyncSession, principal: Principal, notice_id: int) -> NoticeOut:
    """A failed notice goes back to the queue with a fresh count of attempts. It keeps its
    idempotency key: if an earlier attempt did reach her phone, the gateway drops the repeat."""
    row = await _get(session, principal, notice_id)
    if row.status != "failed":
        raise Conflict(f"notice {notice_id} is {row.status}; only a failed notice is retried")
    result = await session.execute(
        update(N)
        .where(C.id == notice_id, C.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=clock.now(), last_error=None)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Conflict(f"notice {notice_id} changed a moment ago")
    return _out(await _get(session, principal, notice_id))


# --- the gateway: her SMS replies ------------------------------------------------------------

_AT = re.compile(r"at `\$\.([A-Za-z_]+)")
_FIELD = re.compile(r"field `([^`]*)`")


def _parse(body: bytes) -> InboundIn:
    try:
        return msgspec.json.decode(body, type=InboundIn)
    except msgspec.ValidationError as exc:
        message = str(exc)
        where = _AT.search(message) or _FIELD.search(message)
        field = where.group(1) if where else "body"
        if "unknown field" in message:
            raise Invalid(field, "is not a field of this resource") from exc
        if "missing required field" in message:
            raise Invalid(field, "is required") from exc
        raise Invalid(field, message.split(" - at ")[0]) from exc
    except msgspec.DecodeError as exc:
        raise MalformedBody("body", f"is not valid JSON ({exc})") from exc


def _answer(text: str) -> bool | None:
    """``1`` accepts, ``2`` declines (full-width digits too, as some phones type them)."""
    word = unicodedata.normalize("NFKC", text).strip()
    return {"1": True, "2": False}.get(word)


async def receive_sms(
    session: AsyncSession,
    ctx: Context,
    *,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
) -> InboundOut:
    """Check the gateway's signature, record her reply, act on it, queue our answer."""
    secret = ctx.settings.notify_webhook_secret
    if not secret:
        raise Unavailable("SMS replies are not accepted: LAOWU_NOTIFY_WEBHOOK_SECRET is not set")
    try:
        signed = verify(secret, timestamp, signature, body, clock.now())
    except BadSignature as exc:
        raise Unauthorized(str(exc)) from exc
    data = _parse(body)
    try:
        phone = normalise_mobile(data.from_)
    except ValueError as exc:
        raise Invalid("from", str(exc)) from exc

    # The signature is unique: a replayed request inserts nothing and is refused (the whole
    # transaction rolls back, so the replay changes nothing).
    inbound_id = (
        await session.execute(
            insert_ignoring_conflicts(session, IN)
            .values(
                from_phone=phone,
                text=data.text,
                signature=signed,
                action="received",
                received_at=clock.now(),
            )
            .returning(IN.c.id)
        )
    ).scalar()
    if inbound_id is None:
        raise Conflict("this request was received already (same signature)")

    worker = (
        await session.execute(select(W.id, W.locale).where(W.phone == phone).limit(1))
    ).first()
    action: InboundAction
    offer_id: int | None = None
    reply: str | None = None
    if worker is None:
        action = "unknown_sender"  # no text back: we do not write to numbers we do not know
    else:
        accept = _answer(data.text)
        if accept is None:
            action, reply = "help", templates.help_reply(worker.locale)
        else:
            action, offer_id, reply = await _respond(session, ctx, phone, worker.locale, accept)
    await session.execute(
        update(IN)
        .where(IN.c.id == inbound_id)
        .values(action=action, worker_id=worker.id if worker else None, offer_id=offer_id)
    )
    if worker is not None and reply is not None:
        await enqueue(
            session,
            [
                notice_row(
                    kind=REPLY_KIND,
                    dedupe_key=f"reply:{inbound_id}",
                    worker_id=worker.id,
                    to_phone=phone,
                    locale=worker.locale,
                    text=reply,
                    offer_id=offer_id,
                )
            ],
        )
    return InboundOut(action=action, offer_id=offer_id)


async def _respond(
    session: AsyncSession, ctx: Context, phone: str, locale: str, accept: bool
) -> tuple[InboundAction, int | None, str]:
    view = await offers.latest_pending_for_phone(session, phone)
    if view is not None:
        try:
            done = await offers.respond(session, view, accept=accept, by="worker:sms")
        except Conflict:
            # Answered or expired a moment ago (respond changed nothing): nothing waits now.
            view = None
        else:
            action: InboundAction = "accepted" if accept else "declined"
            return action, done.id, templates.reply_result(accept, done.facts(ctx), locale)
    return "no_pending_offer", None, templates.reply_result(accept, None, locale)


__all__ = ["REPLY_KIND", "Unavailable", "list_notices", "receive_sms", "retry"]
