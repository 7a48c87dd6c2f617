"""Which share of the markets a run covers (K of N), and which runs' shares overlap.

Markets go to shares by ``engine.share_of`` (a fixed hash of each market's key), so the N runs
of one partition, however and wherever they are started, cover every market exactly once.
Two live runs may overlap in no market: runs of the same N over different K are disjoint;
any two runs of different N may share markets (and the whole run, 1/1, overlaps every run).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from matching.lib.errors import FieldErrors, msg

MAX_SHARES = 4096
"""More shares than any province needs pods (a share is a process reading the whole pool)."""


@dataclass(frozen=True, slots=True)
class Partition:
    """Share ``share`` (1-based, K) of ``shares`` (N)."""

    share: int = 1
    shares: int = 1

    @property
    def whole(self) -> bool:
        return self.shares == 1

    def overlaps(self, other: Partition) -> bool:
        return self.shares != other.shares or self.share == other.share

    def __str__(self) -> str:
        return f"{self.share}/{self.shares}"


WHOLE = Partition()


def checked(share: int, shares: int) -> Partition:
    """The partition K/N, or Invalid naming every field at fault."""
    errors = FieldErrors()
    if not 1 <= shares <= MAX_SHARES:
        errors.add("shares", msg("must be between 1 and {n}"), n=MAX_SHARES)
    if share < 1:
        errors.add("share", msg("must be at least {n}"), n=1)
    elif 1 <= shares <= MAX_SHARES and share > shares:
        errors.add("share", msg("must not be more than shares ({shares})"), shares=shares)
    errors.raise_if_any()
    return Partition(share, shares)


_K_OF_N = re.compile(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*")


def parse(text: str) -> Partition:
    """``K/N`` as the command line gives it (``3/8``: the third share of eight)."""
    found = _K_OF_N.fullmatch(text)
    if found is None:
        raise ValueError(f"--partition {text!r}: write K/N, for example 1/4")
    return checked(int(found[1]), int(found[2]))
