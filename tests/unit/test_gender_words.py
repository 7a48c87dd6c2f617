"""The words of an opening that ask for one sex (Employment Promotion Law, art. 27), and the
many that only mention one: 妇女之家 in a name, 女装 (women's clothes), 不限男女."""

from __future__ import annotations

import pytest

from matching.openings.rules import gender_requirement

ASKS = (
    "缝纫车工（限女性）",
    "只招男工",
    "限男性",
    "女工优先",
    "普工，男性优先",
    "包装工(仅限女)",
    "要求男性",
    "专招女工",
    "招聘女工若干",
    "优先录用女性",
    "男士优先",
    "车间普工 女性为主",
    "只要女的",
    "Sewing operator (women only)",
    "packer, female preferred",
)
MENTIONS = (
    "妇女之家缝纫车工",
    "女装车工",
    "男装缝纫工",
    "不限男女",
    "男女不限",
    "男女均可",
    "女鞋包装工",
    "男女宿舍分开",
    "母婴护理员",
    "女性用品生产线操作工",
    "普工（不限性别）",
    "限高中以上学历",
    "限18-45岁",
    "巾帼家政服务员",
    "Sewing operator",
)


@pytest.mark.parametrize("title", ASKS)
def test_a_requirement_of_one_sex_is_found(title: str) -> None:
    assert gender_requirement(title)


@pytest.mark.parametrize("title", MENTIONS)
def test_a_mention_of_a_sex_is_not_a_requirement(title: str) -> None:
    assert gender_requirement(title) is None
