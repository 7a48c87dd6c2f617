"""HMAC signatures on gateway traffic, both ways (api.md, "The SMS/WeChat gateway").

A request carries ``X-Laowu-Timestamp`` (Unix seconds) and ``X-Laowu-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``. Signing the timestamp with the body
lets a receiver refuse an old request replayed later; within the window it refuses a repeat
by remembering the signature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

TIMESTAMP_HEADER = "X-Laowu-Timestamp"
SIGNATURE_HEADER = "X-Laowu-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TOLERANCE = dt.timedelta(minutes=5)
_PREFIX = "sha256="
_MAX_DIGITS = 12


class BadSignature(ValueError):
    """The request is unsigned, wrongly signed, or signed too long ago (or ahead)."""


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex>`` over ``"<timestamp>.<body>"``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return _PREFIX + mac.hexdigest()


def signed_headers(secret: str, body: bytes, now: dt.datetime) -> dict[str, str]:
    """The two headers for a request with ``body`` sent at ``now``."""
    ts = int(now.timestamp())
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: signature(secret, ts, body)}


def verify(
    secret: str,
    timestamp: str | None,
    given: str | None,
    body: bytes,
    now: dt.datetime,
    tolerance: dt.timedelta = TOLERANCE,
) -> str:
    """Check a received request; answer its signature normalised (lower-case hex), which the
    caller stores to refuse replays, or raise :class:`BadSignature` saying why.

    The signature is checked first, over the timestamp exactly as it was sent: nothing an
    unsigned request carries is parsed. Only then is the timestamp read, as whole seconds
    compared with ours (no calendar date is built from it, so no value can overflow one)."""
    if not timestamp or not given:
        raise BadSignature(f"the {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required")
    ts_text = timestamp.strip()
    normalised = given.strip().lower()
    # Sign the timestamp exactly as it was sent: a receiver must not re-format it.
    expected = signature(secret, ts_text, body)
    if not hmac.compare_digest(normalised.encode(), expected.encode()):
        raise BadSignature(f"{SIGNATURE_HEADER} does not match the body")
    # isdigit() alone accepts other scripts' digits; the header must be plain ASCII seconds
    # (no sign, no exponent), and short: 12 digits reach far beyond any clock we compare with.
    if not (ts_text.isascii() and ts_text.isdigit() and len(ts_text) <= _MAX_DIGITS):
        raise BadSignature(f"{TIMESTAMP_HEADER} must be Unix seconds")
    if abs(int(ts_text) - now.timestamp()) > tolerance.total_seconds():
        raise BadSignature(
            f"{TIMESTAMP_HEADER} is more than {int(tolerance.total_seconds())} s off our clock"
        )
    return normalised


__all__ = [
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TOLERANCE",
    "BadSignature",
    "signature",
    "signed_headers",
    "verify",
]
