"""The demo network, shaped like the source: a township agency in Nantong, offices in Shanghai,
Kunshan and Suzhou, a dozen employers, their openings and ~200 workers. Loaded through the
services and idempotent: a second run adds nothing and prints no passwords."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.identity import check_digit
from matching.lib.principal import SYSTEM
from matching.network import service as network
from matching.network.schemas import OfficeCreate, StaffCreate
from matching.openings import service as openings
from matching.openings.schemas import EmployerCreate, OpeningCreate, RequiredSkill
from matching.profiles import service as profiles
from matching.profiles.schemas import SkillLevel, WorkerCreate

AGENCY = "星一劳务中介有限公司"
OFFICES = [
    ("上海办事处", "上海", "021-5555-0101"),
    ("昆山办事处", "昆山", "0512-5555-0102"),
    ("苏州办事处", "苏州", "0512-5555-0103"),
]
HOME = "南通"
COUNTIES = [("通州区", "320612"), ("海门区", "320684"), ("如东县", "320623")]

# name, city, industry, reputation, labour protection
EMPLOYERS = [
    ("上海英华达电子有限公司", "上海", "电子", 85, 80),
    ("雅尔美服饰有限公司", HOME, "服装", 75, 70),
    ("梅兰绣品厂", HOME, "绣品", 80, 65),
    ("通州金针绗缝厂", HOME, "家纺", 60, 55),
    ("海门锦绣家纺有限公司", HOME, "家纺", 65, 60),
    ("昆山精密电子有限公司", "昆山", "电子", 70, 75),
    ("昆山华阳服装厂", "昆山", "服装", 55, 50),
    ("苏州工业园区光电科技有限公司", "苏州", "电子", 78, 82),
    ("苏州吴中纺织有限公司", "苏州", "纺织", 58, 52),
    ("上海浦东巾帼家政服务公司", "上海", "家政", 72, 60),
    ("苏州颐和养老院", "苏州", "养老", 68, 70),
    ("上海申美电器有限公司", "上海", "电器", 62, 66),
]

# employer index, title, city, county, headcount, wage min, wage max, housing, skills
OPENINGS: list[tuple[int, str, str, str | None, int, int, int, bool, list[tuple[str, int]]]] = [
    (0, "电子装配工", "上海", None, 30, 5200, 6800, True, [("assembly", 2)]),
    (0, "质检员", "上海", None, 6, 5500, 7000, True, [("quality_inspection", 3)]),
    (1, "平缝车工", HOME, "通州区", 20, 4200, 5600, False, [("sewing", 3)]),
    (1, "整烫工", HOME, "通州区", 5, 3800, 4800, False, [("garment_ironing", 2)]),
    (2, "绣花工", HOME, "通州区", 25, 3600, 5000, False, [("embroidery", 2)]),
    (2, "电脑绣花机操作工", HOME, "通州区", 4, 4500, 5800, False, [("embroidery", 4)]),
    (3, "绗缝工", HOME, "通州区", 12, 3500, 4600, False, [("quilting", 2)]),
    (4, "家纺缝纫工", HOME, "海门区", 15, 3800, 5000, False, [("sewing", 2), ("quilting", 1)]),
    (5, "SMT操作工", "昆山", None, 40, 5000, 6500, True, [("assembly", 1)]),
    (5, "设备电工", "昆山", None, 3, 6500, 8500, True, [("electrician", 3)]),
    (6, "服装车工", "昆山", None, 18, 4800, 6200, True, [("sewing", 3)]),
    (7, "光电组装工", "苏州", None, 35, 5300, 7000, True, [("assembly", 2)]),
    (7, "焊工", "苏州", None, 4, 6500, 8800, True, [("welding", 3)]),
    (8, "纺织挡车工", "苏州", None, 20, 4600, 6000, True, [("sewing", 1)]),
    (9, "住家保姆", "上海", None, 10, 6000, 8000, True, [("housekeeping", 2)]),
    (9, "育婴家政员", "上海", None, 6, 6500, 9000, True, [("housekeeping", 3), ("cooking", 2)]),
    (10, "养老护理员", "苏州", None, 12, 5000, 6500, True, [("elder_care", 2)]),
    (11, "电器装配工", "上海", None, 25, 5000, 6300, True, [("assembly", 1)]),
    (11, "食堂帮厨", "上海", None, 3, 4200, 5000, True, [("cooking", 1)]),
    (3, "绗缝学徒", HOME, "如东县", 8, 3000, 3800, False, []),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
)
GIVEN = [
    "秀英",
    "桂英",
    "秀兰",
    "玉兰",
    "桂兰",
    "凤英",
    "玉梅",
    "梅兰",
    "红梅",
    "丽娟",
    "海燕",
    "春燕",
    "晓燕",
    "美玲",
    "玉珍",
    "淑珍",
    "金凤",
    "彩霞",
    "小红",
    "翠花",
    "雪梅",
    "婷婷",
    "静",
    "敏",
    "丽",
    "艳",
    "霞",
    "娟",
    "芳",
    "萍",
    "琴",
    "慧",
    "玲",
    "燕",
    "红",
    "英",
    "兰",
    "梅",
    "珍",
    "莉",
]
MOBILE_PREFIXES = [
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "186",
    "187",
    "188",
    "136",
    "137",
]
SKILL_POOL = [
    "sewing",
    "sewing",
    "sewing",
    "embroidery",
    "embroidery",
    "quilting",
    "quilting",
    "assembly",
    "assembly",
    "garment_ironing",
    "quality_inspection",
    "housekeeping",
    "elder_care",
    "cooking",
    "electrician",
    "welding",
    "crop_techniques",
]
DEMO_WORKERS = 200


@dataclass
class DemoReport:
    created: dict[str, int] = field(default_factory=dict)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, password

    def count(self, what: str) -> None:
        self.created[what] = self.created.get(what, 0) + 1

    def lines(self) -> list[str]:
        out = [
            "demo network loaded: "
            + (
                ", ".join(f"{v} {k}" for k, v in self.created.items())
                or "nothing new (already loaded)"
            )
        ]
        if self.accounts:
            out.append("demo accounts (shown once; keep them or create new ones with laowu admin):")
            out.extend(f"  {role:<8} {user:<20} {pw}" for user, role, pw in self.accounts)
        return out


def _id_number(rng: random.Random, county_code: str, born: dt.date) -> str:
    body = f"{county_code}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + check_digit(body)


async def _agency(session: AsyncSession, report: DemoReport) -> int:
    found = (await session.execute(select(m.Agency.id).where(m.Agency.name == AGENCY))).scalar()
    if found is not None:
        return int(found)
    report.count("agencies")
    return (await network.create_agency(session, SYSTEM, AGENCY)).id


async def _offices(session: AsyncSession, agency_id: int, report: DemoReport) -> dict[str, int]:
    existing = {
        o.city: o.id
        for o in (
            await session.execute(select(m.Office).where(m.Office.agency_id == agency_id))
        ).scalars()
    }
    for name, city, phone in OFFICES:
        if city not in existing:
            data = OfficeCreate(agency_id=agency_id, name=name, city=city, phone=phone)
            existing[city] = (await network.create_office(session, SYSTEM, data)).id
            report.count("offices")
    return existing


async def _employers(session: AsyncSession, agency_id: int, report: DemoReport) -> list[int]:
    """The demo employers, registered by the demo agency (so its staff may post their openings)."""
    ids: list[int] = []
    for name, city, industry, rep, prot in EMPLOYERS:
        found = (
            await session.execute(select(m.Employer.id).where(m.Employer.name == name))
        ).scalar()
        if found is None:
            data = EmployerCreate(
                name=name,
                city=city,
                industry=industry,
                reputation=rep,
                labour_protection=prot,
                agency_id=agency_id,
            )
            found = (await openings.create_employer(session, SYSTEM, data)).id
            report.count("employers")
        ids.append(int(found))
    return ids


async def _openings(session: AsyncSession, employer_ids: list[int], report: DemoReport) -> None:
    today = clock.today()
    for i, (emp, title, city, county, head, wmin, wmax, housing, skills) in enumerate(OPENINGS):
        employer_id = employer_ids[emp]
        stmt = select(m.Opening.id).where(
            m.Opening.employer_id == employer_id, m.Opening.title == title
        )
        if (await session.execute(stmt)).first() is not None:
            continue
        data = OpeningCreate(
            employer_id=employer_id,
            title=title,
            city=city,
            county=county,
            headcount=head,
            monthly_wage_min=wmin,
            monthly_wage_max=wmax,
            housing_provided=housing,
            start_date=today + dt.timedelta(days=14 + 3 * i),
            required_skills=[RequiredSkill(code=c, min_level=lv) for c, lv in skills],
        )
        await openings.post_opening(session, SYSTEM, data)
        report.count("openings")


def _worker(rng: random.Random, n: int, agency_id: int) -> WorkerCreate:
    today = clock.today()
    county, county_code = COUNTIES[n % len(COUNTIES)]
    age = rng.randint(17, 55)
    born = today.replace(year=today.year - age, month=1, day=1) + dt.timedelta(
        days=rng.randrange(365)
    )
    phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    skills: dict[str, int] = {}
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        skills[rng.choice(SKILL_POOL)] = rng.choice([1, 2, 2, 3, 3, 4, 5])
    groups: list[str] = []
    roll = rng.random()
    if roll < 0.14:
        groups.append("poor_household")
    elif roll < 0.20:
        groups.append("military_spouse")
    elif roll < 0.27:
        groups.append("resettled_migrant")
    if rng.random() < 0.25:
        groups.append("left_behind")
    relocate = rng.random() < 0.65
    cities = rng.sample(["上海", "昆山", "苏州"], k=rng.choice([0, 1, 1, 2])) if relocate else []
    return WorkerCreate(
        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        phone=phone,
        birth_date=born,
        home_county=county,
        consent_matching=rng.random() < 0.95,
        skills=[SkillLevel(code=c, level=lv) for c, lv in skills.items()],
        priority_groups=groups,
        willing_to_relocate=relocate,
        preferred_cities=cities,
        min_monthly_wage=rng.choice([None, None, 3500, 4000, 4500, 5000, 5500]),
        needs_housing=relocate and rng.random() < 0.8,
        available_from=rng.choice([None, None, today + dt.timedelta(days=rng.randrange(5, 40))]),
        id_number=_id_number(rng, county_code, born) if rng.random() < 0.5 else None,
        agency_id=agency_id,
    )


async def _workers(session: AsyncSession, ctx: Context, agency_id: int, report: DemoReport) -> None:
    rng = random.Random(2026)  # the same demo people on every machine
    known = set((await session.execute(select(m.WorkerProfile.phone))).scalars())
    for n in range(DEMO_WORKERS):
        data = _worker(rng, n, agency_id)
        if "+86" + data.phone in known:
            continue
        known.add("+86" + data.phone)
        await profiles.register_worker(session, ctx, SYSTEM, data)
        report.count("workers")


async def _account(
    session: AsyncSession, report: DemoReport, username: str, role: str, **scope: int
) -> None:
    if (await session.execute(select(m.Account.id).where(m.Account.username == username))).first():
        return
    password = secrets.token_urlsafe(12)
    data = StaffCreate(username=username, password=password, role=role, **scope)  # type: ignore[arg-type]
    await network.create_account(session, SYSTEM, data)
    report.accounts.append((username, role, password))
    report.count("accounts")


async def load_demo(session: AsyncSession, ctx: Context) -> DemoReport:
    report = DemoReport()
    agency_id = await _agency(session, report)
    offices = await _offices(session, agency_id, report)
    employer_ids = await _employers(session, agency_id, report)
    await _openings(session, employer_ids, report)
    await _workers(session, ctx, agency_id, report)
    await _account(session, report, "admin", "admin")
    await _account(session, report, "xingyi", "staff", agency_id=agency_id)
    await _account(
        session, report, "shanghai", "staff", agency_id=agency_id, office_id=offices["上海"]
    )
    await _account(session, report, "yinghuada", "employer", employer_id=employer_ids[0])
    return report
