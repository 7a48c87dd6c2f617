"""Delivery channels for the outbox: ``log`` (the embedded default) and ``webhook`` (an SMS or
WeChat gateway, signed as api.md fixes). A channel either returns (delivered) or raises
:class:`DeliveryError`; retries and bookkeeping belong to :mod:`matching.notices.dispatch`."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Protocol

import httpx

from matching.lib import clock
from matching.notices.signing import IDEMPOTENCY_HEADER, signed_headers
from matching.settings import ConfigurationError, Settings

log = logging.getLogger("laowu.notices")

# Connections to the gateway: LANES clients of LANE_SIZE keep-alive connections each, together
# as many as the dispatcher sends at once (dispatch.CONCURRENCY). Not one client of 32: httpcore
# scans every connection of its pool on each request event, so its CPU per request grows with
# the pool (measured on 127.0.0.1: about 3 ms a request with 32 connections, 1 ms with 8).
LANES = 4
LANE_SIZE = 8


class DeliveryError(Exception):
    """The channel could not deliver; the message becomes the notice's ``last_error``."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a channel needs of a claimed notice."""

    id: int
    idempotency_key: str
    to: str
    template: str
    text: str
    link: str
    locale: str


class Channel(Protocol):
    name: str

    async def send(self, notice: Outgoing) -> None:
        """Deliver or raise :class:`DeliveryError`."""
        ...

    async def aclose(self) -> None:
        """Release connections; the channel is not used afterwards."""
        ...


class LogChannel:
    """Writes the notice to the log and counts it delivered (no gateway configured)."""

    name = "log"

    async def send(self, notice: Outgoing) -> None:
        # Neither her phone (even masked) nor the text (her name, her link: a credential).
        log.info(
            "notice %s (%s) delivered to the log, key %s",
            notice.id,
            notice.template,
            notice.idempotency_key,
        )

    async def aclose(self) -> None:
        return None


class WebhookChannel:
    """POSTs ``{to, template, text, link, locale}`` to the gateway, signed, with the notice's
    idempotency key. Any 2xx is delivery; a redirect is a failure (never followed: the signed
    request must reach the configured URL and nowhere else)."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float = 5.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self._given = client  # a caller's client is used alone and left open
        self._lanes: list[httpx.AsyncClient] = []
        self._busy: list[int] = []

    def _lane(self) -> int:
        # Made on first use, inside the event loop that sends; then kept (keep-alive).
        if not self._lanes:
            if self._given is not None:
                self._lanes = [self._given]
            else:
                limits = httpx.Limits(
                    max_connections=LANE_SIZE, max_keepalive_connections=LANE_SIZE
                )
                self._lanes = [
                    httpx.AsyncClient(timeout=self.timeout, follow_redirects=False, limits=limits)
                    for _ in range(LANES)
                ]
            self._busy = [0] * len(self._lanes)
        # The least busy lane, so no send waits for a connection while another lane has one.
        return min(range(len(self._lanes)), key=self._busy.__getitem__)

    def body(self, notice: Outgoing) -> bytes:
        payload = {
            "to": notice.to,
            "template": notice.template,
            "text": notice.text,
            "link": notice.link,
            "locale": notice.locale,
        }
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()

    async def send(self, notice: Outgoing) -> None:
        body = self.body(notice)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            IDEMPOTENCY_HEADER: notice.idempotency_key,
            **signed_headers(self.secret, body, clock.now()),
        }
        lane = self._lane()
        self._busy[lane] += 1
        try:
            # httpx's timeout bounds each phase; this bounds the whole exchange.
            async with asyncio.timeout(self.timeout):
                response = await self._lanes[lane].post(
                    self.url, content=body, headers=headers, follow_redirects=False
                )
        except TimeoutError as exc:
            raise DeliveryError(f"no answer within {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:500]) from exc
        finally:
            self._busy[lane] -= 1
        if not response.is_success:
            where = response.headers.get("location")
            extra = f" to {where}" if where else ""
            raise DeliveryError(f"gateway answered HTTP {response.status_code}{extra}"[:500])

    async def aclose(self) -> None:
        lanes, self._lanes, self._busy = self._lanes, [], []
        for client in lanes:
            if client is not self._given:
                await client.aclose()


def channel_from_settings(settings: Settings) -> Channel:
    """The webhook when ``LAOWU_NOTIFY_WEBHOOK_URL`` is set, else the log.

    A webhook without a secret is refused: the contract says every request to the gateway is
    signed, and a gateway that checks would drop every notice.
    """
    if not settings.notify_webhook_url:
        return LogChannel()
    if not settings.notify_webhook_secret:
        raise ConfigurationError(
            "LAOWU_NOTIFY_WEBHOOK_SECRET must be set when LAOWU_NOTIFY_WEBHOOK_URL is"
        )
    return WebhookChannel(
        settings.notify_webhook_url,
        settings.notify_webhook_secret,
        timeout=settings.webhook_timeout_seconds,
    )


__all__ = [
    "Channel",
    "DeliveryError",
    "LogChannel",
    "Outgoing",
    "WebhookChannel",
    "channel_from_settings",
]
