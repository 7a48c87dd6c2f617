"""A link that was never issued still tells her whom to call (issue 11): with no office known,
her page gives the public help lines as tel: links, in her language."""

from __future__ import annotations

import re

from tests.support import Api


async def test_a_code_never_issued_gives_the_public_help_lines(api: Api) -> None:
    for path in ("/o/neverissued123", "/c/neverissued123", "/c/bad"):
        r = await api.client.get(path)
        assert r.status_code == 404, path
        assert re.findall(r'href="(tel:[^"]+)"', r.text) == ["tel:12333", "tel:12338"], path
        assert "人社服务热线" in r.text and "妇联妇女维权热线" in r.text
    r = await api.client.get("/c/neverissued123?lang=en")
    assert "labour and social security" in r.text and 'href="tel:12333"' in r.text
