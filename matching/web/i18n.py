"""The worker pages' words: English message ids, Chinese from the console's Babel catalog.

The phone pages (``/o/{code}``, ``/c/{code}``, ``/f/{code}``) read ``TEXT[lang][key]``; the
Chinese comes from ``locale/zh_CN/LC_MESSAGES/messages.po`` like every console string, so one
catalog holds them all.
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
    "helpline": "Or call a public help line",
    "helpline_labour": "labour and social security",
    "helpline_women": "women's federation, women's rights",
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
    # a job fair's self-registration page (/f/{code})
    "fair_title": "Register at the job fair",
    "fair_intro": "Enter your details. The agency's staff will check them and add you to the "
    "register; then they can propose jobs to you.",
    "f_name": "Your name",
    "f_phone": "Mobile phone",
    "f_phone_hint": "A mainland China mobile number, e.g. 13812345678",
    "f_birth": "Birth date",
    "f_birth_hint": "Year-month-day, such as 1990-05-06",
    "f_birth_placeholder": "yyyy-mm-dd",
    "f_county": "Home county",
    "f_skills": "Your skills and their level (1 beginner – 5 expert)",
    "f_none": "none",
    "f_relocate": "Would you take a job away from home, in another city?",
    "f_consent_title": "Your consent",
    "f_consent_text": "I agree that the agency holding this job fair records my name, mobile "
    "number, birth date, home county, skills and whether I would work away from home, uses "
    "them to propose jobs to me, and sends me SMS about them. I can withdraw this consent at "
    "any time by telling the agency, and I can ask for a copy of my data or for it to be "
    "deleted. If the staff do not add me to the register, what I enter here is deleted within "
    "{days} days.",
    "f_consent": "I have read this and I agree",
    "f_submit": "Register",
    "f_fix": "Please correct the marked fields.",
    "fair_done": "Thank you! Your registration has been received. The agency's staff will "
    "check it and call you.",
    "fair_busy_title": "Please try again in a minute",
    "fair_busy": "Too many registrations were sent from this connection just now. Please wait "
    "a minute and send yours again.",
}

# The switch names the other language in that language: not a translation.
_SWITCH = {"zh": "English", "en": "中文"}

TEXT: dict[str, dict[str, str]] = {
    lang: {**{k: gettext(lang, v) for k, v in MESSAGES.items()}, "switch": _SWITCH[lang]}
    for lang in ("zh", "en")
}


def lang_of(value: str | None) -> str:
    return "en" if value == "en" else "zh"
