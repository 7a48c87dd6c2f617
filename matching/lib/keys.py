"""Keys derived from the one secret: token signing, ID-number encryption and its lookup hash,
worker links and the web console's session cookie.

ID numbers have a key ring: the current secret's key and those of earlier secrets
(``LAOWU_PREVIOUS_SECRET_KEYS``), each named by a short id (a fingerprint of its secret) that
prefixes every ciphertext it made (``<id>:<base64>``; a ciphertext without one predates the
ring and is tried under each key). Only the current key encrypts and makes new lookup hashes;
every key in the ring decrypts and finds duplicates, until ``laowu keys rotate`` has moved
every row under the current one. Tokens, links and sessions use the current secret only."""

from __future__ import annotations

import base64
import functools
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from matching.lib.errors import DomainError

_AAD = b"laowu-pii"


@functools.cache
def _aead(key: bytes) -> AESGCM:
    """One cipher object per key (making one costs as much as a short encryption)."""
    return AESGCM(key)


def _derive(secret: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"laowu", info=purpose.encode()).derive(
        secret.encode()
    )


class KeyMissing(DomainError):
    """A ciphertext under a key that is not in the ring: the operator dropped a previous
    secret before ``laowu keys rotate`` had moved every row off it."""

    status_code = 500
    title = "Encryption key missing"

    def __init__(self, key_id: str | None) -> None:
        named = f"key {key_id}" if key_id else "a key older than the key ring"
        super().__init__(
            f"her ID number is encrypted under {named}, which is neither LAOWU_SECRET_KEY nor "
            "in LAOWU_PREVIOUS_SECRET_KEYS: put that secret back among the previous ones",
            extra={"key_id": key_id},
        )


@dataclass(frozen=True, slots=True)
class PiiKey:
    """One secret's ID-number keys: ``id`` names it in its ciphertexts."""

    id: str
    encryption: bytes
    lookup: bytes

    @classmethod
    def from_secret(cls, secret: str) -> PiiKey:
        return cls(
            id=_derive(secret, "pii-key-id")[:4].hex(),
            encryption=_derive(secret, "pii-encryption"),
            lookup=_derive(secret, "pii-lookup"),
        )

    def hash(self, value: str) -> str:
        # hmac.digest: OpenSSL's one-shot HMAC, the same bytes as hmac.new(...).digest()
        # without building an HMAC object per value.
        return hmac.digest(self.lookup, value.encode(), "sha256").hex()


def key_id_of(ciphertext: str) -> str | None:
    """The id of the key a ciphertext names; None for one made before the ring."""
    head, sep, _ = ciphertext.partition(":")
    return head if sep else None


@dataclass(frozen=True, slots=True)
class Keys:
    token: bytes
    pii: bytes
    lookup: bytes
    link: bytes
    web_session: bytes  # encrypts the web console's session cookie
    ring: tuple[PiiKey, ...] = ()  # the current key first, then the previous ones

    @classmethod
    def from_secret(cls, secret: str, previous: tuple[str, ...] = ()) -> Keys:
        current = PiiKey.from_secret(secret)
        ring = [current]
        for old in previous:
            key = PiiKey.from_secret(old)
            if all(k.id != key.id for k in ring):
                ring.append(key)
        return cls(
            ring=tuple(ring),
            token=_derive(secret, "token"),
            pii=_derive(secret, "pii-encryption"),
            lookup=_derive(secret, "pii-lookup"),
            link=_derive(secret, "worker-link"),
            web_session=_derive(secret, "web-session"),
        )

    @property
    def current_id(self) -> str:
        return self.ring[0].id

    def encrypt(self, plaintext: str) -> str:
        """Sealed under the current key, tagged with its id."""
        nonce = os.urandom(12)
        sealed = _aead(self.pii).encrypt(nonce, plaintext.encode(), _AAD)
        return f"{self.current_id}:" + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        """Opened by the key its id names (an untagged one: by whichever key opens it);
        ``KeyMissing`` when no key of the ring can."""
        key_id = key_id_of(token)
        body = token.partition(":")[2] if key_id else token
        raw = base64.urlsafe_b64decode(body.encode())
        candidates = [k for k in self.ring if k.id == key_id] if key_id else list(self.ring)
        for key in candidates:
            try:
                return _aead(key.encryption).decrypt(raw[:12], raw[12:], _AAD).decode()
            except InvalidTag:
                continue
        raise KeyMissing(key_id)

    def key_of(self, token: str) -> str | None:
        """The id of the ring's key that opens ``token``, or None when none does."""
        key_id = key_id_of(token)
        if key_id is not None:
            return key_id if any(k.id == key_id for k in self.ring) else None
        return self._legacy_key(token)

    def _legacy_key(self, token: str) -> str | None:
        raw = base64.urlsafe_b64decode(token.encode())
        for key in self.ring:
            try:
                _aead(key.encryption).decrypt(raw[:12], raw[12:], _AAD)
            except InvalidTag:
                continue
            return key.id
        return None

    def lookup_hash(self, value: str) -> str:
        """A keyed hash under the current key: finds duplicates without storing the value."""
        return self.ring[0].hash(value)

    def lookup_hashes(self, value: str) -> tuple[str, ...]:
        """Her hash under every key of the ring: a row not yet rotated holds an old one. The
        current key's comes first (it is ``lookup_hash``)."""
        return tuple(k.hash(value) for k in self.ring)
