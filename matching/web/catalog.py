"""Babel catalogs for the console: the .po files in ``locale/`` compiled in memory at startup.

No compiled .mo file is kept in the repository: a .po edit takes effect on the next start, and
the translations cannot drift from their source. Message ids are English; zh-CN is the default.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context

from matching.lib import clock

LOCALE_DIR = Path(__file__).parent / "locale"
LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
_CATALOG_OF = {"zh": "zh_CN"}  # English is the message ids themselves


def lang_of(value: str | None) -> str:
    """A supported language code; anything else is the default (Chinese)."""
    return value if value in LANGS else DEFAULT_LANG


def accepted_lang(header: str | None) -> str:
    """The language an ``Accept-Language`` header prefers among ours (Babel negotiates);
    no header, or none of ours, is the default."""
    if not header:
        return DEFAULT_LANG
    ranked: list[tuple[float, str]] = []
    for part in header.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if tag and weight > 0:
            ranked.append((weight, tag.strip().replace("-", "_")))
    preferred = [tag for _, tag in sorted(ranked, key=lambda r: -r[0])]
    found = negotiate_locale(preferred, ["zh_CN", "zh", "en"])
    return "en" if found == "en" else DEFAULT_LANG


def translator(lang: str) -> Callable[[str], str]:
    """The catalog's gettext for one language, as domain errors render with it."""
    return lambda message: gettext(lang, message)


@functools.cache
def translations(lang: str) -> NullTranslations:
    locale = _CATALOG_OF.get(lang)
    if locale is None:
        return NullTranslations()
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def gettext(lang: str, message: str, **values: Any) -> str:
    if not message:
        return ""  # gettext("") is the catalog's header (Project-Id-Version …), never a message
    text = translations(lang).gettext(message)
    return text % values if values else text


@pass_context
def _template_gettext(ctx: Context, message: str) -> str:
    # The language is a template variable of each render, so concurrent requests never share it.
    return gettext(lang_of(ctx.get("lang")), message)


@pass_context
def _template_ngettext(ctx: Context, singular: str, plural: str, n: int) -> str:
    return translations(lang_of(ctx.get("lang"))).ngettext(singular, plural, n)


def install(env: Any) -> None:
    """Wire jinja2's i18n extension (``{% trans %}``, ``_()``) to the per-render language."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)
    for lang in LANGS:  # compile at startup: a broken catalog fails the start, not a request
        translations(lang)


# --- labels the templates need, in the render's language ---

FLASH = {
    "registered": "The worker is registered.",
    "posted": "The opening is posted.",
    "accepted": "Accepted on her behalf.",
    "declined": "Declined on her behalf.",
    "confirmed": "Confirmed: the placement has started.",
    "withdrawn": "The offer was withdrawn.",
    "saved": "Saved.",
    "erased": "Her personal data was erased; her counted records stay without it.",
    "matching_withdrawn": "Her withdrawal is recorded: her live offers were withdrawn and she "
    "was told; she is left out of every match run until she consents again.",
    "matching_given": "Her consent to matching is recorded: she takes part in the next match run.",
    "sensitive_withdrawn": "Her withdrawal is recorded: her priority groups were deleted, and "
    "she is no longer matched first as a member of them.",
    "sensitive_given": "Her consent to holding sensitive information is recorded.",
    "password_changed": "Your password is changed. Every other sign-in of yours has ended.",
    "registration_confirmed": "She is registered; her consent from the phone page is recorded.",
    "registration_duplicate": "She was registered already: the entry is marked a duplicate of "
    "that worker and nobody was registered twice.",
    "registration_rejected": "The entry is rejected; what she entered is deleted.",
    # h-pages: after the hire
    "placement_ended": "The placement has ended.",
    "checkin_recorded": "The check-in is recorded.",
    "case_opened": "The rights case is opened; the office has a task to follow it.",
    "recovered": "The compensation recovered is recorded.",
    "task_done": "The task is marked as done.",
    "notice_retried": "The notice goes out again.",
    "notices_retried": "Every failed notice goes out again.",
    # r-training
    "course_created": "The course is created; schedule its first session below.",
    "session_created": "The session is scheduled; enrol her agency's workers below.",
    "enrolled": "She is enrolled.",
    "training_completed": "Her completion is recorded; a skill course certified its skill.",
    # job fairs
    "fair_created": "The job fair is held; list its employers and record its figures below.",
    "fair_counts_saved": "The fair's figures are saved.",
    "fair_employer_added": "The employer is listed at the fair with its openings.",
    # the labour force
    "labour_force_saved": "The labour force is recorded.",
    "training_withdrawn": "She has left the session; her place is free again.",
    "employer_registered": "The employer is registered for your agency; post its first opening "
    "below.",
}


STATUS_KINDS = {"opening": ("open", "closed"), "employer": ("active", "suspended")}
"""Records whose status words differ from a case's: their message ids are ``opening: open``."""


