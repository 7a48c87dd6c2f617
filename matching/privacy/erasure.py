"""Erasure (PIPL art. 47): her identity removed from every table, in the one transaction of
the request. Her row and the records the figures count (offers, placements, cases, training)
stay, holding nothing of who she is: her name becomes ``已删除``; her phone, birth date, home
county, preferences and ID number (ciphertext, keyed hash, masked form) are NULL; every text
she gave or that was written about her (notices, SMS replies, proposal reasons, check-in
answers, tasks, case summaries and logs, offer and placement notes) is removed or replaced.
Her live offers are withdrawn first, by the offers' own rule, and no notice reaches her.

Afterwards she is found by no read (404) and is in no match run; the same woman can register
again as a new record. On SQLite the edge calls ``matching.db.engine.checkpoint_truncate``
after the commit, so the WAL's old pages go too (the file zeroes what is overwritten:
``PRAGMA secure_delete``). On PostgreSQL no live row holds her; dead row versions remain until
VACUUM (see ``docs/erasure.md``)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from matching.api.access import AccessLog
from matching.db.engine import checkpoint_truncate
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict, FieldErrors, Forbidden, NotFound, msg
from matching.lib.principal import Principal
from matching.lib.text import ERASED, clean_text
from matching.matches import repository as matches_repo
from matching.notices import outbox
from matching.offers import repository as offers_repo
from matching.offers import service as offers
from matching.placements import repository as placements_repo
from matching.placements.cases import FINAL
from matching.privacy.schemas import ErasureOut, KeptRecord
from matching.profiles import repository as repo
from matching.profiles.service import consent_event, worker_scope

log = logging.getLogger(__name__)

WITHDRAWN = "她的个人信息已应其要求删除 / her personal data was erased at her request"
OPEN_CASE = ("open", "mediating", "escalated")
assert not set(OPEN_CASE) & set(FINAL)

_COUNTED = "计入当年输送就业统计 / counted in the placements of its year"
_WORKING = "她仍在该单位工作，录用记录保留 / she still works there: the record of the hire"
_FEE = "收费记录（统一收费）须保留 / the fee charged is an accounting record"
_CASE_COUNTED = "计入维权案件和调处率统计 / counted in the cases handled and the mediation rate"
_CASE_OPEN = "案件仍在办理中 / the case is still being handled for her"
_MONEY = "补偿金额须保留 / the compensation claimed or recovered is a record of money"
_WORKER = (
    "技能和重点群体保留（无身份信息），计入统计 / her skills and priority groups, without her "
    "identity, stay counted in the figures"
)


def _reason(errors: FieldErrors, reason: str, name: str, phone: str | None) -> str:
    """Staff's reason, by the one-line text rule; it is kept, so it may not name her."""
    clean = clean_text(errors, "reason", reason, blank="say why she is erased")
    digits = (phone or "").removeprefix("+86")
    if clean and (name in clean or (digits and digits in clean.replace(" ", ""))):
        errors.add("reason", msg("must not name her or give her phone: the reason is kept"))
    return clean


def _kept(worker_id: int, placements: list[Any], cases: list[Any]) -> list[KeptRecord]:
    kept = [KeptRecord(kind="worker", id=worker_id, reason=_WORKER)]
    for p in placements:
        why = [_COUNTED]
        if p.status == "active":
            why.append(_WORKING)
        if p.fee_due:
            why.append(_FEE)
        kept.append(KeptRecord(kind="placement", id=p.id, reason="; ".join(why)))
    for c in cases:
        why = [_CASE_COUNTED]
        if c.status in OPEN_CASE:
            why.append(_CASE_OPEN)
        if c.money_claimed or c.money_recovered:
            why.append(_MONEY)
        kept.append(KeptRecord(kind="case", id=c.id, reason="; ".join(why)))
    return kept


async def erase_worker(
    session: AsyncSession, ctx: Context, principal: Principal, worker_id: int, reason: str
) -> ErasureOut:
    """Erase her identity (admins, or staff of her agency). A second erasure is a conflict."""
    if principal.is_employer:
        raise Forbidden(msg("an employer account may not erase a worker"))
    target = await repo.erasure_target(session, worker_id, worker_scope(principal))
    if target is None:
        raise NotFound(msg("no worker with id {worker_id}"), worker_id=worker_id)
    if target.erased_at is not None:
        raise Conflict(
            msg("worker {worker_id} was erased already, at {erased_at}"),
            extra={"erased_at": target.erased_at.isoformat()},
            worker_id=worker_id,
            erased_at=target.erased_at.isoformat(),
        )
    errors = FieldErrors()
    clean = _reason(errors, reason, target.name, target.phone)
    errors.raise_if_any()
    now = clock.now()
    removed: dict[str, int] = {}
    # Her offers' old reasons and links, her SMS replies; then her live offers are withdrawn
    # by the offers' rule (the slot is free again), and every notice to her goes, the
    # withdrawal's too: nothing is sent to an erased person.
    removed |= await offers_repo.forget_worker(session, worker_id, target.phone)
    withdrawn = await offers.withdraw_for_worker(
        session, ctx, principal, worker_id, WITHDRAWN, at_her_request=True
    )
    removed["notices"] = await outbox.forget_worker(session, worker_id, target.phone)
    removed |= await matches_repo.forget_worker(session, worker_id)
    placements, cases = await placements_repo.records_of_worker(session, worker_id)
    removed |= await placements_repo.forget_worker(
        session, worker_id, ERASED, at=now, open_case=OPEN_CASE
    )
    await repo.erase_identity(session, worker_id, name=ERASED, at=now)
    await repo.insert_consents(
        session, [consent_event(worker_id, "matching", False, principal, now)]
    )
    kept = _kept(worker_id, placements, cases)
    await repo.insert_erasure(
        session,
        {
            "worker_id": worker_id,
            "at": now,
            "by_id": principal.account_id or None,
            "reason": clean,
            "kept": [{"kind": k.kind, "id": k.id, "reason": k.reason} for k in kept],
            "removed": removed,
        },
    )
    await session.flush()
    return ErasureOut(
        worker_id=worker_id,
        erased_at=now,
        erased_by=principal.account_id or None,
        reason=clean,
        withdrawn_offers=withdrawn,
        kept=kept,
        removed=removed,
    )


async def clear_storage(engine: AsyncEngine, access: AccessLog) -> None:
    """After the erasure's commit: on SQLite, the WAL's copies of her old pages go (the WAL is
    checkpointed into the file and truncated). It waits up to the busy timeout for readers.
    The access log's buffered rows are written first, so its next flush does not start a new
    WAL the moment the old one is truncated."""
    if engine.dialect.name != "sqlite":
        return
    try:
        await access.flush()
    except Exception:  # the erasure is committed; the log keeps its rows and retries them
        log.exception("the access log could not be written before the WAL checkpoint")
    if not await checkpoint_truncate(engine):
        log.warning("the WAL checkpoint after an erasure was held back by a reader; it runs again")
        if not await checkpoint_truncate(engine):
            log.error("the WAL still holds pages from before an erasure; checkpoint it by hand")
