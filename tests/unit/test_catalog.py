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
