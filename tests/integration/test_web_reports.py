"""The console's 报表 on both databases: the headline paragraph written from the same figures
the API answers, the charts drawn on the server, a bad period marked beside its field."""

from __future__ import annotations

import datetime as dt
import html

from matching.lib import clock
from tests.integration.test_aftercare import offer_of, run
from tests.integration.test_web import _account, _get, _login
from tests.support import Api, id_number_for


async def test_the_reports_page_writes_the_headline_from_the_figures(api: Api) -> None:
    admin = await api.admin()
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"])
    start = clock.today() + dt.timedelta(days=3)
    await api.opening(staff, employer["id"], headcount=2, start_date=start.isoformat())
    woman = await api.worker(
        staff, id_number=id_number_for(dt.date(1990, 5, 17), serial=124), priority_groups=[]
    )
    man = await api.worker(staff, sex="male", priority_groups=["poor_household"])
    await run(api, staff)
    for w, wage in ((woman, 5000), (man, 4500)):
        offer = await offer_of(api, staff, w["id"])
        await api.ok("POST", f"/offers/{offer}/accept", staff)
        await api.ok("POST", f"/offers/{offer}/confirm", staff, json={"monthly_wage": wage})
    end = start + dt.timedelta(days=29)
    await api.ok(  # the labour force of the year the period ends in
        "PUT", f"/labour-force/{end.year}", admin, json={"agency_id": agency["id"], "count": 8}
    )
    clock.travel(dt.timedelta(days=40))
    period = f"from={start.isoformat()}&to={end.isoformat()}"
    figures = await api.ok("GET", f"/reports/summary?{period}", staff)
    wan = f"{figures['labour_income_yuan']['total'] / 10000:,.2f}"
    assert figures["transferred"]["total"] == 2 and figures["labour_income_yuan"]["total"] > 0

    await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    page = await _get(api, f"/reports?{period}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert (
        f"全镇已转移农村劳动力 2 人，占总劳动力的 25.0%，其中转移妇女劳动力 1 人，占 50.0%，"
        f"劳务收入 {wan} 万元。"
    ) in text
    assert "就地转移 0 人，外出务工 2 人" in text and "调处率 —" in text
    assert text.count("<svg") == 4 and "<script" not in text.split("</header>", 1)[1]
    assert "按月转移人数" in text and "贫困户" in text  # the group chart names the group
    # The default period is this year so far; a bad date is marked beside its field.
    assert (await _get(api, "/reports")).status_code == 200
    bad = await _get(api, "/reports?from=2026-02-30&to=2026-03-01")
    assert bad.status_code == 422 and 'id="e-from"' in bad.text
    later = await _get(api, "/reports?from=2026-03-02&to=2026-03-01")
    assert later.status_code == 422 and 'id="e-from"' in later.text
    assert "晚于统计期的截止日期" in later.text and "不是有效日期" in bad.text
    # In English, the same sentence in the other words.
    await _get(api, "/lang/en?next=/reports")
    english = html.unescape((await _get(api, f"/reports?{period}")).text)
    assert "In all, 2 rural workers were transferred, 25.0% of the labour force" in english
    # Employer accounts have no 报表.
    await _login(api, await _account(api, "employer", employer_id=employer["id"]))
    assert (await _get(api, "/reports")).status_code == 403
