"""A group's screening profiles kept per worker while the expert pool is unchanged (issue 14).

Building 10,000 profiles from the database costs more than screening and drawing them. What they hold (status,
term, unit, specialties, membership, declarations) and the credit codes known from declarations change rarely,
so a worker keeps them per (database, group) under the pool version (engine.experts.pool_version), which every
change of those rows replaces as it commits. A draw reads the version (one SELECT): the same version
reuses the profiles, another (or none) loads them afresh. Engagements change with every draw and are never
kept: each draw reads those overlapping its dates and puts them on the profiles.
"""

import gc
from collections import defaultdict
from contextlib import contextmanager
from datetime import date

from sqlalchemy import select

from engine.assignment.profiles import BUSY_STATUSES, in_group, known_codes, load_profiles
from engine.experts import pool_version
from engine.experts.models import Engagement
from rules.entities import KnownCodes
from rules.recusal import Busy, ExpertProfile

_KEPT: dict[tuple[str, str], tuple[int, list[ExpertProfile], KnownCodes]] = {}


def _busy_between(session, group_code: str, start: date, end: date) -> dict[int, tuple[Busy, ...]]:
    """The group's engagements that occupy dates overlapping [start, end] (the only ones screening reads)."""
    found = defaultdict(list)
    for expert_id, b_start, b_end, request_id in session.execute(
            select(Engagement.expert_id, Engagement.start_date, Engagement.end_date, Engagement.request_id)
            .where(in_group(Engagement.expert_id, group_code), Engagement.status.in_(BUSY_STATUSES),
                   Engagement.start_date <= end, Engagement.end_date >= start)
            .order_by(Engagement.expert_id, Engagement.id)).all():
        found[expert_id].append(Busy(b_start, b_end, request_id))
    return {expert_id: tuple(rows) for expert_id, rows in found.items()}


@contextmanager
def _collector_paused():
    """Build 10,000 profiles without the cyclic garbage collector: they hold no cycles, and its passes over a
    heap that grows by ~50,000 objects at once cost as much as building them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _kept(session, group_code: str) -> tuple[list[ExpertProfile], KnownCodes]:
    """The group's profiles without engagements and the known codes: kept ones when the version still holds."""
    version = pool_version.current(session)
    key = (str(session.get_bind().url), group_code)
    kept = _KEPT.get(key)
    if version is not None and kept is not None and kept[0] == version:
        return kept[1], kept[2]
    with _collector_paused():
        profiles, known = load_profiles(session, None, group_code, with_busy=False), known_codes(session)
    if version is not None:
        _KEPT[key] = (version, profiles, known)
    return profiles, known


def group_profiles(session, group_code: str, start: date, end: date) -> tuple[list[ExpertProfile], KnownCodes]:
    """Every group member's screening profile (engagements overlapping [start, end] included) and the credit
    codes known from declarations: what load_profiles(None, group) and known_codes give, for the work dates."""
    profiles, known = _kept(session, group_code)
    busy = _busy_between(session, group_code, start, end)
    if busy:
        profiles = [p._replace(busy=busy[p.id]) if p.id in busy else p for p in profiles]
    return profiles, known


def profiles_of(session, expert_ids, group_code: str, start: date, end: date) -> list[ExpertProfile]:
    """The screening profiles of the given experts for work on [start, end], by id: the kept group's where it has
    them, the others (no longer members) loaded as load_profiles(ids, group) loads them."""
    wanted = set(expert_ids)
    found = [p for p in group_profiles(session, group_code, start, end)[0] if p.id in wanted]
    missing = wanted - {p.id for p in found}
    if missing:
        found = sorted(found + load_profiles(session, sorted(missing), group_code), key=lambda p: p.id)
    return found


def forget() -> None:
    """Drop every kept snapshot (tests, and after raw SQL changed the pool without a new version)."""
    _KEPT.clear()
