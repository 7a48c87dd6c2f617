"""The worker pages' words: English message ids, Chinese from the console's Babel catalog.

The phone pages (``/o/{code}``, ``/c/{code}``) read ``TEXT[lang][key]``; the Chinese comes from
``locale/zh_CN/LC_MESSAGES/messages.po`` like every console string, so one catalog holds them all.
"""

from __future__ import annotations

from matching.web.catalog import gettext

MESSAGES: dict[str, str] = {
    "title": "Job offer",
    "employer": "Employer",
    "city": "Where",
    "wage": "Monthly wage",
    "yuan": "yuan",
    "housing": "Housing",
    "housing_yes": "provided",
    "housing_no": "not provided",
    "start": "Starts",
    "answer_by": "Answer by",
    "why": "Why we propose this job to you",
    "accept": "Accept",
    "decline": "Decline",
    "status_pending": "Waiting for your answer",
    "status_accepted": "You accepted; waiting for the employer to confirm",
    "status_declined": "You declined this job; we will keep looking for you",
    "status_expired": "This offer has expired",
    "status_confirmed": "The employer confirmed your hire",
    "status_withdrawn": "This offer was withdrawn",
    "rights": "Your rights",
    "office": "Problems? Call the office in your city",
    "agency": "your agency",
    "gone_title": "This link no longer works",
    "gone": "This link has expired or is not valid. Please call your agency for help.",
    "refused": "Nothing was done: the offer was answered already, has expired, or the link "
    "does not match it. Your answer is unchanged.",
    "done_accept": "Received: you accepted this job.",
    "done_decline": "Received: you declined this job.",
    "checkin_title": "Check-in",
    "checkin_intro": "You have worked at {employer} for {day} days. A few questions help us "
    "know how you are doing.",
    "q_wages": "Are your wages paid in full and on time?",
    "q_hours": "Are your working hours as agreed?",
    "q_housing": "Is the housing as promised?",
    "q_problem": "Anything else you want to tell us? (optional)",
    "q_wage_paid": "How much were you actually paid for last month, in yuan? (optional)",
    "yes": "Yes",
    "no": "No",
    "na": "No dormitory",
    "send": "Send",
    "thanks": "Thank you! We have your answers.",
    "thanks_worry": "Thank you! The office will contact you soon to help.",
    "answered": "You have answered this check-in already. Thank you.",
    "cases": "Your rights cases",
    "case_status_open": "received",
    "case_status_mediating": "in mediation",
    "case_status_resolved": "resolved",
    "case_status_escalated": "referred to labour arbitration",
    "case_status_closed": "closed",
    "recovered": "recovered",
}

# The switch names the other language in that language: not a translation.
_SWITCH = {"zh": "English", "en": "中文"}

TEXT: dict[str, dict[str, str]] = {
    lang: {**{k: gettext(lang, v) for k, v in MESSAGES.items()}, "switch": _SWITCH[lang]}
    for lang in ("zh", "en")
}


def lang_of(value: str | None) -> str:
    return "en" if value == "en" else "zh"
