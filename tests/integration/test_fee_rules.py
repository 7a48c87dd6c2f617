"""The fee a placement owes, through HTTP on both databases, where two rules both match and
neither names both city and industry: the one for her destination city wins over the one for
the employer's industry, whichever is listed first."""

from __future__ import annotations

import pytest

from tests.integration.test_fees import accepted_world, confirm, publish
from tests.support import Api

BY_INDUSTRY = {"industry": "服装", "amount": 400}
BY_CITY = {"destination_city": "上海", "amount": 500}


@pytest.mark.parametrize("rules", [[BY_INDUSTRY, BY_CITY], [BY_CITY, BY_INDUSTRY]])
async def test_a_city_rule_beats_an_industry_rule(api: Api, rules: list[dict[str, object]]) -> None:
    w = await accepted_world(api)  # a garment maker in Shanghai
    schedule = await publish(api, w["agency"]["id"], [{"amount": 300}, *rules])
    plain = await confirm(api, w, "plain")
    assert (plain["fee_due"], plain["fee_waived"]) == (500, False)
    assert plain["fee_schedule_version"] == schedule["version"]
    poor = await confirm(api, w, "poor")  # a priority group: waived whatever the rule
    assert (poor["fee_due"], poor["fee_waived"]) == (0, True)
