"""What the law forbids an opening to ask: a gender (Employment Promotion Law, art. 27).

Openings have no such field; a request that sends one is refused citing the law, not with a
bare "unknown field". The opening routes hand ``refused_field`` to the problem mapper."""

from __future__ import annotations

GENDER_WORDS = ("gender", "sex", "性别", "男", "女")
SEX_DISCRIMINATION = (
    "an opening may not ask for a gender: the Employment Promotion Law (art. 27) bans sex "
    "discrimination in hiring (招用人员不得以性别为由拒绝录用或者提高录用标准)"
)


def refused_field(name: str) -> str | None:
    """Why an opening may not carry the field ``name``; None when the law says nothing of it."""
    lowered = name.lower()
    return SEX_DISCRIMINATION if any(word in lowered for word in GENDER_WORDS) else None
