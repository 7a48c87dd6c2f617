"""Every Chinese notice fits one SMS segment (its words, the link aside, at most 45 characters)
with the longest realistic names of the demo seed and the synthetic generator, English two
segments; each says what she needs to act: the employer, the city, the wage range, housing and
her link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from matching.notices import templates as t
from matching.notices.templates import SMS_BUDGET_EN, SMS_WORDS_ZH, OfferFacts
from seeds import demo, synthetic

LINK = "https://laowu.rsj.nantong.gov.cn/o/AbCdEfGhIjKl"  # a long public URL and a real code
ZH = OfferFacts(
    worker_name="欧阳秀英娜",
    employer="江苏南通海门叠石桥家纺服饰股份有限公司",
    city="乌鲁木齐",
    title="平缝车工（计件熟练工）",
    wage_min=12500,
    wage_max=18000,
    housing=True,
    start_date=dt.date(2026, 12, 28),
    expires_at=dt.date(2026, 12, 31),
    link=LINK,
)
EN = OfferFacts(
    worker_name="Ouyang Xiuyingna",
    employer="Jiangsu Nantong Haimen Diesiqiao Home Textiles and Garments Co., Ltd.",
    city="Urumqi",
    title="lockstitch machine operator (piece rate, experienced)",
    wage_min=12500,
    wage_max=18000,
    housing=False,
    start_date=dt.date(2026, 12, 28),
    expires_at=dt.date(2026, 12, 31),
    link=LINK,
)
SHORT = OfferFacts(
    worker_name="王芳",
    employer="雅尔美服饰",
    city="上海",
    title="车工",
    wage_min=4500,
    wage_max=6000,
    housing=False,
    start_date=dt.date(2026, 3, 2),
    expires_at=dt.date(2026, 3, 1),
    link="http://127.0.0.1:8000/o/abcdefghijkl",
)
PHONE = "0991-12345678"
# The longest values the demo and a province-sized synthetic run (1M workers, 50k openings) hold.
_SYNTHETIC_CITIES = synthetic._vocab(synthetic._markets(50_000), 1)[0].cities
LONGEST = OfferFacts(
    worker_name="欧阳秀英",
    employer=max((e[0] for e in demo.EMPLOYERS), key=len),
    city=max([*(e[1] for e in demo.EMPLOYERS), *_SYNTHETIC_CITIES], key=len),
    title=max((o[1] for o in demo.OPENINGS), key=len),
    wage_min=max(o[5] for o in demo.OPENINGS),
    wage_max=max(o[6] for o in demo.OPENINGS),
    housing=False,
    start_date=dt.date(2026, 12, 28),
    expires_at=dt.date(2026, 12, 31),
    link="https://lw.rsj.gov.cn/o/A",  # a 25-character public link
)
Build = Callable[[OfferFacts, str], str]

WITH_FACTS: dict[str, Build] = {
    "offer_made": t.offer_made,
    "offer_expiring": t.offer_expiring,
    "offer_confirmed": lambda f, loc: t.offer_confirmed(f, PHONE, loc),
    "offer_confirmed_no_office": lambda f, loc: t.offer_confirmed(f, None, loc),
    "placement_starting": lambda f, loc: t.placement_starting(f, PHONE, loc),
    "placement_starting_no_office": lambda f, loc: t.placement_starting(f, None, loc),
    "offer_withdrawn": lambda f, loc: t.offer_withdrawn(f, "用工计划调整，岗位取消" * 10, loc),
    "offer_withdrawn_at_her_request": t.offer_withdrawn_at_her_request,
    "reply_accepted": lambda f, loc: t.reply_result(True, f, loc),
    "reply_declined": lambda f, loc: t.reply_result(False, f, loc),
}
WITHOUT_FACTS: dict[str, Callable[[str], str]] = {
    "help_reply": t.help_reply,
    "reply_nothing_waiting": lambda loc: t.reply_result(True, None, loc),
}


def fits(text: str, link: str, locale: str) -> bool:
    return len(text) <= SMS_BUDGET_EN if locale == "en" else t.words(text, link) <= SMS_WORDS_ZH


def test_the_longest_values_are_long() -> None:
    assert len(LONGEST.link) == 25 and len(LONGEST.employer) >= 14 and len(LONGEST.city) >= 4


@pytest.mark.parametrize("name", sorted(WITH_FACTS))
@pytest.mark.parametrize(
    ("facts", "locale"), [(ZH, "zh"), (LONGEST, "zh"), (EN, "en"), (SHORT, "zh")]
)
def test_texts_with_an_offer_fit(name: str, facts: OfferFacts, locale: str) -> None:
    text = WITH_FACTS[name](facts, locale)
    assert fits(text, facts.link, locale), f"{name} ({locale}) is {len(text)} long: {text}"
    if locale == "zh":  # one segment with a 25-character link
        assert t.words(text, facts.link) + 25 <= 70
    assert text.startswith("【劳务通】" if locale == "zh" else "Laowu")
    if facts is SHORT:  # nothing needs shortening: every name stays whole
        assert facts.employer in text


@pytest.mark.parametrize("name", sorted(WITHOUT_FACTS))
@pytest.mark.parametrize("locale", ["zh", "en"])
def test_texts_without_an_offer_fit(name: str, locale: str) -> None:
    text = WITHOUT_FACTS[name](locale)
    assert text and fits(text, "", locale)


@pytest.mark.parametrize("day", [7, 30, 90])
def test_the_check_in_fits_one_segment(day: int) -> None:
    text = t.checkin(LONGEST.worker_name, LONGEST.employer, day, LONGEST.link, "zh")
    assert fits(text, LONGEST.link, "zh"), text
    assert LONGEST.link in text and f"满{day}天" in text


@pytest.mark.parametrize(("facts", "locale"), [(ZH, "zh"), (EN, "en"), (SHORT, "zh")])
def test_offer_made_says_what_she_decides_on(facts: OfferFacts, locale: str) -> None:
    text = t.offer_made(facts, locale)
    # The employer keeps its recognisable part (a legal form such as 股份有限公司 may go).
    assert t._short_employer(facts.employer)[:4] in text
    assert facts.city in text
    assert f"{facts.wage_min}-{facts.wage_max}" in text
    if locale == "zh":
        assert ("包住" if facts.housing else "不包住") in text
        assert "回1接受" in text and "2拒绝" in text
    else:
        assert ("housing provided" if facts.housing else "no housing") in text
        assert "Reply 1 to accept, 2 to decline" in text
    assert facts.link in text  # never cut: it is how she answers


def test_long_names_lose_the_legal_form_before_anything_else() -> None:
    text = t.offer_made(ZH, "zh")
    assert "江苏南通" in text and "股份有限公司" not in text  # cut, but recognisable
    assert "12500-18000" in text and ZH.link in text  # the wage and her link are never cut
    assert t.offer_made(SHORT, "zh").count(SHORT.title) == 1  # short names stay whole


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_other_texts_name_what_they_should(locale: str) -> None:
    f = SHORT
    assert f.employer in t.offer_expiring(f, locale) and f.link in t.offer_expiring(f, locale)
    confirmed = t.offer_confirmed(f, PHONE, locale)
    assert f.employer in confirmed and PHONE in confirmed
    assert f.link in confirmed  # her rights page
    starting = t.placement_starting(f, PHONE, locale)
    assert f.employer in starting and f.city in starting and PHONE in starting
    withdrawn = t.offer_withdrawn(f, "岗位取消", locale)
    assert f.employer in withdrawn and "岗位取消" in withdrawn
    assert f.employer in t.reply_result(True, f, locale)
    assert f.title in t.reply_result(False, f, locale)


def test_confirmed_without_an_office_points_to_her_agency() -> None:
    text = t.offer_confirmed(SHORT, None, "zh")
    assert "有事找您的劳务中介" in text and "办事处您的" not in text
