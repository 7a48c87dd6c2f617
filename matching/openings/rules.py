"""What the law forbids an opening to ask: a gender (Employment Promotion Law, art. 27).

Openings have no such field; a request that sends one is refused citing the law, not with a
bare "unknown field". The opening routes hand ``refused_field`` to the problem mapper. The same
requirement written into the free text ("缝纫车工（限女性）", "只招男工") is refused too
(``gender_requirement``): it would reach her by SMS all the same."""

from __future__ import annotations

import re

GENDER_WORDS = ("gender", "sex", "性别", "男", "女")
SEX_DISCRIMINATION = (
    "an opening may not ask for a gender: the Employment Promotion Law (art. 27) bans sex "
    "discrimination in hiring (招用人员不得以性别为由拒绝录用或者提高录用标准)"
)
GENDER_IN_TEXT = (
    "must not ask for a gender (such as 限女性, 只招男工, 女工优先): the Employment Promotion "
    "Law (art. 27) bans sex discrimination in hiring"
)

# A person of one sex: 女性, 男工, 女士 …, or a bare 男/女 closing the phrase ("限女）"), never
# 女装, 男鞋 or 男女 (clothes, shoes, "either sex").
_WHO = r"(?:[男女](?:性|士|工|生|子|的|人|员|青年)|[男女](?=[\s)）\]】,，.。;；、/|]|$))"
_ONLY = r"(?<!不)(?:只|仅|专|限|须|需|必须|要求)(?:限|招|收|聘|招聘|招收|要|用|录用|为|是)?\s*"
_PATTERNS = (
    re.compile(_ONLY + _WHO),  # 限女性, 只招男工, 仅限女, 要求男性, 专招女工
    re.compile(_WHO + r"\s*(?:优先|为主|为佳|最好|即可|专用|专岗|专场)"),  # 女工优先, 男性为主
    re.compile(r"优先(?:录用|招|招聘|考虑|录取)?\s*" + _WHO),  # 优先录用女性
    re.compile(r"(?:招|招聘|招收)\s*[男女](?:工|性|士)"),  # 招男工, 招聘女性
    re.compile(r"\b(?:male|female|men|women|ladies|man|woman)\s*(?:only|preferred)\b", re.I),
    re.compile(r"\b(?:only|prefer(?:ably)?)\s+(?:male|female|men|women)\b", re.I),
)


def refused_field(name: str) -> str | None:
    """Why an opening may not carry the field ``name``; None when the law says nothing of it."""
    lowered = name.lower()
    return SEX_DISCRIMINATION if any(word in lowered for word in GENDER_WORDS) else None


def gender_requirement(text: str | None) -> str | None:
    """The words of ``text`` that ask for one sex ("限女性"), or None when it asks for none."""
    for pattern in _PATTERNS:
        found = pattern.search(text or "")
        if found:
            return found.group(0)
    return None
