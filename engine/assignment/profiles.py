"""Build the inputs of rules.recusal from the database: expert profiles, parties, request specs.

Queries are set-based (a few SELECTs per draw, chunked IN lists) and read plain Core tuples into the NamedTuples
rules.recusal takes, so screening a group of 10,000 experts costs the same handful of round trips as ten.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import select

from engine.assignment.models import RequestParty, WorkRequest
from engine.core.clock import local_date
from engine.experts.models import Engagement, Expert, ExpertDeclaration, ExpertGroup, GroupMembership
from engine.experts.reference import CITIES
from engine.experts.status import EngagementStatus
from rules.entities import KnownCodes, known_unit_codes
from rules.recusal import (
    Affiliation,
    Busy,
    DeclaredConflict,
    Exclusion,
    ExpertProfile,
    Party,
    RequestSpec,
    normalize_org,
    screen,
)

# Regions a request may be restricted to (Art 12: the province's market-supervision system).
REGIONS = [*CITIES, "平潭", "省直"]
RELATIONS = {"employment": "employed", "office": "office", "control": "controls"}
CONFLICT_KINDS = {"relative": "relative", "other": "other"}
# Engagements that occupy an expert's dates (a declined or cancelled one frees them).
BUSY_STATUSES = (EngagementStatus.DRAWN, EngagementStatus.CONFIRMED, EngagementStatus.CANCEL_PENDING)
CHUNK = 900  # keeps IN lists under SQLite's bound-parameter limit
SPECIALTY_SPLIT = re.compile(r"[、，,；;/\s]+")


@lru_cache(maxsize=8192)
def region_of(unit_name: str) -> str:
    """The region of a unit by its name: a 设区市 or 平潭 named in it, else 省直 (provincial)."""
    name = unit_name or ""
    if "平潭" in name:
        return "平潭"
    return next((city for city in CITIES if city in name), "省直")


def split_specialties(text: str | Iterable[str]) -> list[str]:
    """Specialty keywords from free text (、，; separated) or a list, blanks dropped, order kept."""
    items = SPECIALTY_SPLIT.split(text) if isinstance(text, str) else list(text)
    return list(dict.fromkeys(s.strip() for s in items if s and s.strip()))


def _chunks(ids: list[int]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


DECLARATION_COLUMNS = (ExpertDeclaration.expert_id, ExpertDeclaration.kind, ExpertDeclaration.org_name,
                       ExpertDeclaration.credit_code, ExpertDeclaration.start, ExpertDeclaration.end,
                       ExpertDeclaration.note)
BUSY_COLUMNS = (Engagement.expert_id, Engagement.start_date, Engagement.end_date, Engagement.request_id)
EXPERT_COLUMNS = (Expert.id, Expert.status, Expert.term_end, Expert.unit_name, Expert.specialties)


def in_group(column, group_code: str):
    """`column` (an expert id) belongs to a member of the group: one join instead of long IN lists."""
    return column.in_(select(GroupMembership.expert_id).join(ExpertGroup, ExpertGroup.id == GroupMembership.group_id)
                      .where(ExpertGroup.code == group_code))


def _rows(session, columns, id_column, ids: list[int] | None, group_code: str, *where):
    """Plain tuples for the given experts (chunked IN lists) or for the whole group (a sub-select), in
    (expert id, row id) order: Core rows, no ORM entity, so 10,000 experts cost one cheap pass."""
    row_id = columns[0].class_.id
    order = (id_column,) if row_id is id_column else (id_column, row_id)
    parts = [None] if ids is None else list(_chunks(ids))
    for part in parts:
        match = in_group(id_column, group_code) if part is None else id_column.in_(part)
        yield from session.connection().execute(select(*columns).where(match, *where).order_by(*order)).all()


def _declared(session, ids, group_code) -> tuple[dict, dict, dict]:
    """(affiliations, declared conflicts, current employers with a code) per expert id, from one query."""
    affiliations, conflicts, employers = defaultdict(list), defaultdict(list), defaultdict(list)
    for expert_id, kind, org, code, start, end, note in _rows(session, DECLARATION_COLUMNS,
                                                              ExpertDeclaration.expert_id, ids, group_code):
        if kind in RELATIONS:
            affiliations[expert_id].append(Affiliation(org, code or "", RELATIONS[kind], start, end))
            if kind == "employment" and end is None and code:
                employers[expert_id].append((org, code))
        elif kind in CONFLICT_KINDS:
            conflicts[expert_id].append(DeclaredConflict(org, code or "", CONFLICT_KINDS[kind], note or ""))
    return affiliations, conflicts, employers


def _busy(session, ids, group_code) -> dict[int, list[Busy]]:
    found = defaultdict(list)
    for expert_id, start, end, request_id in _rows(session, BUSY_COLUMNS, Engagement.expert_id, ids, group_code,
                                                    Engagement.status.in_(BUSY_STATUSES)):
        found[expert_id].append(Busy(start, end, request_id))
    return found


def _unit_credit_code(unit_name: str, employers: list[tuple[str, str]]) -> str:
    """The credit code of the expert's own unit, when a current employment declaration names it."""
    key = normalize_org(unit_name)
    return next((code for org, code in employers if normalize_org(org) == key), "")


