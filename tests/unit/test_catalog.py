"""The console's catalog: each message id once (a second entry silently wins, and the first
page's word becomes the second's), and every id the templates ask for has its Chinese."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import matching.web

WEB = Path(matching.web.__file__).parent
PO = WEB / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
_MSGID = re.compile(r'^msgid "(.*)"$', re.M)
_CALL = re.compile(r'_\("((?:[^"\\]|\\.)*)"')


def test_each_message_id_is_in_the_catalog_once() -> None:
    ids = [i for i in _MSGID.findall(PO.read_text(encoding="utf-8")) if i]
    twice = [i for i, n in Counter(ids).items() if n > 1]
    assert not twice, f"message ids entered twice in {PO.name}: {twice}"


def test_every_template_message_has_its_chinese() -> None:
    from matching.web.catalog import gettext

    missing = []
    for template in sorted((WEB / "templates").rglob("*.html")):
        for message in _CALL.findall(template.read_text(encoding="utf-8")):
            if gettext("zh", message) == message and re.search(r"[A-Za-z]{3}", message):
                missing.append(f"{template.relative_to(WEB)}: {message}")
    assert not missing, missing


def _templates() -> list[tuple[str, str]]:
    """Every message template the code marks with ``msg("…")`` (domain errors, problem
    details, msgspec's messages), read with Babel's own extractor."""
    from babel.messages.extract import extract_from_dir

    root = WEB.parent
    found = extract_from_dir(
        str(root),
        method_map=[("**.py", "python")],
        keywords={"msg": None},
        comment_tags=(),
    )
    return [(path, str(message)) for path, _line, message, _c, _ctx in found]


def test_every_domain_error_message_has_its_chinese() -> None:
    from matching.web.catalog import gettext

    templates = _templates()
    assert len(templates) > 200  # the extractor found the raise sites
    missing = sorted({m for _p, m in templates if gettext("zh", m) == m})
    assert not missing, "\n".join(missing)


def test_each_translation_keeps_its_placeholders() -> None:
    from matching.web.catalog import gettext

    names = re.compile(r"\{([a-z_0-9]+)[!:}]")
    wrong = [
        m
        for _p, m in _templates()
        if sorted(names.findall(m)) != sorted(names.findall(gettext("zh", m)))
    ]
    assert not wrong, wrong


def test_every_record_status_word_has_its_chinese() -> None:
    """Status words of a kind (an opening's 招聘中) are looked up by a built id the templates'
    ``_("…")`` scan cannot see."""
    from matching.web.catalog import STATUS_KINDS, gettext, status_label

    ids = [status_label(code, kind) for kind, codes in STATUS_KINDS.items() for code in codes]
    missing = [i for i in ids if gettext("zh", i) == i]
    assert not missing, missing
    assert gettext("zh", status_label("open", "opening")) != gettext("zh", status_label("open"))
