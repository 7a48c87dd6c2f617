"""Turning posted forms into the services' request structs, keeping what she typed.

A form is read as strings; this module converts them (dates, whole numbers, check boxes, the
skill-level selects) and lets msgspec check the struct's bounds. What fails here, and what the
service refuses afterwards, comes back as ``{field: message}`` to show beside each field.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Mapping, MutableMapping
from typing import Any, TypeVar

import msgspec

from matching.lib.errors import Message, from_msgspec, msg
from matching.lib.reference import reference

T = TypeVar("T", bound=msgspec.Struct)
Errors = dict[str, str | Message]


class FormErrors(Exception):
    """Every field the form itself refuses; ``data`` is the request with a harmless stand-in
    for each of them (or None), so the service can still name what else is wrong."""

    def __init__(self, errors: Errors, data: Any = None) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.data = data


_ADULT = dt.date(1990, 1, 1)  # a stand-in birth date while hers is missing or unreadable


def values(form: Mapping[str, Any]) -> dict[str, str]:
    """Every posted value as text (the last one of a repeated name), to refill the form."""
    return {k: str(v) for k, v in form.items() if k != "_csrf_token"}


def _text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name, "")).strip()


def form_date(
    form: Mapping[str, Any], name: str, errors: MutableMapping[str, Any], *, required: bool
) -> dt.date | None:
    """A date typed year-month-day (the console's date boxes, ``date_attrs``)."""
    raw = _text(form, name)
    if not raw:
        if required:
            errors[name] = "must not be blank"
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = "enter a date as YYYY-MM-DD"
        return None


def _int(form: Mapping[str, Any], name: str, errors: Errors, required: bool) -> Any:
    raw = _text(form, name)
    if not raw:
        if required:
            errors[name] = "must not be blank"
        return None
    try:
        return int(raw)
    except ValueError:
        errors[name] = "enter a whole number"
        return None


def _checked(form: Mapping[str, Any], name: str) -> bool:
    return str(form.get(name, "")) in ("on", "true", "1", "yes")


def _levels(form: Mapping[str, Any], prefix: str, errors: Errors) -> list[tuple[str, int]]:
    """The per-skill level selects (``skill_sewing`` = 0..5; 0 means none). A level out of
    range or a skill we do not know (a crafted form) is refused, never dropped."""
    out: list[tuple[str, int]] = []
    known = reference().skill_codes
    for key in sorted(k for k in form if str(k).startswith(prefix)):
        code, raw = str(key)[len(prefix) :], _text(form, str(key))
        if code not in known:
            errors["skills"] = Message(msg("unknown skill code {code!r}"), {"code": code})
        elif not raw or raw == "0":
            continue
        elif raw.isdigit() and 1 <= int(raw) <= 5:
            out.append((code, int(raw)))
        else:
            errors["skills"] = Message(msg("a skill level is 1 to 5 (0: none)"))
    return out


def _convert(
    data: dict[str, Any], type_: type[T], errors: Errors, safe: dict[str, Any] | None = None
) -> T:
    """The struct, checking each field on its own so every wrong one is named at once; a wrong
    field gets a stand-in (``safe``, else its default) to let the service check the rest."""
    for f in msgspec.structs.fields(type_):
        if f.name not in data:
            continue
        try:
            msgspec.convert(data[f.name], f.type)
        except msgspec.ValidationError as exc:
            errors.setdefault(f.name, from_msgspec(str(exc)))
            if safe and f.name in safe:
                data[f.name] = safe[f.name]
            else:
                data.pop(f.name)
    try:
        struct = msgspec.convert(data, type_)
    except msgspec.ValidationError as exc:
        if not errors:
            errors["_form"] = from_msgspec(str(exc))
        raise FormErrors(errors) from exc
    if errors:
        raise FormErrors(errors, struct)
    return struct


def _required_text(form: Mapping[str, Any], names: tuple[str, ...], errors: Errors) -> None:
    for n in names:
        if not _text(form, n):
            errors[n] = "must not be blank"


def worker_create(form: Mapping[str, Any], *, agency_id: int | None) -> Any:
    from matching.profiles.schemas import WorkerCreate

    errors: Errors = {}
    _required_text(form, ("name", "phone", "home_county"), errors)
    birth = form_date(form, "birth_date", errors, required=True)
    available = form_date(form, "available_from", errors, required=False)
    wage = _int(form, "min_monthly_wage", errors, required=False)
    cities = [c for c in re.split(r"[,，、\s]+", _text(form, "preferred_cities")) if c]
    groups = [str(g) for g in form.getall("priority_groups", [])] if hasattr(form, "getall") else []
    data: dict[str, Any] = {
        "name": _text(form, "name") or "-",
        "phone": _text(form, "phone") or "-",
        "birth_date": birth,
        "home_county": _text(form, "home_county") or "-",
        "consent_matching": _checked(form, "consent_matching"),
        # Asked only when she has groups to declare: the box, or a refusal the service explains.
        "consent_sensitive": True
        if _checked(form, "consent_sensitive")
        else (False if groups else None),
        "skills": [{"code": c, "level": lv} for c, lv in _levels(form, "skill_", errors)],
        "priority_groups": groups,
        "willing_to_relocate": _checked(form, "willing_to_relocate"),
        "preferred_cities": cities,
        "min_monthly_wage": wage,
        "needs_housing": _checked(form, "needs_housing"),
        "available_from": available,
        "id_number": _text(form, "id_number") or None,
        "sex": _text(form, "sex") or None,
        "locale": "en" if _text(form, "locale") == "en" else "zh",
    }
    if agency_id is not None:
        data["agency_id"] = agency_id
    safe = {"name": "-", "phone": "13800000000", "home_county": "-", "birth_date": _ADULT}
    if data["birth_date"] is None:  # her ID number's own birth date, so it is not refused too
        digits = str(data["id_number"] or "")[6:14]
        data["birth_date"] = _ADULT
        if digits.isdigit():
            with contextlib.suppress(ValueError):
                data["birth_date"] = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    return _convert(data, WorkerCreate, errors, safe)


def opening_create(form: Mapping[str, Any], *, employer_id: int | None) -> Any:
    from matching.openings.schemas import OpeningCreate

    errors: Errors = {}
    _required_text(form, ("title", "city"), errors)
    emp = employer_id if employer_id is not None else _int(form, "employer_id", errors, True)
    data: dict[str, Any] = {
        "employer_id": emp,
        "title": _text(form, "title") or "-",
        "city": _text(form, "city") or "-",
        "county": _text(form, "county") or None,
        "headcount": _int(form, "headcount", errors, required=True),
        "monthly_wage_min": _int(form, "monthly_wage_min", errors, required=True),
        "monthly_wage_max": _int(form, "monthly_wage_max", errors, required=True),
        "housing_provided": _checked(form, "housing_provided"),
        "start_date": form_date(form, "start_date", errors, required=True),
        "required_skills": [
            {"code": c, "min_level": lv} for c, lv in _levels(form, "skill_", errors)
        ],
    }
    # stand-ins that pass, so the service still names the other fields (min above max …)
    safe = {"title": "-", "city": "-", "headcount": 1, "housing_provided": False}
    if data["headcount"] is None:
        data["headcount"] = 1
    if data["monthly_wage_min"] is None:
        data["monthly_wage_min"] = 0
    if data["monthly_wage_max"] is None:
        data["monthly_wage_max"] = max(data["monthly_wage_min"], 0)
    if data["start_date"] is None:
        data["start_date"] = dt.date.max
    return _convert(data, OpeningCreate, errors, safe)


def struct(form: Mapping[str, Any], type_: type[T], ints: tuple[str, ...] = ()) -> T:
    """A small struct straight from text fields (admin and case forms)."""
    errors: Errors = {}
    data: dict[str, Any] = {}
    for name in type_.__struct_fields__:
        if name in ints:
            v = _int(form, name, errors, required=False)
            if v is not None:
                data[name] = v
        elif _text(form, name):
            data[name] = _text(form, name)
    return _convert(data, type_, errors)


FEE_ROWS = 12
"""The rows the fee schedule's form offers (the current version's rules, then blank ones)."""


def fee_schedule(form: Mapping[str, Any]) -> tuple[Any, list[int]]:
    """The schedule's rules from rows ``city_<i>``, ``industry_<i>``, ``amount_<i>``; a blank
    row is skipped. Returns the request and, per rule, its row, so that the service's
    ``rules[k]`` errors show beside the row they belong to. Every row's problem at once."""
    from matching.lib.types import Place, Yuan
    from matching.network.fee_schemas import FeeScheduleCreate, Industry

    types: dict[str, tuple[str, Any]] = {
        "amount": ("amount", Yuan),
        "city": ("destination_city", Place),
        "industry": ("industry", Industry),
    }
    errors: Errors = {}
    rules: list[dict[str, Any]] = []
    rows: list[int] = []
    for i in range(FEE_ROWS):
        if not any(_text(form, f"{name}_{i}") for name in types):
            continue
        rule: dict[str, Any] = {"amount": _int(form, f"amount_{i}", errors, required=True)}
        for name, (key, type_) in types.items():
            if name != "amount" and _text(form, f"{name}_{i}"):
                rule[key] = _text(form, f"{name}_{i}")
            if rule.get(key) is None or f"{name}_{i}" in errors:
                continue
            try:
                msgspec.convert(rule[key], type_)
            except msgspec.ValidationError as exc:
                errors[f"{name}_{i}"] = from_msgspec(str(exc))
        rules.append(rule)
        rows.append(i)
    if not rules and not errors:
        errors["_form"] = Message(msg("a schedule needs at least one rule"))
    if errors:
        raise FormErrors(errors)
    return msgspec.convert({"rules": rules}, FeeScheduleCreate), rows
