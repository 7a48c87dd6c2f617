"""The texts of notices: Chinese first, English where her locale says so; one SMS long.

A Chinese SMS segment holds 70 characters; a second one doubles the cost, at a county's scale
millions of messages. So a Chinese text's words, her link aside, are at most 45 characters
(``SMS_WORDS_ZH``): with a short public link (25 characters) it fits one segment. Her link
opens a page with the rest (the start date, the rights pack). English keeps two GSM segments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from matching.lib import clock
from matching.lib.context import Context

SMS_WORDS_ZH = 45
"""What a Chinese text may hold besides her link."""
SMS_BUDGET_EN = 306

# The rights pack (维权材料袋) the source describes, shown on her page after confirmation.
RIGHTS_PACK = {
    "zh": [
        "《劳动合同法》：上岗一个月内必须签订书面劳动合同，一份由您保管；试用期工资不得低于约定工资的80%。",
        "工资保障：工资应当以货币形式按月足额支付给本人，不得克扣或无故拖欠；加班须依法支付加班费。",
        "《妇女权益保障法》：用人单位不得因结婚、怀孕、产假、哺乳降低工资或辞退女职工；禁止性骚扰。",
        "遇到拖欠工资、辞退或其他侵权，请立即联系目的地办事处，我们帮您调解、争取补偿并重新安排工作。",
    ],
    "en": [
        "Labour Contract Law: a written contract within one month of starting, one copy for you; "
        "probation pay at least 80% of the agreed wage.",
        "Wage protection: wages are paid in money, in full, every month, to you; no deductions or "
        "delays without cause; overtime is paid as the law requires.",
        "Women's Rights Law: no pay cut or dismissal for marriage, pregnancy, maternity leave or "
        "nursing; sexual harassment is forbidden.",
        "If wages are late, you are dismissed or wronged, call the office in your city: "
        "we mediate, claim compensation and find you new work.",
    ],
}


@dataclass(frozen=True, slots=True)
class OfferFacts:
    worker_name: str
    employer: str
    city: str
    title: str
    wage_min: int
    wage_max: int
    housing: bool
    start_date: dt.date
    expires_at: dt.date
    link: str


def offer_link(ctx: Context, code: str) -> str:
    """Her link to an offer: the phone page that opens it."""
    return f"{ctx.settings.public_url}/o/{code}"


def local_date(at: dt.datetime) -> dt.date:
    """The day a moment falls on in Beijing time, as she reads it."""
    return clock.beijing(at).date()


def _day(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _lang(locale: str) -> str:
    return "en" if locale == "en" else "zh"


# Legal forms an employer's name can lose and stay recognisable (longest first).
_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团",
    " Co., Ltd.",
    " Co.,Ltd.",
    " Co. Ltd.",
    " Ltd.",
    " Inc.",
    ",",
)
_ELLIPSIS = "…"
_KEEP = 4  # never cut a name below this many characters


def _short_employer(name: str) -> str:
    cut = name.strip()
    changed = True
    while changed:
        changed = False
        for form in _LEGAL_FORMS:
            if cut.endswith(form) and len(cut) > len(form) + 1:
                cut, changed = cut[: -len(form)].rstrip(), True
    return cut


def words(text: str, link: str) -> int:
    """The characters of ``text`` that are words, her link aside (what ``SMS_WORDS_ZH`` counts)."""
    return len(text.replace(link, "")) if link else len(text)


def _fit(build: Callable[[OfferFacts], str], f: OfferFacts, locale: str) -> str:
    """The text, shortened to fit the SMS budget: first the employer loses its legal form
    (有限公司), then the longer of employer and title is cut with an ellipsis. The link, the
    wage and the dates are never cut: they are what she acts on."""
    en = _lang(locale) == "en"

    def over(text: str) -> int:
        return len(text) - SMS_BUDGET_EN if en else words(text, f.link) - SMS_WORDS_ZH

    text = build(f)
    if over(text) <= 0:
        return text
    f = replace(f, employer=_short_employer(f.employer))
    text = build(f)
    while over(text) > 0:
        field = "employer" if len(f.employer) >= len(f.title) else "title"
        value: str = getattr(f, field)
        if len(value.rstrip(_ELLIPSIS)) <= _KEEP:
            break  # nothing sensible left to cut; a third segment beats a nameless text
        kept = max(_KEEP, len(value.rstrip(_ELLIPSIS)) - over(text) - 1)
        cut = value[:kept] + _ELLIPSIS
        f = replace(f, employer=cut) if field == "employer" else replace(f, title=cut)
        text = build(f)
    return text


def offer_made(f: OfferFacts, locale: str) -> str:
    return _fit(lambda g: _offer_made(g, locale), f, locale)


def _offer_made(f: OfferFacts, locale: str) -> str:
    if _lang(locale) == "en":
        return (
            f"Laowu: {f.employer} ({f.city}) offers you {f.title}, {f.wage_min}-{f.wage_max} "
            f"yuan/month, {'housing provided' if f.housing else 'no housing'}, starts "
            f"{f.start_date:%Y-%m-%d}. Reply 1 to accept, 2 to decline, or open {f.link} "
            f"(until {f.expires_at:%m-%d})."
        )
    return (
        f"【劳务通】{f.city}{f.employer}招{f.title}，月薪{f.wage_min}-{f.wage_max}元"
        f"{'包住' if f.housing else '不包住'}。回1接受2拒绝{f.link}"
    )


def offer_expiring(f: OfferFacts, locale: str) -> str:
    return _fit(lambda g: _offer_expiring(g, locale), f, locale)


def _offer_expiring(f: OfferFacts, locale: str) -> str:
    if _lang(locale) == "en":
        return (
            f"Laowu reminder: the offer from {f.employer} ({f.title}) ends {f.expires_at:%m-%d}. "
            f"Reply 1 to accept, 2 to decline: {f.link}"
        )
    return f"【劳务通】{f.employer}{f.title}的录用{_day(f.expires_at)}到期，回1接受2拒绝：{f.link}"


def offer_confirmed(f: OfferFacts, office_phone: str | None, locale: str) -> str:
    return _fit(lambda g: _offer_confirmed(g, office_phone, locale), f, locale)


def _offer_confirmed(f: OfferFacts, office_phone: str | None, locale: str) -> str:
    who = f"办事处{office_phone}" if office_phone else "有事找您的劳务中介"
    if _lang(locale) == "en":
        return (
            f"Laowu: {f.employer} confirmed your hire ({f.title}), starting "
            f"{f.start_date:%Y-%m-%d} in {f.city}. Ask for a written contract; wages are due "
            f"monthly in full. Problems? "
            f"Call the {f.city} office {office_phone or 'of your agency'}. Your rights: {f.link}"
        )
    return f"【劳务通】{f.employer}已录用您，{_day(f.start_date)}上岗，{who}，须知：{f.link}"


def placement_starting(f: OfferFacts, office_phone: str | None, locale: str) -> str:
    return _fit(lambda g: _placement_starting(g, office_phone, locale), f, locale)


def _placement_starting(f: OfferFacts, office_phone: str | None, locale: str) -> str:
    if _lang(locale) == "en":
        return (
            f"Laowu: your work at {f.employer} starts tomorrow ({f.start_date:%Y-%m-%d}) in "
            f"{f.city}. The {f.city} office: {office_phone or 'ask your agency'}."
        )
    who = f"办事处电话{office_phone}" if office_phone else "有事请找您的劳务中介"
    return f"【劳务通】{f.worker_name}，明天到{f.city}{f.employer}上岗，{who}"


def offer_withdrawn(f: OfferFacts, reason: str, locale: str) -> str:
    return _fit(lambda g: _offer_withdrawn(g, reason, locale), f, locale)


def _offer_withdrawn(f: OfferFacts, reason: str, locale: str) -> str:
    if _lang(locale) == "en":
        return (
            f"Laowu: sorry, the offer from {f.employer} ({f.title}) was withdrawn: {reason[:80]}. "
            f"We will keep looking for work for you."
        )
    return f"【劳务通】抱歉，{f.employer}{f.title}录用已撤回：{reason[:12]}。会继续为您推荐。"


def offer_withdrawn_at_her_request(f: OfferFacts, locale: str) -> str:
    """She withdrew her consent to matching: her live offers are withdrawn as she asked, and
    nothing more is proposed to her until she consents again."""
    return _fit(lambda g: _offer_withdrawn_at_her_request(g, locale), f, locale)


def _offer_withdrawn_at_her_request(f: OfferFacts, locale: str) -> str:
    if _lang(locale) == "en":
        return (
            f"Laowu: as you withdrew your consent to matching, the offer from {f.employer} "
            f"({f.title}) was withdrawn. We will propose no more jobs to you unless you "
            f"consent again at your agency."
        )
    return f"【劳务通】您已撤回匹配同意，{f.employer}{f.title}录用已撤回，不再为您推荐岗位。"


def help_reply(locale: str) -> str:
    if _lang(locale) == "en":
        return (
            "Laowu: reply 1 to accept or 2 to decline your latest offer. "
            "Other questions: call your agency."
        )
    return "【劳务通】回复1接受、回复2不接受您最近的录用通知。其他问题请联系您的劳务中介。"


def reply_result(accepted: bool, f: OfferFacts | None, locale: str) -> str:
    if f is None:
        return _reply_result(accepted, None, locale)
    return _fit(lambda g: _reply_result(accepted, g, locale), f, locale)


def _reply_result(accepted: bool, f: OfferFacts | None, locale: str) -> str:
    en = _lang(locale) == "en"
    if f is None:
        return (
            "Laowu: you have no offer waiting for an answer."
            if en
            else "【劳务通】您目前没有待答复的录用通知。"
        )
    if accepted:
        return (
            f"Laowu: you accepted {f.title} at {f.employer}. The employer will confirm soon."
            if en
            else f"【劳务通】您已接受{f.employer}的{f.title}，等待单位确认后通知您。"
        )
    return (
        f"Laowu: you declined {f.title} at {f.employer}. We will look for other work for you."
        if en
        else f"【劳务通】您已谢绝{f.employer}的{f.title}，我们会继续为您推荐。"
    )


def checkin(worker_name: str, employer: str, day: int, link: str, locale: str) -> str:
    """The follow-up check-in (回访) on day 7, 30 or 90."""
    if _lang(locale) == "en":
        return (
            f"Laowu: {worker_name}, it is day {day} at {employer}. Are wages paid on time, hours "
            f"and housing as agreed? Tell us in a minute: {link}"
        )
    short = _short_employer(employer)
    while True:
        text = (
            f"【劳务通】{worker_name}，在{short}满{day}天了：工资按时发吗？工时住宿如约吗？"
            f"请点{link}"
        )
        if words(text, link) <= SMS_WORDS_ZH or len(short.rstrip(_ELLIPSIS)) <= _KEEP:
            return text
        short = short.rstrip(_ELLIPSIS)[:-1] + _ELLIPSIS
