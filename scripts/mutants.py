"""Planted faults in the rules, and the tests that must notice each one.

Each mutant is one small patch to one file (``old`` must occur exactly once in ``file``) and the
tests that should fail with it applied. The runner copies the repository to a scratch
directory (without .venv, data and .git), applies one mutant there, and runs its tests with
this repository's venv, the scratch copy first on PYTHONPATH so that ``matching`` (and
``seeds``, ``workers``, ``tests``) are imported from the copy, not the editable install:

    .venv/bin/python scripts/mutants.py              # every mutant, JSON on stdout
    .venv/bin/python scripts/mutants.py --only ban-on-dismissal --only housing-snapshot
    .venv/bin/python scripts/mutants.py --list       # ids, rules, and whether `old` still fits
    .venv/bin/python scripts/mutants.py --jobs 2

Status per mutant: ``killed`` (a named test failed), ``survived`` (they all passed: a test is
missing, or the mutant is equivalent — then it carries ``equivalent``: why), ``stale`` (``old``
no longer occurs exactly once: re-point it after the code moved), ``error`` (pytest could not
run the tests, e.g. a node id that no longer exists). Before the mutants, the named tests run
once on the unchanged copy (``--no-baseline`` skips it): a mutant is only killed by a test
that passes without it.

Slow (a pytest run per mutant), so not part of CI; run it after changing a rule. SQLite only:
LAOWU_TEST_DATABASE_URL is removed from the environment of every run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "data",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "test-artifacts",
    "*.egg-info",
    "*.db",
    "*.db-wal",
    "*.db-shm",
)

T_BANS = "tests/integration/test_bans.py"
T_HOUSING = "tests/integration/test_housing.py"
T_STALE = "tests/integration/test_stale_proposals.py"
T_ROLLBACK = "tests/integration/test_request_rollback.py"
T_REFUSALS = "tests/integration/test_refusals.py"
T_MATCHING = "tests/integration/test_matching.py"
T_OFFERS = "tests/integration/test_offers.py"
T_AFTERCARE = "tests/integration/test_aftercare.py"
T_ENGINE = "tests/unit/engine"
T_IDENTITY = "tests/unit/test_identity.py"
T_WORKERS = "tests/integration/test_workers.py"
T_OPENINGS = "tests/integration/test_openings.py"
T_FEES = "tests/integration/test_fees.py"
T_TRAINING = "tests/integration/test_training.py"
T_BAD_INPUT = "tests/integration/test_bad_input.py"
T_NOTICES = "tests/integration/test_notices.py"
T_TEXT = "tests/unit/test_text.py"
T_HIDDEN = "tests/integration/test_hidden_text.py"
T_SCOPING = "tests/integration/test_scoping.py"
T_JOBS_TWICE = "tests/integration/test_jobs_twice.py"
T_FEE_RULES = "tests/integration/test_fee_rules.py"
T_OBJECTIVE = "tests/unit/engine/test_objective_order.py"
T_ERASURE = "tests/integration/test_erasure.py"
T_FIGURE_INPUTS = "tests/integration/test_figures_inputs.py"
T_FIGURES = "tests/integration/test_figures_summary.py"

ELIG = "matching/engine/_eligibility.py"
SOLVE = "matching/engine/_solve.py"
SNAPSHOT = "matching/matches/snapshot.py"
MATCH_SERVICE = "matching/matches/service.py"
REPOSITORY = "matching/matches/repository.py"
RULES = "matching/db/rules.py"
OFFERS = "matching/offers/service.py"
OFFERS_REPO = "matching/offers/repository.py"
PLACEMENTS = "matching/placements/service.py"
DEPS = "matching/api/deps.py"
PROBLEMS = "matching/api/problems.py"
OPENING_RULES = "matching/openings/rules.py"
PRINCIPAL = "matching/lib/principal.py"
IDENTITY = "matching/lib/identity.py"
FEES = "matching/network/fees.py"
OPENINGS = "matching/openings/service.py"
STANDING = "matching/openings/standing.py"
PROFILES_REPO = "matching/profiles/repository.py"
TRAINING = "matching/training/service.py"
TEXT = "matching/lib/text.py"
SIGNING = "matching/notices/signing.py"
ERASURE = "matching/privacy/erasure.py"
ENGINE = "matching/db/engine.py"
FIGURES = "matching/reports/figures.py"
REPORTS_REPO = "matching/reports/repository.py"

MUTANTS: list[dict[str, Any]] = [
    # --- the six that slipped past the whole suite once ------------------------------------
    {
        "id": "ban-on-dismissal",
        "rule": "a dismissal bans that employer even without a rights case",
        "file": PLACEMENTS,
        "old": "    if dismissed or had_case:\n",
        "new": "    if had_case:\n",
        "tests": [T_BANS],
    },
    {
        "id": "ban-snapshot",
        "rule": "the snapshot hands the stored bans to the engine",
        "file": SNAPSHOT,
        "old": "    bans = await select_columns(session, select(BAN.worker_id, BAN.employer_id))\n",
        "new": "    bans: Columns = ((), ())\n",
        "tests": [T_BANS],
    },
    {
        "id": "housing-snapshot",
        "rule": "the snapshot reads whether an opening provides housing",
        "file": SNAPSHOT,
        "old": "housing=np.array(o_housing, dtype=np.bool_).reshape(o),",
        "new": "housing=np.ones(o, dtype=np.bool_),",
        "tests": [T_HOUSING],
    },
    {
        "id": "recheck-used-slots",
        "rule": "the write-time re-check counts the slots taken since the snapshot",
        "file": REPOSITORY,
        "old": 'select(OP.id, (OP.headcount - func.coalesce(used.c.used, 0)).label("left"))',
        "new": 'select(OP.id, OP.headcount.label("left"))',
        "tests": [T_STALE],
    },
    {
        "id": "recheck-keep-all",
        "rule": "the write-time re-check drops proposals the world moved past",
        "file": MATCH_SERVICE,
        "old": "        if row.worker_id in available and capacity.get(row.opening_id, 0) > 0:\n",
        "new": "        if True:\n",
        "tests": [T_STALE],
    },
    {
        "id": "session-rollback",
        "rule": "a request that fails rolls back what it wrote",
        "file": DEPS,
        "old": "                await session.rollback()\n",
        "new": "                await session.commit()\n",
        "tests": [T_ROLLBACK],
    },
    {
        "id": "confirm-python-guard",
        "rule": "only an accepted offer is confirmed (the service's own check answers)",
        "file": OFFERS,
        "old": '    if v.status != "accepted":\n',
        "new": '    if v.status == "no such status":\n',
        "tests": [T_REFUSALS],
    },
    # --- the write-time re-check, reason by reason -----------------------------------------
    {
        "id": "recheck-closed",
        "rule": "the write-time re-check drops a proposal to an opening closed since",
        "file": REPOSITORY,
        "old": '.where(wanted, OP.status == "open", m.Employer.suspended.is_(False))',
        "new": ".where(wanted, m.Employer.suspended.is_(False))",
        "tests": [T_STALE],
    },
    {
        "id": "recheck-suspended",
        "rule": "the write-time re-check drops a proposal to an employer suspended since",
        "file": REPOSITORY,
        "old": '.where(wanted, OP.status == "open", m.Employer.suspended.is_(False))',
        "new": '.where(wanted, OP.status == "open")',
        "tests": [T_STALE],
    },
    {
        "id": "recheck-available",
        "rule": "the write-time re-check drops a proposal for a worker no longer available",
        "file": MATCH_SERVICE,
        "old": "        if row.worker_id in available and capacity.get(row.opening_id, 0) > 0:\n",
        "new": "        if capacity.get(row.opening_id, 0) > 0:\n",
        "tests": [T_STALE],
    },
    {
        "id": "recheck-headcount-order",
        "rule": "when the re-check must drop some, priority-group proposals keep their slot",
        "file": MATCH_SERVICE,
        "old": "key=lambda r: (not r.priority, -r.score, r.worker_id)",
        "new": "key=lambda r: (r.priority, -r.score, r.worker_id)",
        "tests": [T_STALE],
    },
    {
        "id": "recheck-stats",
        "rule": "the run's stats count the proposals dropped at write time",
        "file": MATCH_SERVICE,
        "old": "            dropped_stale=len(outcome.proposals) - len(kept),\n",
        "new": "            dropped_stale=0,\n",
        "tests": [T_STALE],
    },
    # --- bans, dismissal and re-employment -------------------------------------------------
    {
        "id": "ban-engine",
        "rule": "the engine never pairs a worker with an employer that banned her",
        "file": ELIG,
        "old": "            ok &= ~_member(banned, wi * n_emp + o_emp[oj])\n",
        "new": "            pass\n",
        "tests": [T_ENGINE, T_BANS],
    },
    {
        "id": "ban-contract-violation",
        "rule": "leaving over a contract violation counts as a dismissal (ban, re-employment)",
        "file": PLACEMENTS,
        "old": "    dismissed = reason in DISMISSALS\n",
        "new": '    dismissed = reason == "dismissed"\n',
        "tests": [T_BANS],
    },
    {
        "id": "ban-on-quit",
        "rule": "a worker who quits of her own accord bans nobody",
        "file": PLACEMENTS,
        "old": "    if dismissed or had_case:\n",
        "new": "    if True:\n",
        "tests": [T_BANS],
    },
    {
        "id": "ban-on-case",
        "rule": "a rights case on the placement bans the employer whatever the end reason",
        "file": PLACEMENTS,
        "old": "    had_case = await repo.has_case(session, p.id)\n",
        "new": "    had_case = await repo.has_case(session, p.id) and False\n",
        "tests": [T_BANS],
    },
    {
        "id": "reemployment-group",
        "rule": "a dismissed worker gets re-employment priority",
        "file": PLACEMENTS,
        "old": "    if dismissed:\n",
        "new": "    if False:\n",
        "tests": [T_AFTERCARE, T_BANS],
    },
    # --- the engine's hard rules and objective ---------------------------------------------
    {
        "id": "skill-minimum",
        "rule": "every required skill at or above its minimum level (not only the rarest)",
        "file": ELIG,
        "old": "        ok = skills_ok(p.w_words[wi], p.o_words[oj])\n",
        "new": "        ok = np.ones(wi.size, dtype=np.bool_)\n",
        "tests": [T_ENGINE],
    },
    {
        "id": "skill-minimum-off-by-one",
        "rule": "a level one below the minimum is not enough",
        "file": ELIG,
        "old": "    smin = np.ascontiguousarray(openings.skill_min[o_perm]).astype(np.int8)\n",
        "new": "    smin = np.maximum(np.ascontiguousarray(openings.skill_min[o_perm]) - 1, 0)"
        ".astype(np.int8)\n",
        "tests": [T_ENGINE, T_MATCHING],
    },
    {
        "id": "housing-engine",
        "rule": "a worker who needs housing is only proposed where it is provided",
        "file": ELIG,
        "old": "        ok &= ~p.needs_housing[wi] | p.housing[oj]\n",
        "new": "        pass\n",
        "tests": [T_ENGINE, T_HOUSING],
    },
    {
        "id": "age-minimum",
        "rule": "she is at least 16 on the opening's start date",
        "file": ELIG,
        "old": "MIN_AGE = 16\n",
        "new": "MIN_AGE = 15\n",
        "tests": [T_ENGINE],
    },
    {
        "id": "age-ready-day",
        "rule": "her 16th birthday, not only her available-from date, bounds the start date",
        "file": ELIG,
        "old": "    ready = np.maximum(avail.astype(np.int64), adult)\n",
        "new": "    ready = avail.astype(np.int64)\n",
        "tests": [T_ENGINE],
    },
    {
        "id": "available-from",
        "rule": "she is available on or before the opening's start date",
        "file": ELIG,
        "old": "        ok = p.ready_day[wi] <= p.start_day[oj]\n",
        "new": "        ok = p.ready_day[wi] <= p.start_day[oj] + 30\n",
        "tests": [T_ENGINE],
    },
    {
        "id": "wage-minimum",
        "rule": "the opening's maximum wage reaches her minimum",
        "file": ELIG,
        "old": "        ok &= (p.min_wage[wi] == 0) | (p.min_wage[wi] <= p.wage_max[oj])\n",
        "new": "        pass\n",
        "tests": [T_ENGINE],
    },
    {
        "id": "location-relocate",
        "rule": "a worker who will not relocate is only proposed in her home county",
        "file": ELIG,
        "old": "    city_entry = p.relocate[pref_owner]\n",
        "new": "    city_entry = np.ones(pref_owner.size, dtype=np.bool_)\n",
        "tests": [T_ENGINE],
    },
    {
        "id": "priority-weight",
        "rule": "priority-group workers first (the single flow's priority weight)",
        "file": SOLVE,
        "old": "        cost = -(np.where(prio, a, 0) + b + q)\n",
        "new": "        cost = -(b + q)\n",
        "tests": [T_ENGINE, T_MATCHING],
    },
    {
        "id": "priority-staged",
        "rule": "priority-group workers first (the staged solve's priority count)",
        "file": SOLVE,
        "old": "    p_star = _max_flow(n, m, g.wi[prio], g.oj[prio], cap) "
        "if bool(prio.any()) else 0\n",
        "new": "    p_star = 0\n",
        "tests": [T_ENGINE],
    },
    {
        "id": "count-before-quality",
        "rule": "the most workers proposed before the best quality (the single flow's weight B)",
        "file": SOLVE,
        "old": "        cost = -(np.where(prio, a, 0) + b + q)\n",
        "new": "        cost = -(np.where(prio, a, 0) + q)\n",
        "tests": [T_OBJECTIVE, T_ENGINE],
    },
    # --- capacity, live offers, the snapshot's pool ----------------------------------------
    {
        "id": "capacity-live-offers",
        "rule": "an opening's capacity is its headcount less its live offers and placements",
        "file": SNAPSHOT,
        "old": "    capacity = OP.headcount - func.coalesce(used.c.used, 0)\n",
        "new": "    capacity = OP.headcount + 0 * func.coalesce(used.c.used, 0)\n",
        "tests": [T_STALE, T_MATCHING],
    },
    {
        "id": "capacity-confirmed",
        "rule": "a confirmed offer (a placement) keeps using its slot",
        "file": RULES,
        "old": '    return or_(live_offer(now), OF.status == "confirmed")\n',
        "new": "    return live_offer(now)\n",
        "tests": [T_STALE, T_OFFERS, T_BANS],
    },
    {
        "id": "live-offer-accepted",
        "rule": "an accepted offer still holds her and the slot",
        "file": RULES,
        "old": '    return or_(OF.status == "accepted",'
        ' and_(OF.status == "pending", OF.expires_at > now))\n',
        "new": '    return and_(OF.status == "pending", OF.expires_at > now)\n',
        "tests": [T_STALE],
    },
    {
        "id": "consent",
        "rule": "only workers who consented to matching are matched",
        "file": SNAPSHOT,
        "old": "        W.consent_matching.is_(True),\n",
        "new": "",
        "tests": [T_AFTERCARE, T_STALE],
    },
    {
        "id": "declined-exclusion",
        "rule": "she is never proposed again to an opening she declined",
        "file": SNAPSHOT,
        "old": 'select(OF.worker_id, OF.opening_id).where(OF.status == "declined")',
        "new": 'select(OF.worker_id, OF.opening_id).where(OF.status == "no such status")',
        "tests": [T_OFFERS],
    },
    {
        "id": "suspended-snapshot",
        "rule": "a suspended employer's openings leave matching",
        "file": SNAPSHOT,
        "old": '.where(OP.status == "open", E.suspended.is_(False), capacity > 0)',
        "new": '.where(OP.status == "open", capacity > 0)',
        "tests": [T_AFTERCARE],
    },
    {
        "id": "suspended-post-opening",
        "rule": "a suspended employer may not post openings",
        "file": OPENINGS,
        "old": "    if employer.suspended:\n        raise Conflict(",
        "new": "    if False:\n        raise Conflict(",
        "tests": [T_REFUSALS, T_AFTERCARE, T_OPENINGS],
    },
    {
        "id": "suspended-withdraws-offers",
        "rule": "suspending an employer withdraws its live offers",
        "file": OFFERS,
        "old": "    for v in found:\n        await _withdraw(",
        "new": "    for v in found[:0]:\n        await _withdraw(",
        "tests": [T_AFTERCARE],
    },
    {
        "id": "one-live-run",
        "rule": "one match run at a time, and the refusal names the live one",
        "file": MATCH_SERVICE,
        "old": "    if live is not None:\n        raise Conflict(\n",
        "new": "    if False:\n        raise Conflict(\n",
        "tests": [T_MATCHING],
    },
    # --- scoping ----------------------------------------------------------------------------
    {
        "id": "scope-agency-workers",
        "rule": "staff read their own agency's workers only",
        "file": PROFILES_REPO,
        "old": "    return stmt if agency_id is None else stmt.where(W.agency_id == agency_id)\n",
        "new": "    return stmt\n",
        "tests": [T_SCOPING, T_WORKERS],
    },
    {
        "id": "scope-agency-worker-read",
        "rule": "staff read their own agency's worker only (the lean one-worker read)",
        "file": PROFILES_REPO,
        "old": '    return stmt.where(W.agency_id == bindparam("agency_id")) if scoped else stmt\n',
        "new": "    return stmt\n",
        "tests": [T_SCOPING, T_WORKERS],
    },
    {
        "id": "scope-agency-proposals",
        "rule": "staff see the proposals of their own agency's workers only",
        "file": MATCH_SERVICE,
        "old": "    where = visible(principal,"
        " agency=repo.W.agency_id, employer=repo.OP.employer_id)\n",
        "new": "    where = [] if principal.is_staff else"
        " visible(principal, employer=repo.OP.employer_id)\n",
        "tests": [T_MATCHING],
    },
    {
        "id": "scope-employer-proposals",
        "rule": "an employer sees the proposals to its own openings only",
        "file": MATCH_SERVICE,
        "old": "    where = visible(principal,"
        " agency=repo.W.agency_id, employer=repo.OP.employer_id)\n",
        "new": "    where = [] if principal.is_employer"
        " else visible(principal, agency=repo.W.agency_id)\n",
        "tests": [T_MATCHING],
    },
    {
        "id": "scope-employer-priority-hidden",
        "rule": "an employer never sees whether a candidate is in a priority group",
        "file": MATCH_SERVICE,
        "old": "            priority=None if employer else r.priority,\n",
        "new": "            priority=r.priority,\n",
        "tests": [T_MATCHING],
    },
    {
        "id": "scope-employer-openings",
        "rule": "an employer account sees its own openings only",
        "file": OPENINGS,
        "old": "    return visible(principal, employer=employer)\n",
        "new": "    return []\n",
        "tests": [T_OPENINGS],
    },
    {
        "id": "scope-employer-decide",
        "rule": "only the opening's own employer confirms or withdraws its offers",
        "file": OFFERS,
        "old": "    if not may_see(principal, agency_id=v.agency_id, employer_id=v.employer_id):\n",
        "new": "    if not (principal.is_employer or may_see(principal, agency_id=v.agency_id)):\n",
        "tests": [T_SCOPING, T_OFFERS],
    },
    # --- the offer's road --------------------------------------------------------------------
    {
        "id": "confirm-db-guard",
        "rule": "confirming moves only an offer still accepted in the database",
        "file": OFFERS,
        "old": '        session, offer_id, ["accepted"], "confirmed", job_fair_id=job_fair_id\n',
        "new": '        session, offer_id, ["accepted", "declined", "pending"], "confirmed",'
        " job_fair_id=job_fair_id\n",
        "tests": [T_REFUSALS],
    },
    {
        "id": "answer-python-guard",
        "rule": "only a pending offer is answered (the service's own check answers)",
        "file": OFFERS,
        "old": '    if v.status != "pending":\n',
        "new": '    if v.status == "no such status":\n',
        "tests": [T_REFUSALS],
    },
    {
        "id": "answer-expired",
        "rule": "an offer past its time cannot be answered, even before the expiry job ran",
        "file": OFFERS,
        "old": "    if v.expires_at <= now:\n",
        "new": "    if False:\n",
        "tests": [T_REFUSALS, T_OFFERS],
    },
    {
        "id": "withdraw-python-guard",
        "rule": "only a live offer is withdrawn (the service's own check answers)",
        "file": OFFERS,
        "old": "    if v.status not in LIVE:\n",
        "new": '    if v.status == "no such status":\n',
        "tests": [T_REFUSALS],
    },
    {
        "id": "decline-frees-her",
        "rule": "declining an offer returns her to the pool",
        "file": OFFERS,
        "old": "    if not accept:\n        await repo.free_worker(session, v.worker_id)\n",
        "new": "",
        "tests": [T_OFFERS],
    },
    {
        "id": "follow-up-days",
        "rule": "follow-ups fall due on day 7, 30 and 90 after the start",
        "file": PLACEMENTS,
        "old": "FOLLOW_UP_DAYS = (7, 30, 90)\n",
        "new": "FOLLOW_UP_DAYS = (7, 30, 60)\n",
        "tests": [T_OFFERS],
    },
    {
        "id": "reemployment-lifted",
        "rule": "placed again, she leaves the re-employment group and the days are counted",
        "file": PLACEMENTS,
        "old": "    if previous is None or not in_group:\n        return\n",
        "new": "    return\n",
        "tests": [T_AFTERCARE],
    },
    {
        "id": "link-opens-that-offer",
        "rule": "her link answers only the offer it was sent for",
        "file": OFFERS,
        "old": "    if opened is None or opened.used or opened.offer.id != offer_id:\n",
        "new": "    if opened is None or opened.used:\n",
        "tests": [T_OFFERS],
    },
    # --- notices ------------------------------------------------------------------------------
    {
        "id": "outbox-dedupe-key",
        "rule": "one notice per kind and cause: the dedupe key names the cause, nothing else",
        "file": "matching/notices/outbox.py",
        "old": '    return f"{kind}:{cause}"\n',
        "new": '    return f"{kind}:{cause}:{object()!r}"\n',
        "tests": [T_JOBS_TWICE, T_OFFERS],
    },
    {
        "id": "followup-dedupe-key",
        "rule": "a check-in job run twice still sends one check-in",
        "file": "matching/placements/followups.py",
        "old": '                dedupe_key=f"checkin:{follow_up.id}",\n',
        "new": '                dedupe_key=f"checkin:{follow_up.id}:{clock.now().timestamp()}",\n',
        "tests": [T_AFTERCARE],
        "equivalent": "the key is never what decides: send_due moves a follow-up from "
        "'scheduled' to 'due' with a guarded UPDATE (a second scheduler's UPDATE finds no row, "
        "even on PostgreSQL under read committed, where it waits for the first and re-reads), "
        "and a follow-up has one check-in link (a unique column), so no second check-in "
        "notice is ever made for the key to stop",
    },
    # --- the request's edge and the problem mapping ------------------------------------------
    {
        "id": "problem-domain-status",
        "rule": "a domain error answers with its own status (404, 409, 422 ...)",
        "file": PROBLEMS,
        "old": "    return problem(request, exc.status_code, exc.title, exc.rendered(tr), errors, "
        "exc.extra)\n",
        "new": "    return problem(request, 400, exc.title, exc.rendered(tr), errors, exc.extra)\n",
        "tests": [T_REFUSALS, T_BAD_INPUT],
    },
    {
        "id": "problem-field-errors",
        "rule": "an Invalid error's problem names the fields at fault",
        "file": PROBLEMS,
        "old": "    errors = exc.rendered_errors(tr) if isinstance(exc, Invalid) else None\n",
        "new": "    errors = None\n",
        "tests": [T_BAD_INPUT, T_WORKERS],
    },
    {
        "id": "problem-body-422",
        "rule": "a bad body answers 422, a bad query or path 400",
        "file": PROBLEMS,
        "old": '422 if _is_body(extra) else 400, "Invalid input"',
        "new": '422, "Invalid input"',
        "tests": [T_BAD_INPUT, T_MATCHING],
    },
    {
        "id": "problem-integrity-409",
        "rule": "a race that breaks a unique constraint answers 409, not 500",
        "file": PROBLEMS,
        "old": '            409,\n            "Conflict",\n',
        "new": '            500,\n            "Conflict",\n',
        "tests": [T_REFUSALS, T_BAD_INPUT],
    },
    {
        "id": "problem-gender",
        "rule": "an opening that asks for a gender is refused citing the law",
        "file": OPENING_RULES,
        "old": "    return SEX_DISCRIMINATION if any(word"
        " in lowered for word in GENDER_WORDS) else None\n",
        "new": "    return None\n",
        "tests": [T_OPENINGS, T_BAD_INPUT],
    },
    # --- identity --------------------------------------------------------------------------
    {
        "id": "problem-refused-field",
        "rule": "the problem mapper asks the route's owner why a field is refused",
        "file": PROBLEMS,
        "old": "        return name, (refused(name) if refused"
        ' else None) or msg("is not a field of this resource")\n',
        "new": '        return name, msg("is not a field of this resource")\n',
        "tests": [T_BAD_INPUT],
    },
    {
        "id": "scope-visible-staff",
        "rule": "the one scoping rule confines staff to their agency's rows",
        "file": PRINCIPAL,
        "old": "        return [agency == principal.agency_id]\n",
        "new": "        return []\n",
        "tests": [T_SCOPING, T_MATCHING, T_NOTICES],
    },
    {
        "id": "scope-may-see-employer",
        "rule": "a row in hand is an employer account's only if it is its employer's",
        "file": PRINCIPAL,
        "old": "        return employer_id is not None and employer_id == principal.employer_id\n",
        "new": "        return True\n",
        "tests": [T_SCOPING, T_OFFERS],
    },
    {
        "id": "withdraw-needs-reason",
        "rule": "a withdrawal always says why, wherever it comes from",
        "file": OFFERS,
        "old": '    clean = clean_text(errors, "reason", reason)\n    errors.raise_if_any()\n',
        "new": "    clean = reason.strip()\n",
        "tests": [T_BAD_INPUT, T_OFFERS, T_REFUSALS],
    },
    {
        "id": "text-nul",
        "rule": "text with a NUL character is refused by name, not stored",
        "file": TEXT,
        "old": '    if "\\x00" in value:\n        return NUL\n',
        "new": "",
        "tests": [T_BAD_INPUT, T_TEXT],
    },
    {
        "id": "text-control",
        "rule": "one-line text with a control character (newline, ESC, C1) is refused",
        "file": TEXT,
        "old": "    if any(unicodedata.category(c) in _CONTROL_CATEGORIES for c in value):\n",
        "new": "    if False:\n",
        "tests": [T_TEXT, T_HIDDEN],
    },
    {
        "id": "text-bidi",
        "rule": "text with a bidirectional override, embedding or isolate is refused",
        "file": TEXT,
        "old": "    if any(c in _BIDI for c in value):\n",
        "new": "    if False:\n",
        "tests": [T_TEXT, T_HIDDEN],
    },
    {
        "id": "text-invisible",
        "rule": "text with a zero-width or other invisible formatting character is refused",
        "file": TEXT,
        "old": '    if any(unicodedata.category(c) == "Cf" for c in value):\n',
        "new": "    if False:\n",
        "tests": [T_TEXT, T_HIDDEN],
    },
    {
        "id": "text-nothing-visible",
        "rule": "text with no visible character (only zero-width spaces) is blank",
        "file": TEXT,
        "old": "    if not any(_visible(c) for c in value):\n",
        "new": "    if False:\n",
        "tests": [T_TEXT, T_HIDDEN],
    },
    {
        "id": "text-nfc",
        "rule": "text is stored in NFC: one text, one spelling",
        "file": TEXT,
        "old": '    return unicodedata.normalize("NFC", value).strip(_SPACES)\n',
        "new": "    return value.strip(_SPACES)\n",
        "tests": [T_TEXT, T_HIDDEN],
    },
    {
        "id": "phone-characters",
        "rule": "a phone holds only digits, spaces, dashes and a leading +86: nothing else",
        "file": IDENTITY,
        "old": "    if _PHONE_CHARS.fullmatch(value) is None:\n",
        "new": "    if False:\n",
        "tests": [T_IDENTITY, T_HIDDEN],
    },
    {
        "id": "id-province",
        "rule": "an ID number begins with a province code of GB/T 2260",
        "file": IDENTITY,
        "old": "    if value[:2] not in PROVINCE_CODES:\n",
        "new": "    if False:\n",
        "tests": [T_IDENTITY, T_HIDDEN],
    },
    {
        "id": "signature-timestamp-as-a-date",
        "rule": "a signed timestamp is compared as seconds: none overflows a date (401, not 500)",
        "file": SIGNING,
        "old": "    if abs(int(ts_text) - now.timestamp()) > tolerance.total_seconds():\n",
        "new": "    if abs(now - dt.datetime.fromtimestamp(int(ts_text), dt.UTC)) > tolerance:\n",
        "tests": [T_NOTICES],
    },
    {
        "id": "id-check-digit",
        "rule": "an ID number with a wrong check digit is refused",
        "file": IDENTITY,
        "old": "    if check_digit(value[:17]) != value[17]:\n",
        "new": "    if False:\n",
        "tests": [T_IDENTITY, T_WORKERS],
    },
    {
        "id": "id-check-weights",
        "rule": "the check digit is computed with GB 11643's weights",
        "file": IDENTITY,
        "old": "_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)\n",
        "new": "_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 1)\n",
        "tests": [T_IDENTITY],
    },
    # --- fees --------------------------------------------------------------------------------
    {
        "id": "fee-waiver",
        "rule": "priority-group workers pay no placement fee, and the waiver is recorded",
        "file": FEES,
        "old": "    if await is_priority_worker(session, worker_id):\n",
        "new": "    if False:\n",
        "tests": [T_FEES],
    },
    {
        "id": "fee-specificity",
        "rule": "a fee rule for a city beats one for an industry",
        "file": FEES,
        "old": "        return (2 if self.destination_city is not None else 0) + (\n",
        "new": "        return (1 if self.destination_city is not None else 0) + (\n",
        "tests": [T_FEE_RULES, T_FEES],
    },
    {
        "id": "training-fee-waiver",
        "rule": "training is free for priority groups",
        "file": TRAINING,
        "old": "    fee_due = 0 if waived else course.fee\n",
        "new": "    fee_due = course.fee\n",
        "tests": [T_TRAINING],
    },
    {
        "id": "training-capacity",
        "rule": "a training session takes no more than its capacity",
        "file": TRAINING,
        "old": "    if taken >= ts.capacity:\n",
        "new": "    if taken > ts.capacity:\n",
        "tests": [T_TRAINING],
    },
    # --- erasure --------------------------------------------------------------------------
    {
        "id": "erase-still-found",
        "rule": "an erased worker is found by no read of a profile",
        "file": PROFILES_REPO,
        "old": "    stmt = stmt.where(PRESENT)\n",
        "new": "",
        "tests": [T_ERASURE],
    },
    {
        "id": "erase-notices-kept",
        "rule": "no notice to an erased worker survives her erasure",
        "file": ERASURE,
        "old": '    removed["notices"] = await outbox.forget_worker(',
        "new": '    removed["notices"] = 0 and await outbox.forget_worker(',
        "tests": [T_ERASURE],
    },
    {
        "id": "erase-reason-names-her",
        "rule": "the reason kept with an erasure may not name her",
        "file": ERASURE,
        "old": "    if clean and (name in clean",
        "new": "    if False and (name in clean",
        "tests": [T_ERASURE],
    },
    {
        "id": "erase-secure-delete-off",
        "rule": "SQLite zeroes deleted and overwritten content",
        "file": ENGINE,
        "old": '    cursor.execute("PRAGMA secure_delete=ON")\n',
        "new": '    cursor.execute("PRAGMA secure_delete=OFF")\n',
        "tests": [T_ERASURE],
    },
    # --- the federation's figures --------------------------------------------------------------
    {
        "id": "sex-from-id",
        "rule": "an ID number's 17th digit is even for a woman",
        "file": IDENTITY,
        "old": '    return "female" if int(value[16]) % 2 == 0 else "male"\n',
        "new": '    return "female" if int(value[16]) % 2 == 1 else "male"\n',
        "tests": [T_FIGURE_INPUTS],
    },
    {
        "id": "sex-contradiction",
        "rule": "a declared sex contradicting her ID number is refused",
        "file": "matching/profiles/service.py",
        "old": "    if declared is not None and declared != from_id:\n",
        "new": "    if False:\n",
        "tests": [T_FIGURE_INPUTS],
    },
    {
        "id": "transferred-once",
        "rule": "a woman placed twice in a period is transferred once",
        "file": REPORTS_REPO,
        "old": "    totals = select(\n        func.count(distinct(s.c.worker_id)),\n",
        "new": "    totals = select(\n        func.count(s.c.worker_id),\n",
        "tests": [T_FIGURES],
    },
    {
        "id": "income-pro-rata",
        "rule": "labour income counts only the days of the period a placement was active",
        "file": REPORTS_REPO,
        "old": "    lo = greatest(PL.start_date, _day(pg, start))\n",
        "new": "    lo = PL.start_date\n",
        "tests": [T_FIGURES],
    },
    {
        "id": "local-workshop",
        "rule": "a placement at a local workshop is a local transfer",
        "file": REPORTS_REPO,
        "old": "    local = or_(PL.in_home_county.is_(True), E.local_workshop.is_(True))\n",
        "new": "    local = PL.in_home_county.is_(True)\n",
        "tests": [T_FIGURES],
    },
    {
        "id": "local-home-county",
        "rule": "a placement in her home county is a local transfer, decided when she is placed",
        "file": "matching/placements/repository.py",
        "old": "        select(o.county.is_not(None) & (o.county == w.home_county))\n",
        "new": "        select(o.county.is_not(None) & (o.county != w.home_county))\n",
        "tests": [T_FIGURES],
    },
    {
        "id": "confirm-wage-range",
        "rule": "the wage agreed at confirmation lies within the opening's range",
        "file": OFFERS,
        "old": "    if not v.wage_min <= wage <= v.wage_max:\n",
        "new": "    if not v.wage_min <= wage:\n",
        "tests": [T_FIGURE_INPUTS],
    },
    # --- this session's rules: words in a title, before the start, imports, the key ring ---
    {
        "id": "gender-in-title",
        "rule": "an opening's title that asks for one sex is refused, as the field is",
        "file": "matching/openings/rules.py",
        "old": "        if found:\n            return found.group(0)\n",
        "new": "        if found:\n            return None\n",
        "tests": ["tests/integration/test_rules.py"],
    },
    {
        "id": "checkin-before-start",
        "rule": "no check-in is taken before the placement starts",
        "file": "matching/placements/followups.py",
        "old": "    if clock.today() < placement.start_date:",
        "new": "    if False:",
        "tests": ["tests/integration/test_rules.py"],
    },
    {
        "id": "cancel-is-dismissal",
        "rule": "an employer cancelling before she starts is treated as a dismissal",
        "file": PLACEMENTS,
        "old": 'DISMISSALS = ("dismissed", "contract_violation", "employer_cancelled")',
        "new": 'DISMISSALS = ("dismissed", "contract_violation")',
        "tests": ["tests/integration/test_rules.py"],
    },
    {
        "id": "import-all-or-nothing",
        "rule": "a sheet with a bad row writes nothing unless skip_invalid is asked",
        "file": "matching/profiles/imports.py",
        "old": "    if bad and not skip_invalid:\n        raise InvalidRows(result)\n",
        "new": "    if False:\n        raise InvalidRows(result)\n",
        "tests": ["tests/integration/test_imports.py"],
    },
    {
        "id": "keyring-duplicates",
        "rule": "a duplicate is found under every key of the ring, not only the current one",
        "file": "matching/lib/keys.py",
        "old": "        return tuple(k.hash(value) for k in self.ring)\n",
        "new": "        return (self.ring[0].hash(value),)\n",
        "tests": ["tests/integration/test_key_rotation.py"],
    },
]


def check(mutant: dict[str, Any], root: Path = ROOT) -> str | None:
    """None when ``old`` occurs exactly once in ``file``; else why the mutant is stale."""
    path = root / mutant["file"]
    if not path.is_file():
        return f"{mutant['file']} does not exist"
    n = path.read_text(encoding="utf-8").count(mutant["old"])
    return None if n == 1 else f"`old` occurs {n} times in {mutant['file']}"


def scratch_copy(into: Path) -> Path:
    dest = into / "repo"
    shutil.copytree(ROOT, dest, ignore=IGNORE, symlinks=True)
    return dest


def run_env(copy: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LAOWU_TEST_DATABASE_URL"}
    env.pop("LAOWU_REQUIRE_POSTGRES", None)
    env["PYTHONPATH"] = str(copy) + (os.pathsep + env["PYTHONPATH"] if "PYTHONPATH" in env else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def python() -> str:
    return str(ROOT / ".venv" / "bin" / "python")


def assert_imports_copy(copy: Path) -> None:
    """The copy's packages, not the editable install's, are what the tests import."""
    code = (
        "import json, matching, seeds, workers, tests; "
        "print(json.dumps([m.__file__ for m in (matching, seeds, workers, tests)]))"
    )
    out = subprocess.run(  # noqa: S603
        [python(), "-c", code], cwd=copy, env=run_env(copy), capture_output=True, text=True
    )
    files = json.loads(out.stdout)
    wrong = [f for f in files if not Path(f).resolve().is_relative_to(copy.resolve())]
    if wrong:
        raise SystemExit(f"the scratch copy is not what gets imported: {wrong}")


def pytest(copy: Path, tests: list[str], timeout: float) -> tuple[int | None, str]:
    cmd = [
        python(),
        "-m",
        "pytest",
        "-x",
        "-q",
        "-n",
        "0",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
    ]
    for t in tests:
        # "-k expr" entries select by keyword; the others are paths or node ids.
        cmd += ["-k", t[3:]] if t.startswith("-k ") else [t]
    try:
        done = subprocess.run(  # noqa: S603
            cmd, cwd=copy, env=run_env(copy), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None, "timeout"
    return done.returncode, (done.stdout + done.stderr)[-3000:]


def run_one(mutant: dict[str, Any], timeout: float, keep_output: bool) -> dict[str, Any]:
    started = time.monotonic()
    result: dict[str, Any] = {"id": mutant["id"], "rule": mutant["rule"]}
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant['id']}-") as tmp:
        copy = scratch_copy(Path(tmp))
        stale = check(mutant, copy)
        if stale:
            result.update(status="stale", why=stale)
        else:
            path = copy / mutant["file"]
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace(mutant["old"], mutant["new"], 1), encoding="utf-8")
            code, output = pytest(copy, mutant["tests"], timeout)
            if code is None:
                result.update(status="killed", why="timeout")
            elif code == 1:
                result["status"] = "killed"
            elif code == 0:
                result["status"] = "survived"
                if "equivalent" in mutant:
                    result["equivalent"] = mutant["equivalent"]
            else:
                result.update(status="error", why=f"pytest exited {code}")
            if keep_output or result["status"] in ("survived", "error"):
                result["output"] = output
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def baseline(mutants: list[dict[str, Any]], timeout: float) -> None:
    tests = sorted({t for m in mutants for t in m["tests"] if not t.startswith("-k ")})
    with tempfile.TemporaryDirectory(prefix="mutant-baseline-") as tmp:
        copy = scratch_copy(Path(tmp))
        assert_imports_copy(copy)
        code, output = pytest(copy, tests, timeout * 4)
    if code != 0:
        raise SystemExit(f"the named tests fail without any mutant (exit {code}):\n{output}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], metavar="ID")
    parser.add_argument("--list", action="store_true", help="list the mutants; run nothing")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600, help="seconds per mutant")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--output", action="store_true", help="keep pytest's output for all")
    args = parser.parse_args(argv)

    ids = [m["id"] for m in MUTANTS]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SystemExit(f"duplicate mutant ids: {sorted(dupes)}")
    unknown = set(args.only) - set(ids)
    if unknown:
        raise SystemExit(f"no mutant with id {sorted(unknown)}")
    chosen = [m for m in MUTANTS if not args.only or m["id"] in args.only]

    if args.list:
        rows = [
            {
                "id": m["id"],
                "rule": m["rule"],
                "file": m["file"],
                "tests": m["tests"],
                "fits": check(m) is None,
            }
            for m in chosen
        ]
        print(json.dumps({"mutants": rows, "stale": sum(not r["fits"] for r in rows)}, indent=1))
        return 0

    if not args.no_baseline:
        print(f"baseline: the named tests, unchanged ({len(chosen)} mutants)", file=sys.stderr)
        baseline([m for m in chosen if check(m) is None], args.timeout)
    results: list[dict[str, Any]] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_one, m, args.timeout, args.output): m for m in chosen}
        for f in concurrent.futures.as_completed(futures):
            r = f.result()
            print(f"{r['status']:>8}  {r['id']}  ({r['seconds']}s)", file=sys.stderr)
            results.append(r)
    order = {m["id"]: i for i, m in enumerate(MUTANTS)}
    results.sort(key=lambda r: order[r["id"]])
    counts = {s: sum(r["status"] == s for r in results) for s in ("killed", "survived", "stale")}
    errors = sum(r["status"] == "error" for r in results)
    equivalent = [r["id"] for r in results if "equivalent" in r]
    report = {"mutants": results, **counts, "error": errors, "equivalent": equivalent}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0 if counts["survived"] == len(equivalent) and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
