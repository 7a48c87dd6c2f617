"""Her SMS replies, relayed by the gateway (signed): ``1`` accepts and ``2`` declines her most
recent pending offer. Every answer to her goes through the outbox in the same transaction as
the reply's record and its effect."""

from __future__ import annotations

import re
import unicodedata

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict, DomainError, Invalid, Unauthorized, msg
from matching.lib.identity import normalise_mobile
from matching.notices import templates
from matching.notices.outbox import enqueue, notice_row
from matching.notices.schemas import InboundAction, InboundIn, InboundOut
from matching.notices.signing import BadSignature, verify
from matching.offers import repository as repo
from matching.offers.service import respond

REPLY_KIND = "sms_reply"


class Unavailable(DomainError):
    """The service is not configured for this (no webhook secret to check signatures with)."""

    status_code = 503
    title = "Service unavailable"


class MalformedBody(Invalid):
    status_code = 400
    title = "Malformed JSON"


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
            raise Invalid(field, msg("is not a field of this resource")) from exc
        if "missing required field" in message:
            raise Invalid(field, msg("is required")) from exc
        raise Invalid(field, message.split(" - at ")[0]) from exc
    except msgspec.DecodeError as exc:
        raise MalformedBody(msg("body"), f"is not valid JSON ({exc})") from exc


def _answer(text: str) -> bool | None:
    """``1`` accepts, ``2`` declines (full-width digits too, as some phones type them)."""
    word = unicodedata.normalize("NFKC", text).strip()
    return {"1": True, "2": False}.get(word)


async def receive(
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
        raise Unavailable(
            msg("SMS replies are not accepted: LAOWU_NOTIFY_WEBHOOK_SECRET is not set")
        )
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
    inbound_id = await repo.record_inbound(session, phone, data.text, signed, clock.now())
    if inbound_id is None:
        raise Conflict(msg("this request was received already (same signature)"))

    worker = await repo.worker_by_phone(session, phone)
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
    await repo.settle_inbound(session, inbound_id, action, worker.id if worker else None, offer_id)
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
    view = await repo.latest_pending_for_phone(session, phone)
    if view is not None:
        try:
            done = await respond(session, view, accept=accept, by="worker:sms")
        except Conflict:
            # Answered or expired a moment ago (respond changed nothing): nothing waits now.
            view = None
        else:
            action: InboundAction = "accepted" if accept else "declined"
            return action, done.id, templates.reply_result(accept, done.facts(ctx), locale)
    return "no_pending_offer", None, templates.reply_result(accept, None, locale)


__all__ = ["REPLY_KIND", "Unavailable", "receive"]