def load_profiles(session, expert_ids: list[int] | None, group_code: str, with_busy: bool = True) -> list[ExpertProfile]:
    """Screening profiles of the given experts, or of every group member when `expert_ids` is None, by id.

    Three queries whatever the size (chunks of CHUNK ids when ids are given); most experts declare nothing, so
    their profile shares the empty tuples. `with_busy=False` leaves engagements out (engine.assignment.snapshot).
    """
    ids = None if expert_ids is None else sorted(set(expert_ids))
    if session.autoflush:  # the Core reads below bypass the ORM's autoflush: this transaction's rows count too
        session.flush()
    affiliations, conflicts, employers = _declared(session, ids, group_code)
    busy = _busy(session, ids, group_code) if with_busy else {}
    groups, empty = (group_code,), ()
    return [ExpertProfile(i, status, term_end, unit, _unit_credit_code(unit, employers[i]) if i in employers else "",
                          groups, specialties or "", region_of(unit), tuple(affiliations.get(i, empty)),
                          tuple(conflicts.get(i, empty)), tuple(busy.get(i, empty)))
            for i, status, term_end, unit, specialties in _rows(session, EXPERT_COLUMNS, Expert.id, ids, group_code)]


def parties_of(request: WorkRequest) -> tuple[Party, ...]:
    """The request's parties as rules.recusal.Party values."""
    return tuple(Party(p.name, p.credit_code or "") for p in request.parties)


def spec_of(request: WorkRequest) -> RequestSpec:
    """The request as rules.recusal.RequestSpec."""
    return RequestSpec(group=request.group_code, start=request.start_date, end=request.end_date,
                       parties=parties_of(request), specialties=tuple(request.specialties or ()),
                       region=request.region or None, request_id=request.id)


def new_parties(parsed: list[tuple[str, str]]) -> list[RequestParty]:
    """RequestParty rows from (name, credit code) pairs."""
    return [RequestParty(name=name, credit_code=code) for name, code in parsed]


def known_codes(session) -> dict[str, frozenset[str]]:
    """The credit codes experts declared for organisations, in any declaration (Art 11(5): a unit's code known
    from one expert's declaration applies to every expert of that unit)."""
    return known_unit_codes(session.execute(
        select(ExpertDeclaration.org_name, ExpertDeclaration.credit_code)
        .where(ExpertDeclaration.credit_code.is_not(None), ExpertDeclaration.credit_code != "").distinct()))


def screen_request(session, profiles: list[ExpertProfile], request: WorkRequest, now,
                   known: KnownCodes | None = None) -> tuple[list[int], list[Exclusion]]:
    """rules.recusal.screen of the profiles for the request on today's date, with the codes declared anywhere."""
    return screen(profiles, spec_of(request), local_date(now), known_codes(session) if known is None else known)
