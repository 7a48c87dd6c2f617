"""Notices on both databases: the dispatcher against a real HTTP gateway on 127.0.0.1 (signed
requests, idempotency keys, retries with backoff, a crash between sending and recording, a
redirect), failed notices for staff and their retry, and the gateway's signed SMS replies."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from matching.app import create_app
from matching.db import models as m
from matching.db.engine import create_sessionmaker
from matching.lib import clock
from matching.lib.context import Context
from matching.notices import dispatch
from matching.notices.channels import (
    LogChannel,
    Outgoing,
    WebhookChannel,
    channel_from_settings,
)
from matching.notices.dispatch import DispatchResult, dispatch_due, drain
from matching.notices.outbox import enqueue, notice_row
from matching.notices.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BadSignature,
    signature,
    signed_headers,
    verify,
)
from matching.settings import ConfigurationError, Settings
from tests.integration.test_matching import small_world, wait_run
from tests.support import Api, assert_problem

SECRET = "gateway-secret-for-tests-0123456789"
LONG = dt.timedelta(hours=2)  # past any backoff (capped at 1 h) and any lease


# --- a gateway on 127.0.0.1 -----------------------------------------------------------------


class Gateway:
    """Stands in for the SMS gateway: checks signatures, drops repeated idempotency keys, and
    can fail the next N requests (500) or answer with a redirect."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.lock = threading.Lock()
        self.fail_next = 0
        self.always_fail = False
        self.redirect = False
        self.seen: list[str] = []  # every key received, repeats included
        self.delivered: Counter[str] = Counter()  # keys accepted as new (at most 1 each)
        self.bodies: dict[str, dict[str, Any]] = {}
        self.bad_signatures = 0
        self.elsewhere = 0  # requests to the redirect target (must stay 0)
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the dispatcher's client expects

            def log_message(self, *_args: Any) -> None:
                return None

            def _answer(self, status: int, extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/hook":
                    with gateway.lock:
                        gateway.elsewhere += 1
                    return self._answer(200)
                try:
                    # The gateway's clock agrees with ours, including when a test moves it.
                    verify(
                        gateway.secret,
                        self.headers.get(TIMESTAMP_HEADER),
                        self.headers.get(SIGNATURE_HEADER),
                        body,
                        clock.now(),
                    )
                except BadSignature:
                    with gateway.lock:
                        gateway.bad_signatures += 1
                    return self._answer(401)
                key = self.headers.get("Idempotency-Key", "")
                with gateway.lock:
                    gateway.seen.append(key)
                    if gateway.redirect:
                        return self._answer(302, {"Location": "/elsewhere"})
                    if gateway.always_fail or gateway.fail_next > 0:
                        gateway.fail_next = max(gateway.fail_next - 1, 0)
                        return self._answer(500)
                    if key not in gateway.delivered:  # a repeat is acknowledged, not re-sent
                        gateway.delivered[key] += 1
                        gateway.bodies[key] = json.loads(body)
                return self._answer(200)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128  # the default backlog (5) resets concurrent connections

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with Gateway(SECRET) as g:
        yield g


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


def context(settings: Settings, **overrides: Any) -> Context:
    return Context.from_settings(
        replace(settings, notify_webhook_secret=SECRET, webhook_timeout_seconds=2.0, **overrides)
    )


@pytest.fixture
async def webhook(gateway: Gateway) -> AsyncIterator[WebhookChannel]:
    channel = WebhookChannel(gateway.url, SECRET, timeout=2.0)
    yield channel
    await channel.aclose()


async def queue_notices(
    sm: async_sessionmaker[AsyncSession], n: int, worker_id: int | None = None, tag: str = "t"
) -> list[str]:
    """``n`` pending notices; answers their idempotency keys."""
    rows = [
        notice_row(
            kind="offer_made",
            dedupe_key=f"{tag}:{i}",
            worker_id=worker_id,
            to_phone=f"+86139{i:08d}",
            text=f"【劳务通】测试通知 {i}",
            link=f"http://127.0.0.1:8000/o/code{i}",
        )
        for i in range(n)
    ]
    async with sm() as session, session.begin():
        await enqueue(session, rows)
    return [r["idempotency_key"] for r in rows]


async def notices(sm: async_sessionmaker[AsyncSession]) -> list[m.Notice]:
    async with sm() as session:
        return list((await session.execute(select(m.Notice).order_by(m.Notice.id))).scalars())


async def until_settled(
    sm: async_sessionmaker[AsyncSession], ctx: Context, channel: Any, rounds: int = 12
) -> DispatchResult:
    """Dispatch, then move the clock past any backoff, until nothing is due or waiting."""
    total = DispatchResult()
    for _ in range(rounds):
        total += await dispatch_due(sm, ctx, channel)
        if all(n.status in ("sent", "failed") for n in await notices(sm)):
            return total
        clock.travel(LONG)
    raise AssertionError("notices did not settle")


# --- signing -------------------------------------------------------------------------------


def test_signing_round_trip_and_refusals() -> None:
    now = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    body = b'{"from":"+8613900000001","text":"1"}'
    h = signed_headers(SECRET, body, now)
    ts, sig = h[TIMESTAMP_HEADER], h[SIGNATURE_HEADER]
    assert ts == str(int(now.timestamp())) and sig.startswith("sha256=") and len(sig) == 71
    assert verify(SECRET, ts, sig, body, now) == sig
    assert verify(SECRET, ts, sig.upper().replace("SHA256=", "sha256="), body, now) == sig
    for args in [
        (None, sig, body, now),
        (ts, None, body, now),
        (ts, sig, body + b" ", now),  # the body changed
        (ts, "sha256=" + "0" * 64, body, now),
        ("１７７２", sig, body, now),  # full-width digits are not Unix seconds
        (ts, sig, body, now + dt.timedelta(minutes=5, seconds=1)),  # stale
        (ts, sig, body, now - dt.timedelta(minutes=5, seconds=1)),  # from the future
    ]:
        with pytest.raises(BadSignature):
            verify(SECRET, *args)
    with pytest.raises(BadSignature):
        verify("another secret", ts, sig, body, now)


# Past year 9999 (253402300800 and up) a calendar date cannot be built; the rest are not
# Unix seconds at all. Each was once a 500 (the timestamp was parsed before the signature).
BAD_TIMESTAMPS = [
    "253402300800",
    "999999999999",
    "1e309",
    "-1",
    "+1772000000",
    "abc",
    "1772000000.5",
    "0x69a0",
    "9" * 400,
    "1" * 5000,  # past Python's int() digit limit
]


def test_signed_but_impossible_timestamps_are_bad_signatures() -> None:
    now = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    body = b'{"from":"+8613900000001","text":"1"}'
    for ts in BAD_TIMESTAMPS:
        with pytest.raises(BadSignature, match=TIMESTAMP_HEADER):
            verify(SECRET, ts, signature(SECRET, ts, body), body, now)
        # Unsigned (or wrongly signed), the timestamp is not even read.
        with pytest.raises(BadSignature, match="does not match"):
            verify(SECRET, ts, "sha256=" + "0" * 64, body, now)


def test_the_signature_covers_the_timestamp_as_sent() -> None:
    """The signed format is unchanged: HMAC-SHA256 of "<timestamp>.<raw body>"."""
    import hashlib
    import hmac

    now = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    body = b'{"from":"+8613900000001","text":"1"}'
    ts = str(int(now.timestamp()))
    mac = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert verify(SECRET, ts, "sha256=" + mac, body, now) == "sha256=" + mac
    # A leading zero is the same number but not the same bytes: the signature does not match.
    with pytest.raises(BadSignature, match="does not match"):
        verify(SECRET, "0" + ts, "sha256=" + mac, body, now)


def test_channel_from_settings() -> None:
    assert isinstance(channel_from_settings(Settings()), LogChannel)
    chosen = channel_from_settings(
        Settings(notify_webhook_url="http://127.0.0.1:9/hook", notify_webhook_secret=SECRET)
    )
    assert isinstance(chosen, WebhookChannel) and chosen.url == "http://127.0.0.1:9/hook"
    with pytest.raises(ConfigurationError):
        channel_from_settings(Settings(notify_webhook_url="http://127.0.0.1:9/hook"))


# --- the dispatcher --------------------------------------------------------------------------


async def test_every_notice_arrives_once_through_failures(
    api: Api,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    gateway: Gateway,
    webhook: WebhookChannel,
) -> None:
    ctx = context(settings)
    keys = await queue_notices(sessionmaker, 20)
    gateway.fail_next = 30  # all 20 fail once, then 10 of them fail again
    total = await until_settled(sessionmaker, ctx, webhook)

    assert gateway.bad_signatures == 0
    assert set(gateway.delivered) == set(keys)
    assert max(gateway.delivered.values()) == 1
    assert len(gateway.seen) == 50  # 30 refused + 20 accepted; no re-send of a delivered one
    assert total == DispatchResult(claimed=50, sent=20, retried=30, failed=0)
    rows = await notices(sessionmaker)
    assert {n.status for n in rows} == {"sent"}
    assert all(n.sent_at is not None and n.last_error is None for n in rows)
    assert sorted(n.attempts for n in rows).count(3) == 10  # the ones that failed twice
    first = rows[0]
    assert gateway.bodies[first.idempotency_key] == {
        "to": first.to_phone,
        "template": "offer_made",
        "text": first.text,
        "link": first.link,
        "locale": "zh",
    }


async def test_a_retry_waits_for_its_backoff(
    api: Api,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    gateway: Gateway,
    webhook: WebhookChannel,
) -> None:
    ctx = context(settings, notice_backoff_seconds=100)
    await queue_notices(sessionmaker, 3)
    gateway.fail_next = 3
    assert await dispatch_due(sessionmaker, ctx, webhook) == DispatchResult(3, 0, 3, 0)
    for n in await notices(sessionmaker):
        assert n.status == "pending" and n.attempts == 1 and "HTTP 500" in (n.last_error or "")
        # full jitter: anywhere in [0, base]
        assert clock.now() - dt.timedelta(seconds=5) <= n.next_attempt_at
        assert n.next_attempt_at <= clock.now() + dt.timedelta(seconds=100)
    clock.travel(dt.timedelta(seconds=101))
    assert (await dispatch_due(sessionmaker, ctx, webhook)).sent == 3
    # Backoff grows and is capped at an hour.
    assert all(dispatch.backoff(ctx, 30) <= dt.timedelta(hours=1) for _ in range(100))
    assert max(dispatch.backoff(ctx, 3) for _ in range(200)) > dt.timedelta(seconds=200)


async def test_killed_between_sending_and_recording_resends_with_the_same_key(
    api: Api,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    gateway: Gateway,
    webhook: WebhookChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = context(settings)
    keys = await queue_notices(sessionmaker, 5)

    async def crash(*_args: Any) -> DispatchResult:
        raise RuntimeError("killed after sending, before recording")

    with monkeypatch.context() as patch:
        patch.setattr(dispatch, "_mark", crash)
        with pytest.raises(RuntimeError):
            await dispatch_due(sessionmaker, ctx, webhook)
    assert sorted(gateway.seen) == sorted(keys)
    assert {n.status for n in await notices(sessionmaker)} == {"sending"}

    # Within the lease nobody takes them again...
    assert (await dispatch_due(sessionmaker, ctx, webhook)).claimed == 0
    # ...after it, they go again with the same keys, and the gateway drops the repeats.
    clock.travel(dispatch.lease_for(ctx, 200) + dt.timedelta(seconds=1))
    assert await dispatch_due(sessionmaker, ctx, webhook) == DispatchResult(5, 5, 0, 0)
    assert Counter(gateway.seen) == Counter({k: 2 for k in keys})
    assert Counter(gateway.delivered) == Counter({k: 1 for k in keys})
    rows = await notices(sessionmaker)
    assert {n.status for n in rows} == {"sent"} and {n.attempts for n in rows} == {2}


async def test_a_notice_that_always_kills_the_dispatcher_fails_in_the_end(
    api: Api,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = context(settings, notice_max_attempts=2)
    await queue_notices(sessionmaker, 1)

    class Killed(BaseException):
        """Not an Exception, like the process dying: nothing gets recorded."""

    class Crashing(LogChannel):
        async def send(self, notice: Outgoing) -> None:
            raise Killed

    for _ in range(2):
        with pytest.raises(Killed):
            await dispatch_due(sessionmaker, ctx, Crashing())
        clock.travel(LONG)
    assert await dispatch_due(sessionmaker, ctx, Crashing()) == DispatchResult(failed=1)
    (n,) = await notices(sessionmaker)
    assert n.status == "failed" and n.attempts == 2
    assert "stopped while sending" in (n.last_error or "")


async def test_a_redirect_is_a_failure_and_is_not_followed(
    api: Api,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    gateway: Gateway,
    webhook: WebhookChannel,
) -> None:
    ctx = context(settings)
    await queue_notices(sessionmaker, 1)
    gateway.redirect = True
    assert await dispatch_due(sessionmaker, ctx, webhook) == DispatchResult(1, 0, 1, 0)
    (n,) = await notices(sessionmaker)
    assert n.status == "pending" and "HTTP 302" in (n.last_error or "")
    assert gateway.elsewhere == 0 and not gateway.delivered


async def test_unreachable_gateway_and_log_channel(
    api: Api, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ctx = context(settings)
    await queue_notices(sessionmaker, 2)
    closed = WebhookChannel("http://127.0.0.1:9/hook", SECRET, timeout=1.0)  # discard port
    try:
        assert (await dispatch_due(sessionmaker, ctx, closed)).retried == 2
    finally:
        await closed.aclose()
    assert all("Connect" in (n.last_error or "") for n in await notices(sessionmaker))
    clock.travel(LONG)
    assert await drain(sessionmaker, ctx, LogChannel(), batch=1) == DispatchResult(2, 2, 0, 0)


async def test_concurrent_dispatchers_send_each_notice_once(
    api: Api,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    gateway: Gateway,
    webhook: WebhookChannel,
) -> None:
    ctx = context(settings)
    keys = await queue_notices(sessionmaker, 120)
    results = await asyncio.gather(*(drain(sessionmaker, ctx, webhook, batch=25) for _ in range(3)))
    # A dispatcher stops at a short batch; on SQLite (no row locks) losing a race for rows
    # looks like one, so one more pass picks up what the three left.
    rest = await drain(sessionmaker, ctx, webhook, batch=200)
    assert sum(r.sent for r in results) + rest.sent == 120
    assert {n.status for n in await notices(sessionmaker)} == {"sent"}
    assert Counter(gateway.seen) == Counter({k: 1 for k in keys})


async def test_failed_notices_for_staff_and_their_retry(
    api: Api,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    gateway: Gateway,
    webhook: WebhookChannel,
) -> None:
    ctx = context(settings, notice_max_attempts=3)
    a, b = await api.agency(), await api.agency()
    staff_a, staff_b = await api.staff(a["id"]), await api.staff(b["id"])
    hr = await api.employer_account((await api.employer())["id"])
    worker_a, worker_b = await api.worker(staff_a), await api.worker(staff_b)
    await queue_notices(sessionmaker, 2, worker_id=worker_a["id"], tag="a")
    await queue_notices(sessionmaker, 1, worker_id=worker_b["id"], tag="b")
    gateway.always_fail = True
    total = await until_settled(sessionmaker, ctx, webhook)
    assert total == DispatchResult(claimed=9, sent=0, retried=6, failed=3)

    admin = await api.admin()
    page = await api.ok("GET", "/notices?status=failed", admin)
    assert page["total"] == 3 and len(page["items"]) == 3
    item = page["items"][0]
    assert item["status"] == "failed" and item["attempts"] == 3
    assert "HTTP 500" in item["last_error"]
    assert (await api.ok("GET", "/notices?status=failed&limit=1&offset=2", admin))["total"] == 3
    mine = await api.ok("GET", "/notices?status=failed", staff_a)
    assert mine["total"] == 2 and {i["worker_id"] for i in mine["items"]} == {worker_a["id"]}
    theirs = await api.ok("GET", "/notices", staff_b)
    assert theirs["total"] == 1 and theirs["items"][0]["worker_id"] == worker_b["id"]
    assert (await api.ok("GET", "/notices?status=sent", staff_a))["total"] == 0
    assert_problem(await api.request("GET", "/notices", hr), 403)
    assert_problem(await api.request("GET", "/notices"), 401)

    before = await api.digest()
    target = mine["items"][0]["id"]
    for method, path, headers, status in [
        ("GET", "/notices?status=lost", staff_a, 400),
        ("GET", "/notices?limit=0", staff_a, 400),
        ("GET", "/notices?offset=-1", staff_a, 400),
        ("POST", f"/notices/{target}/retry", staff_b, 404),  # another agency's worker
        ("POST", f"/notices/{target}/retry", hr, 403),
        ("POST", f"/notices/{target}/retry", {}, 401),
        ("POST", "/notices/999999/retry", admin, 404),
        ("POST", "/notices/abc/retry", admin, 404),
    ]:
        assert_problem(await api.request(method, path, headers), status)
    assert await api.digest() == before

    again = await api.ok("POST", f"/notices/{target}/retry", staff_a)
    assert again["status"] == "pending" and again["attempts"] == 0
    assert again["last_error"] is None
    before = await api.digest()
    assert_problem(await api.request("POST", f"/notices/{target}/retry", staff_a), 409)
    assert await api.digest() == before

    gateway.always_fail = False
    assert await dispatch_due(sessionmaker, ctx, webhook) == DispatchResult(1, 1, 0, 0)
    sent = await api.ok("GET", f"/notices?status=sent&worker_id={worker_a['id']}", staff_a)
    assert sent["total"] == 1 and sent["items"][0]["id"] == target
    async with sessionmaker() as session:
        key = (await session.get(m.Notice, target)).idempotency_key  # type: ignore[union-attr]
    assert list(gateway.delivered) == [key]  # the retry kept its key


# --- her SMS replies ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def signed_client(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    """The app with a gateway secret configured (the suite's app has none)."""
    app = create_app(replace(settings, notify_webhook_secret=SECRET))
    async with AsyncTestClient(app=app) as c:
        yield c


@pytest.fixture
def sapi(api: Api, signed_client: AsyncTestClient) -> Api:
    """An API driver on the signed app; ``api`` empties the tables afterwards."""
    return Api(signed_client, api.engine)


async def sms(
    a: Api,
    phone: str,
    text: str,
    *,
    at: dt.datetime | None = None,
    secret: str = SECRET,
    raw: bytes | None = None,
) -> Any:
    body = raw if raw is not None else json.dumps({"from": phone, "text": text}).encode()
    headers = {
        "Content-Type": "application/json",
        **signed_headers(secret, body, at or clock.now()),
    }
    return await a.request("POST", "/notices/inbound", headers, content=body)


async def inbound(a: Api) -> list[m.InboundMessage]:
    async with AsyncSession(a.engine) as session:
        rows = await session.execute(select(m.InboundMessage).order_by(m.InboundMessage.id))
        return list(rows.scalars())


async def replies(a: Api) -> list[m.Notice]:
    async with AsyncSession(a.engine) as session:
        rows = await session.execute(
            select(m.Notice).where(m.Notice.kind == "sms_reply").order_by(m.Notice.id)
        )
        return list(rows.scalars())


async def offered_world(a: Api) -> dict[str, Any]:
    w = await small_world(a)
    r = await a.request("POST", "/match-runs", w["staff_a"], json={})
    assert (await wait_run(a, w["staff_a"], r.json()["id"]))["status"] == "done"
    return w


async def offer_of(a: Api, staff: dict[str, str], worker_id: int) -> dict[str, Any]:
    page = await a.ok("GET", f"/workers/{worker_id}/offers", staff)
    return page["items"][0]


async def test_reply_1_accepts_and_2_declines(sapi: Api) -> None:
    w = await offered_world(sapi)
    her = w["priority"]
    offer = await offer_of(sapi, w["staff_a"], her["id"])
    assert offer["status"] == "pending"

    r = await sms(sapi, her["phone"].removeprefix("+86"), " 1 ")  # as she typed it
    assert r.status_code == 200, r.text
    assert r.json() == {"action": "accepted", "offer_id": offer["id"]}
    assert (await offer_of(sapi, w["staff_a"], her["id"]))["status"] == "accepted"
    (msg,) = await inbound(sapi)
    assert (msg.action, msg.worker_id, msg.offer_id) == ("accepted", her["id"], offer["id"])
    assert msg.from_phone == her["phone"] and msg.text == " 1 "
    (reply,) = await replies(sapi)
    assert reply.to_phone == her["phone"] and reply.status == "pending"
    assert reply.dedupe_key == f"reply:{msg.id}" and reply.offer_id == offer["id"]
    assert "您已接受" in reply.text and "雅尔美服饰" in reply.text

    # Her offer is answered: another 1 finds nothing waiting.
    r = await sms(sapi, her["phone"], "1")
    assert r.json() == {"action": "no_pending_offer", "offer_id": None}
    assert (await replies(sapi))[-1].text == "【劳务通】您目前没有待答复的录用通知。"

    # A full-width ２ (some phones type it) declines: the inspector's offer (agency b).
    decliner, staff = w["inspector"], w["staff_b"]
    theirs = (await sapi.ok("GET", f"/workers/{decliner['id']}/offers", staff))["items"]
    r = await sms(sapi, decliner["phone"], "２")
    assert r.json() == {"action": "declined", "offer_id": theirs[0]["id"]}
    assert (await offer_of(sapi, staff, decliner["id"]))["status"] == "declined"
    assert "您已谢绝" in (await replies(sapi))[-1].text
    profile = await sapi.ok("GET", f"/workers/{decliner['id']}", staff)
    assert profile["status"] == "available"


async def test_other_replies_unknown_senders_and_no_offer(sapi: Api) -> None:
    staff = await sapi.staff((await sapi.agency())["id"])
    her = await sapi.worker(staff)
    r = await sms(sapi, her["phone"], "请问什么时候上班？")
    assert r.json() == {"action": "help", "offer_id": None}
    assert (await replies(sapi))[-1].text.startswith("【劳务通】回复1接受")
    r = await sms(sapi, her["phone"], "2")
    assert r.json() == {"action": "no_pending_offer", "offer_id": None}

    stranger = "+8613700000000"
    r = await sms(sapi, stranger, "1")
    assert r.json() == {"action": "unknown_sender", "offer_id": None}
    msgs = await inbound(sapi)
    assert [x.action for x in msgs] == ["help", "no_pending_offer", "unknown_sender"]
    assert msgs[-1].worker_id is None and msgs[-1].from_phone == stranger
    assert len(await replies(sapi)) == 2  # nothing is sent to a number we do not know


async def test_unsigned_stale_and_replayed_replies_change_nothing(sapi: Api) -> None:
    w = await offered_world(sapi)
    her = w["priority"]
    body = json.dumps({"from": her["phone"], "text": "1"}).encode()
    before = await sapi.digest()

    plain = {"Content-Type": "application/json"}
    assert_problem(await sapi.request("POST", "/notices/inbound", plain, content=body), 401)
    assert_problem(await sms(sapi, her["phone"], "1", secret="not the secret"), 401)
    stale = clock.now() - dt.timedelta(minutes=5, seconds=5)
    assert_problem(await sms(sapi, her["phone"], "1", at=stale), 401)
    ahead = clock.now() + dt.timedelta(minutes=6)
    assert_problem(await sms(sapi, her["phone"], "1", at=ahead), 401)
    forged = {**plain, **signed_headers(SECRET, body, clock.now())}
    tampered = body.replace(b'"1"', b'"2"')
    r = await sapi.request("POST", "/notices/inbound", forged, content=tampered)
    assert_problem(r, 401)
    garbage = {**forged, TIMESTAMP_HEADER: "yesterday"}
    assert_problem(await sapi.request("POST", "/notices/inbound", garbage, content=body), 401)
    assert await sapi.digest() == before

    r = await sapi.request("POST", "/notices/inbound", forged, content=body)
    assert r.json()["action"] == "accepted"
    after = await sapi.digest()
    replayed = await sapi.request("POST", "/notices/inbound", forged, content=body)
    assert_problem(replayed, 409)
    assert await sapi.digest() == after


async def test_impossible_timestamps_answer_401_and_change_nothing(sapi: Api) -> None:
    staff = await sapi.staff((await sapi.agency())["id"])
    her = await sapi.worker(staff)
    body = json.dumps({"from": her["phone"], "text": "1"}).encode()
    before = await sapi.digest()
    for ts in BAD_TIMESTAMPS:
        for sig in (signature(SECRET, ts, body), "sha256=" + "0" * 64):
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: ts,
                SIGNATURE_HEADER: sig,
            }
            r = await sapi.request("POST", "/notices/inbound", headers, content=body)
            try:
                assert_problem(r, 401)
            except AssertionError as exc:
                raise AssertionError(f"timestamp {ts[:20]!r}: {exc}") from None
    assert await sapi.digest() == before
    # A correctly signed request still works.
    r = await sms(sapi, her["phone"], "1")
    assert r.status_code == 200, r.text
    assert r.json() == {"action": "no_pending_offer", "offer_id": None}
    assert [x.action for x in await inbound(sapi)] == ["no_pending_offer"]


async def test_bad_reply_bodies_answer_problems_and_change_nothing(sapi: Api) -> None:
    staff = await sapi.staff((await sapi.agency())["id"])
    her = await sapi.worker(staff)
    before = await sapi.digest()
    for raw, status, field in [
        (b"{not json", 400, "body"),
        (b"[]", 422, "body"),
        (b"{}", 422, "from"),
        (json.dumps({"from": her["phone"]}).encode(), 422, "text"),
        (json.dumps({"from": her["phone"], "text": 1}).encode(), 422, "text"),
        (json.dumps({"from": "12345", "text": "1"}).encode(), 422, "from"),
        (json.dumps({"from": "+14155550123", "text": "1"}).encode(), 422, "from"),
        (json.dumps({"from": her["phone"] + "\u200b", "text": "1"}).encode(), 422, "from"),
        (json.dumps({"from": her["phone"], "text": "1", "x": 1}).encode(), 422, "x"),
        (json.dumps({"from": her["phone"], "text": "长" * 1001}).encode(), 422, "text"),
    ]:
        assert_problem(await sms(sapi, "", "", raw=raw), status, field)
    assert await sapi.digest() == before


async def test_replies_are_refused_without_a_secret(api: Api) -> None:
    body = json.dumps({"from": "+8613900000001", "text": "1"}).encode()
    headers = {"Content-Type": "application/json", **signed_headers(SECRET, body, clock.now())}
    before = await api.digest()
    assert_problem(await api.request("POST", "/notices/inbound", headers, content=body), 503)
    assert await api.digest() == before
