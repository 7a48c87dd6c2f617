"""Reasons in words a worker can read (推荐理由), in Chinese and English, from a MatchResult."""

from __future__ import annotations

from typing import Any, NamedTuple

from ._score import PART_NAMES
from ._types import NO_DAY, NO_ELIGIBLE, TAKEN_BY_PRIORITY, MatchResult

_PART_ZH = {
    "skill": "技能",
    "pay": "薪资",
    "city": "意向城市",
    "reputation": "信誉",
    "protection": "劳保",
    "partner": "合作单位",
    "training": "培训",
}
_PART_EN = {
    "skill": "skills",
    "pay": "pay",
    "city": "preferred city",
    "reputation": "reputation",
    "protection": "protection",
    "partner": "partner",
    "training": "training",
}


def _date(day: int) -> str:
    """ISO date for a day number (Hinnant's civil_from_days, scalar)."""
    z = day + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (m <= 2)
    return f"{y:04d}-{m:02d}-{d:02d}"


def _check_lang(lang: str) -> bool:
    if lang not in ("zh", "en"):
        raise ValueError("lang must be 'zh' or 'en'")
    return lang == "zh"


def _group_names(result: MatchResult, mask: int, zh: bool, only_priority: bool) -> list[str]:
    names = []
    for bit, label in enumerate(result.vocab.groups):
        if mask >> bit & 1 and (not only_priority or label.code in result.vocab.priority_groups):
            names.append(label.zh if zh else label.en)
    return names


REASON_KINDS = (
    "priority",
    "skill",
    "place",
    "pay",
    "housing",
    "start",
    "employer",
    "partner",
    "training",
    "quality",
)
"""What each sentence of a proposal's reasons is about, so a reader may be shown only some:
``priority`` names her groups, ``place`` may name her home county and preferred cities,
``pay`` and ``housing`` her own minimums and needs."""


class _Facts(NamedTuple):
    """One proposal's facts as plain Python values: what its sentences are made of."""

    priority: bool
    groups: int
    skill_level: list[int]
    skill_min: list[int]
    city: int
    county: int
    local: bool
    preferred_city: bool
    wage_max: int
    min_wage: int
    housing: bool
    needs_housing: bool
    start_day: int
    available_day: int
    reputation: int
    protection: int
    partner: bool
    trained_recent: int
    score: int
    parts: list[int]  # in PART_NAMES order


_ARRAYS = _Facts._fields[:-1]


def _facts(result: MatchResult, k: int) -> _Facts:
    values = [getattr(result, name)[k].tolist() for name in _ARRAYS]
    return _Facts._make([*values, [int(result.parts[n][k]) for n in PART_NAMES]])


def render_reasons(result: MatchResult, k: int, lang: str = "zh") -> list[str]:
    """Short sentences on proposal ``k``: the rules she meets and the parts of the score."""
    return [text for _, text in explain(result, k, lang)]


def explain(result: MatchResult, k: int, lang: str = "zh") -> list[tuple[str, str]]:
    """(kind, sentence) pairs on proposal ``k``: the rules she meets and the parts of the score."""
    return _sentences(result, _facts(result, k), _check_lang(lang))


def explain_all(result: MatchResult) -> list[list[dict[str, str]]]:
    """Every proposal's reasons in both languages, ``{"kind", "zh", "en"}`` per sentence
    (what a match run stores): ``explain`` for each, with the facts read out of the arrays
    once, column by column, rather than one NumPy scalar at a time."""
    columns: list[Any] = [getattr(result, name).tolist() for name in _ARRAYS]
    columns.append(list(zip(*(result.parts[n].tolist() for n in PART_NAMES), strict=True)))
    out: list[list[dict[str, str]]] = []
    for values in zip(*columns, strict=True):
        f = _Facts._make(values)
        zh, en = _sentences(result, f, True), _sentences(result, f, False)
        out.append(
            [{"kind": kind, "zh": z, "en": e} for (kind, z), (_, e) in zip(zh, en, strict=True)]
        )
    return out


