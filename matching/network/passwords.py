"""Password hashing with argon2 (argon2-cffi)."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this hash when the user is unknown keeps the timing the same.
_DUMMY = _hasher.hash("laowu-timing-equaliser")


def configure(time_cost: int, memory_kib: int) -> None:
    global _hasher, _DUMMY
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    _DUMMY = _hasher.hash("laowu-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# --- which new passwords are refused ----------------------------------------------------------

MIN_LENGTH = 10
_COMMON = frozenset(
    line.strip().lower()
    for line in (Path(__file__).with_name("common_passwords.txt")).read_text().splitlines()
    if line.strip()
)
_RUNS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm")


def _stem(password: str) -> str:
    """The password without the digits and symbols people add around a word (``Password1!``)."""
    return password.lower().strip("0123456789!@#$%^&*()_+-=.,?~ ")


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why a new password is refused, or None. Built in (no list is downloaded): at least
    ``MIN_LENGTH`` characters, not among the most common passwords (with digits and symbols
    added around them), not the username, not one character repeated or a run of the
    keyboard or the alphabet."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    low = password.lower()
    if low in _COMMON or _stem(password) in _COMMON:
        return "is one of the most common passwords; choose another"
    if username and len(username) >= 3 and username.lower() in low:
        return "must not contain the username"
    if len(set(low)) < 4:
        return "has too few different characters"
    if any(low in (run + run) or low in (run + run)[::-1] for run in _RUNS):
        return "is a run of the keyboard or the alphabet; choose another"
    return None
