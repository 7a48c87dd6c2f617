"""The verified-token cache must never accept what a fresh verification would refuse."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import Token

from matching.api.auth import CachedToken

SECRET = "a-secret-for-this-test-only-0123456789abcdef"


def _token(seconds: int) -> str:
    exp = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return Token(exp=exp, sub="7").encode(SECRET, "HS256")


def test_a_hit_is_the_verified_token() -> None:
    encoded = _token(600)
    first = CachedToken.decode(encoded, SECRET, "HS256", verify_exp=True)
    assert first.sub == "7"
    assert CachedToken.decode(encoded, SECRET, "HS256", verify_exp=True) is first


def test_past_its_expiry_a_cached_token_is_verified_again(monkeypatch: pytest.MonkeyPatch) -> None:
    encoded = _token(60)
    first = CachedToken.decode(encoded, SECRET, "HS256")
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    # PyJWT reads its own clock, so here the token is still valid to it: what matters is that
    # the cache did not answer (an expired token is refused by PyJWT: test_network).
    again = CachedToken.decode(encoded, SECRET, "HS256")
    assert again is not first and again.sub == "7"


def test_a_hit_needs_the_same_secret_and_checks() -> None:
    encoded = _token(600)
    CachedToken.decode(encoded, SECRET, "HS256")
    with pytest.raises(NotAuthorizedException):
        CachedToken.decode(encoded, "another-secret-0123456789abcdef0123456789", "HS256")
    with pytest.raises(NotAuthorizedException):  # an audience the token does not carry
        CachedToken.decode(encoded, SECRET, "HS256", audience="someone-else")