def status_label(code: str, kind: str = "") -> str:
    """The message id of a status, role or kind code: ``wage_arrears`` → ``wage arrears``;
    with a ``kind`` of STATUS_KINDS, that record's own word (``opening: open``)."""
    label = str(code).replace("_", " ")
    return f"{kind}: {label}" if code in STATUS_KINDS.get(kind, ()) else label


@pass_context
def _status_word(ctx: Context, code: str, kind: str = "") -> str:
    """A status in the render's language; English is the code itself (``open``)."""
    lg = lang_of(ctx.get("lang"))
    if lg == "en":
        return status_label(code)
    return gettext(lg, status_label(code, kind))


def flash_text(code: str) -> str:
    return FLASH.get(code, "Done.")


def followup_day(n: int) -> int:
    from matching.placements.service import FOLLOW_UP_DAYS

    return FOLLOW_UP_DAYS[n - 1] if 1 <= n <= len(FOLLOW_UP_DAYS) else n


@pass_context
def _skill_name(ctx: Context, code: str) -> str:
    from matching.lib.reference import reference

    try:
        s = reference().skill(code)
    except StopIteration:
        return code
    return str(s.en if lang_of(ctx.get("lang")) == "en" else s.zh)


@pass_context
def _group_name(ctx: Context, code: str) -> str:
    from matching.lib.reference import reference

    try:
        g = reference().group(code)
    except StopIteration:
        return code
    return str(g.en if lang_of(ctx.get("lang")) == "en" else g.zh)


def when(value: dt.datetime | None) -> str:
    """A time on a page: Beijing time, the date in full (``2026-12-05 03:57``)."""
    return clock.beijing(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def day(value: dt.datetime | dt.date | None) -> str:
    """A day on a page, in full; a time's day is its day in Beijing."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = clock.beijing(value).date()
    return value.isoformat()


# A proposal's reasons are stored as she reads them (您, "your"); staff read of her.
_ABOUT_HER = {
    "zh": (("您的", "她的"), ("您", "她")),
    "en": (("you are", "she is"), ("as you need", "as she needs"), ("your", "her")),
}


@pass_context
def _about_her(ctx: Context, text: str) -> str:
    for yours, hers in _ABOUT_HER[lang_of(ctx.get("lang"))]:
        text = text.replace(yours, hers)
    return text


def install_labels(env: Any) -> None:
    from matching.lib.reference import reference

    env.filters.update(when=when, day=day, about_her=_about_her)
    env.globals.update(
        skills=lambda: reference().skills,
        groups=lambda: list(reference().groups),
        skill_name=_skill_name,
        group_name=_group_name,
        status_label=status_label,
        status_word=_status_word,
        flash_text=flash_text,
        followup_day=followup_day,
    )


def configure(engine: Any) -> None:
    """TemplateConfig's engine callback: the i18n extension and the label helpers."""
    install(engine.engine)
    install_labels(engine.engine)