def _sentences(result: MatchResult, f: _Facts, zh: bool) -> list[tuple[str, str]]:
    v = result.vocab
    out: list[tuple[str, str]] = []
    if f.priority:
        names = _group_names(result, f.groups, zh, only_priority=True)
        out.append(
            (
                "priority",
                ("优先群体：" + "、".join(names)) if zh else "priority group: " + ", ".join(names),
            )
        )

    levels, mins = f.skill_level, f.skill_min
    required = [s for s in range(len(v.skills)) if mins[s] > 0]
    for s in required:
        sk = v.skills[s]
        if zh:
            out.append(("skill", f"持有{sk.zh}{levels[s]}级，岗位要求{mins[s]}级"))
        else:
            out.append(("skill", f"{sk.en} level {levels[s]}, opening asks {mins[s]}"))
    if not required:
        out.append(
            ("skill", "岗位无技能等级要求" if zh else "the opening asks for no particular skill")
        )

    city = v.cities[f.city] if 0 <= f.city < len(v.cities) else "?"
    if f.local:
        county = v.counties[f.county]
        out.append(
            (
                "place",
                f"岗位在您的家乡{county}" if zh else f"the opening is in your home county {county}",
            )
        )
    elif f.preferred_city:
        out.append(
            (
                "place",
                f"岗位在{city}，是您的意向城市"
                if zh
                else f"in {city}, one of your preferred cities",
            )
        )
    else:
        out.append(
            (
                "place",
                f"岗位在{city}，您愿意外出务工"
                if zh
                else f"in {city}; you are willing to relocate",
            )
        )
    if f.preferred_city and f.local:
        out.append(
            ("place", f"{city}是您的意向城市" if zh else f"{city} is one of your preferred cities")
        )

    wage, floor = f.wage_max, f.min_wage
    if floor > 0:
        word = "高于" if wage > floor else "不低于"
        out.append(
            (
                "pay",
                f"月薪最高{wage}元，{word}您的最低要求{floor}元"
                if zh
                else f"monthly wage up to {wage} yuan, {'above' if wage > floor else 'meeting'} "
                f"your minimum of {floor} yuan",
            )
        )
    else:
        out.append(("pay", f"月薪最高{wage}元" if zh else f"monthly wage up to {wage} yuan"))
    if f.housing:
        if f.needs_housing:
            out.append(
                ("housing", "包住宿，满足您的住宿需要" if zh else "housing provided, as you need")
            )
        else:
            out.append(("housing", "包住宿" if zh else "housing provided"))

    start = _date(f.start_day)
    if f.available_day != NO_DAY:
        out.append(
            (
                "start",
                f"{start}开工，您届时可以上岗"
                if zh
                else f"starts {start}; you are available by then",
            )
        )
    else:
        out.append(("start", f"{start}开工" if zh else f"starts {start}"))

    rep, prot = f.reputation, f.protection
    out.append(
        (
            "employer",
            f"用工单位信誉{rep}分，劳动保障{prot}分（满分100）"
            if zh
            else f"employer reputation {rep}/100, labour protection {prot}/100",
        )
    )
    if f.partner:
        out.append(("partner", "长期合作的用工单位" if zh else "long-term partner employer"))
    trained = f.trained_recent
    if trained:
        names = [(lab.zh if zh else lab.en) for s, lab in enumerate(v.skills) if trained >> s & 1]
        out.append(
            (
                "training",
                "近期通过培训取得" + "、".join(names) + "技能认证"
                if zh
                else "recently certified through training: " + ", ".join(names),
            )
        )

    shown = [
        (_PART_ZH[n] if zh else _PART_EN[n], pts)
        for n, pts in zip(PART_NAMES, f.parts, strict=True)
        if pts
    ]
    detail = ("，" if zh else ", ").join(f"{name}{'' if zh else ' '}{pts}" for name, pts in shown)
    score = f.score
    if zh:
        quality = f"匹配质量{score}分（满分{result.q_max}）" + (f"：{detail}" if detail else "")
    else:
        quality = f"match quality {score} of {result.q_max}" + (f": {detail}" if detail else "")
    out.append(("quality", quality))
    return out


def render_unproposed(result: MatchResult, j: int, lang: str = "zh") -> str:
    """One sentence on why unproposed worker ``j`` got no proposal in this run."""
    zh = _check_lang(lang)
    reason = int(result.unproposed_reason[j])
    n = int(result.unproposed_eligible[j])
    if reason == NO_ELIGIBLE:
        return (
            "本轮没有同时满足技能、地点、薪资、住宿和上岗时间要求的岗位"
            if zh
            else "no opening this run meets all the rules for her (skills, place, pay, housing, "
            "start date)"
        )
    if reason == TAKEN_BY_PRIORITY:
        return (
            f"符合条件的{n}个岗位名额已全部优先安排给重点群体人员"
            if zh
            else f"the places at her {n} eligible opening(s) all went to priority-group workers"
        )
    return (
        f"符合条件的{n}个岗位名额已满，安排给了其他人员，以便让更多人上岗或匹配更好"
        if zh
        else f"the places at her {n} eligible opening(s) went to others, so that more people are "
        "placed or matches are better"
    )
