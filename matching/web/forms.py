"""Turning posted forms into the services' request structs, keeping what she typed.

A form is read as strings; this module converts them (dates, whole numbers, check boxes, the
skill-level selects) and lets msgspec check the struct's bounds. What fails here, and what the
service refuses afterwards, comes back as ``{field: message}`` to show beside each field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from matching.lib.reference import reference

T = TypeVar("T", bound=msgspec.Struct)
_AT = re.compile(r"at `\$\.([A-Za-z_]+)")


class FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def values(form: Mapping[str, Any]) -> dict[str, str]:
    """Every posted value as text (the last one of a repeated name), to refill the form."""
    return {k: str(v) for k, v in form.items() if k != "_csrf_token"}


def _text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name, "")).strip()


def _date(form: Mapping[str, Any], name: str, errors: dict[str, str], required: bool) -> Any:
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


def _int(form: Mapping[str, Any], name: str, errors: dict[str, str], required: bool) -> Any:
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


def _levels(form: Mapping[str, Any], prefix: str) -> list[tuple[str, int]]:
    """The per-skill level selects (``skill_sewing`` = 0..5; 0 means none)."""
    out: list[tuple[str, int]] = []
    for code in sorted(reference().skill_codes):
        raw = _text(form, f"{prefix}{code}")
        if raw.isdigit() and 1 <= int(raw) <= 5:
            out.append((code, int(raw)))
    return out


def _convert(data: dict[str, Any], type_: type[T], errors: dict[str, str]) -> T:
    if errors:
        raise FormErrors(errors)
    try:
        return msgspec.convert(data, type_)
    except msgspec.ValidationError as exc:
        found = _AT.search(str(exc))
        raise FormErrors({found.group(1) if found else "_form": "is not valid"}) from exc


def _required_text(form: Mapping[str, Any], names: tuple[str, ...], errors: dict[str, str]) -> None:
    for n in names:
        if not _text(form, n):
            errors[n] = "must not be blank"


def worker_create(form: Mapping[str, Any], *, agency_id: int | None) -> Any:
    from matching.profiles.schemas import WorkerCreate

    errors: dict[str, str] = {}
    _required_text(form, ("name", "phone", "home_county"), errors)
    birth = _date(form, "birth_date", errors, required=True)
    available = _date(form, "available_from", errors, required=False)
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
        "skills": [{"code": c, "level": lv} for c, lv in _levels(form, "skill_")],
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
    return _convert(data, WorkerCreate, errors)


def opening_create(form: Mapping[str, Any], *, employer_id: int | None) -> Any:
    from matching.openings.schemas import OpeningCreate

    errors: dict[str, str] = {}
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
        "start_date": _date(form, "start_date", errors, required=True),
        "required_skills": [{"code": c, "min_level": lv} for c, lv in _levels(form, "skill_")],
    }
    return _convert(data, OpeningCreate, errors)


def struct(form: Mapping[str, Any], type_: type[T], ints: tuple[str, ...] = ()) -> T:
    """A small struct straight from text fields (admin and case forms)."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    for name in type_.__struct_fields__:
        if name in ints:
            v = _int(form, name, errors, required=False)
            if v is not None:
                data[name] = v
        elif _text(form, name):
            data[name] = _text(form, name)
    return _convert(data, type_, errors)
