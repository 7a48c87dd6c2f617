"""Keys derived from the one secret: token signing, ID-number encryption and its lookup hash,
worker links and the web console's session cookie."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@functools.cache
def _aead(key: bytes) -> AESGCM:
    """One cipher object per key (making one costs as much as a short encryption)."""
    return AESGCM(key)


def _derive(secret: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"laowu", info=purpose.encode()).derive(
        secret.encode()
    )


@dataclass(frozen=True, slots=True)
class Keys:
    token: bytes
    pii: bytes
    lookup: bytes
    link: bytes
    web_session: bytes  # encrypts the web console's session cookie

    @classmethod
    def from_secret(cls, secret: str) -> Keys:
        return cls(
            token=_derive(secret, "token"),
            pii=_derive(secret, "pii-encryption"),
            lookup=_derive(secret, "pii-lookup"),
            link=_derive(secret, "worker-link"),
            web_session=_derive(secret, "web-session"),
        )

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = _aead(self.pii).encrypt(nonce, plaintext.encode(), b"laowu-pii")
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        raw = base64.urlsafe_b64decode(token.encode())
        return _aead(self.pii).decrypt(raw[:12], raw[12:], b"laowu-pii").decode()

    def lookup_hash(self, value: str) -> str:
        """A keyed hash: finds duplicates without storing the value in the clear."""
        return hmac.new(self.lookup, value.encode(), hashlib.sha256).hexdigest()
