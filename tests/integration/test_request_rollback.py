"""The request owns its transaction, on both databases: a domain error raised after the
request has written leaves the database exactly as it was (a digest of every table before
and after), and the error still answers as a problem.

No route raises a domain error after writing when used as intended (services check before
they write), so the error is planted: a listener on every engine raises ``Conflict`` right
after the chosen statement ran inside the request's transaction. Raised from a plain
statement (not from an ORM flush, which would spoil the transaction by itself), it reaches
the session dependency with the write done and the transaction alive: only the rollback
stands between that write and the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from matching.lib.errors import Conflict
from tests.integration.test_offers import offered_world
from tests.support import Api, assert_problem

PLANTED = "planted after the write: this request must leave nothing behind"


@contextmanager
def conflict_after(statement_prefix: str) -> Iterator[list[str]]:
    """Raise Conflict once, right after the first statement starting with the prefix ran."""
    fired: list[str] = []

    def after(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not fired and statement.lstrip().upper().startswith(statement_prefix.upper()):
            fired.append(statement)
            raise Conflict(PLANTED)

    event.listen(Engine, "after_cursor_execute", after)
    try:
        yield fired
    finally:
        event.remove(Engine, "after_cursor_execute", after)


@pytest.mark.parametrize(
    ("action", "after_statement"),
    [
        # Her answer: one write (the offer's status), then the error.
        ("accept", "UPDATE offers"),
        # The employer's confirmation: the offer, the placement and its follow-ups are
        # written, then her status; the error comes after all of them.
        ("confirm", "UPDATE worker_profiles"),
    ],
)
async def test_a_domain_error_after_a_write_leaves_the_database_unchanged(
    api: Api, action: str, after_statement: str
) -> None:
    w = await offered_world(api)
    pid = w["priority"]["id"]
    offer_id = w["offer_of"][pid]
    if action == "confirm":
        await api.ok("POST", f"/offers/{offer_id}/accept", w["staff_a"])
    who = w["employer_hr"] if action == "confirm" else w["staff_a"]
    before = await api.digest()
    with conflict_after(after_statement) as fired:
        r = await api.request("POST", f"/offers/{offer_id}/{action}", who)
    assert fired, f"no {after_statement} ran: the planted error never fired"
    body = assert_problem(r, 409)
    assert body["detail"] == PLANTED
    assert await api.digest() == before
    # Nothing is left half-done: the same request, without the planted error, goes through.
    done = await api.ok("POST", f"/offers/{offer_id}/{action}", who)
    assert (done.get("status") or done["placement"]["status"]) in ("accepted", "active")
