"""Who may be drawn for one request: pool status, group, specialty, region and recusal (Art 11(5), Art 13).

Pure function of its inputs: experts, the request and today's date are passed in. Every applicable reason is
returned per excluded expert, each naming the party or engagement concerned, so the requester and the
auditor see why. Per-request keys are computed once and organisation names are normalised through a cache,
so a screen over 10,000 experts is set lookups, not experts × parties × affiliations comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

# legal_entity_key(s) and normalize_org are re-exported: the engine, the bench and the tests import them here.
from rules.entities import KnownCodes, Parties, entity_name_key, legal_entity_key, legal_entity_keys
from rules.groups import GROUP_NAMES, group_code_for_name, normalize_group_name
from rules.orgs import normalize_credit_code, normalize_org, text_key

__all__ = ["AFFILIATION_YEARS", "ART_8", "ART_9", "ART_11_5", "ART_13", "CONFLICT_LABELS", "EXCLUSION_CODES",
           "EXCLUSION_LABELS", "RECUSAL_RULES_VERSION", "RELATION_LABELS", "STATUS_LABELS", "Affiliation", "Busy",
           "DeclaredConflict", "Exclusion", "ExpertProfile", "Party", "RequestSpec", "legal_entity_key",
           "legal_entity_keys", "normalize_org", "screen", "years_before"]

RECUSAL_RULES_VERSION = "recusal-2"  # 2: legal persons (branches, codes declared by anyone)

ART_8 = "第八条"
ART_9 = "第九条"
ART_11_5 = "第十一条第（五）项"
ART_13 = "第十三条"

EXCLUSION_CODES = ("not_active", "term_expired", "not_in_group", "specialty_mismatch", "outside_region",
                   "unit_is_party", "affiliated_with_party", "declared_conflict", "busy")
EXCLUSION_LABELS = dict(zip(EXCLUSION_CODES, ("不在库", "聘期已届满", "不属于所需专家组", "专业不符", "地区不符",
                                              "所在单位为当事方", "三年内与当事方有关联", "申报的利害关系",
                                              "日期冲突"), strict=True))
STATUS_LABELS = {"active": "在库", "suspended": "暂停", "exited": "已出库", "expired": "聘期届满"}
RELATION_LABELS = {"employed": "工作", "office": "担任职务", "controls": "控制（控股或实际控制）"}
CONFLICT_LABELS = {"relative": "亲属关系", "other": "其他利害关系"}
AFFILIATION_YEARS = 3  # Art 11(5) 利害关系: worked for / held office in / controlled a party within 3 years

@dataclass(frozen=True)
class Party:
    """A party concerned by the work (enterprise / institution) with its 统一社会信用代码 (18 chars, may be empty)."""

    name: str
    credit_code: str = ""


# The values a draw builds per expert (10,000 profiles and their declarations) are immutable NamedTuples: a
# frozen dataclass costs several times more to construct, which was most of a draw's time at that size.
class Affiliation(NamedTuple):
    """An organisation the expert worked for / held office in / controls, with dates (end None = still)."""

    org_name: str
    credit_code: str = ""
    relation: str = "employed"  # "employed" | "office" | "controls"
    start: date | None = None
    end: date | None = None


class DeclaredConflict(NamedTuple):
    """A conflict the expert declared against an organisation: relatives there, or another interest."""

    party_name: str = ""
    credit_code: str = ""
    kind: str = "relative"  # "relative" | "other"
    note: str = ""


class Busy(NamedTuple):
    """An engagement the expert already holds, by date range; request_id names its request."""

    start: date
    end: date
    request_id: int | None = None


class ExpertProfile(NamedTuple):
    """What screening needs to know about one expert."""

    id: int
    status: str
    term_end: date | None
    unit_name: str
    unit_credit_code: str = ""
    groups: tuple[str, ...] = ()
    specialties: str = ""
    region: str = ""
    affiliations: tuple[Affiliation, ...] = ()
    conflicts: tuple[DeclaredConflict, ...] = ()
    busy: tuple[Busy, ...] = ()


@dataclass(frozen=True)
class RequestSpec:
    """A using unit's request: group, work dates, parties concerned and optional specialty / region filters."""

    group: str
    start: date
    end: date
    parties: tuple[Party, ...] = ()
    specialties: tuple[str, ...] = ()
    region: str | None = None
    request_id: int | None = None


class Exclusion(NamedTuple):
    """One reason an expert may not be drawn: a stable code, a specific Chinese reason and its article."""

    expert_id: int
    code: str
    reason: str
    article: str


@lru_cache(maxsize=4096)
def _group_keys(groups: tuple[str, ...]) -> frozenset[str]:
    """Return canonical group keys: the standard code for a standard name or alias, else the cleaned name."""
    return frozenset(group_code_for_name(g) or normalize_group_name(g) for g in groups)


def years_before(day: date, years: int) -> date:
    """Return the same calendar day `years` earlier; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class _Request(Parties):
    """Per-request keys computed once: parties by legal person, group, specialty keywords, region, date limits."""

    def __init__(self, spec: RequestSpec, today: date, known: KnownCodes) -> None:
        if spec.end < spec.start:
            raise ValueError(f"工作结束日期 {spec.end} 早于开始日期 {spec.start}")
        super().__init__(spec.parties, known)
        self.spec, self.today = spec, today
        self.group = next(iter(_group_keys((spec.group,))))
        self.group_label = GROUP_NAMES.get(self.group, spec.group)
        keywords = [re.escape(k) for k in (text_key(s) for s in spec.specialties) if k]
        self.keywords = re.compile("|".join(keywords)) if keywords else None  # one C-level search per expert
        self.region = text_key(spec.region or "")
        self.term_floor = max(spec.start, today)  # a term that ended before today cannot serve either
        self.affiliation_floor = years_before(spec.start, AFFILIATION_YEARS)


_exclusion = Exclusion  # a NamedTuple is as cheap to build as the hand-filled dataclass once was


def _inactive(pool: Sequence[ExpertProfile], r: _Request) -> list[Exclusion]:
    """Art 13: only experts in the pool (在库) are drawn."""
    return [_exclusion(p.id, "not_active", f"专家状态为“{STATUS_LABELS.get(p.status, p.status)}”，不是在库专家", ART_13)
            for p in pool if p.status != "active"]


def _term_expired(pool: Sequence[ExpertProfile], r: _Request) -> list[Exclusion]:
    """Art 8: the 3-year term must not have ended before the work starts (or before today)."""
    start, floor = r.spec.start, r.term_floor
    return [_exclusion(p.id, "term_expired", f"聘期已于 {p.term_end} 届满，早于"
                       + (f"本次工作开始日期 {start}" if p.term_end < start else f"今天（{r.today}）"), ART_8)
            for p in pool if p.term_end is not None and p.term_end < floor]


def _not_in_group(pool: Sequence[ExpertProfile], r: _Request) -> list[Exclusion]:
    """Art 13: experts are drawn from the requested group (相应专家)."""
    group, keys, reason = r.group, _group_keys, f"不属于所需的“{r.group_label}”"
    # The raw membership test settles most experts in C; only the rest need their group names normalised.
    return [_exclusion(p.id, "not_in_group", reason, ART_13)
            for p in pool if group not in p.groups and group not in keys(p.groups)]


def _specialty_mismatch(pool: Sequence[ExpertProfile], r: _Request) -> list[Exclusion]:
    """Art 9: when specialties are requested, at least one must appear in the expert's 擅长专业."""
    if r.keywords is None:
        return []
    wanted = "、".join(s.strip() for s in r.spec.specialties if s.strip())
    return [_exclusion(p.id, "specialty_mismatch", f"擅长专业“{p.specialties or '未填写'}”不含所需专业（{wanted}）", ART_9)
            for p in pool if not r.keywords.search(text_key(p.specialties))]


def _outside_region(pool: Sequence[ExpertProfile], r: _Request) -> list[Exclusion]:
    """Requester's filter: when a region is given, only experts of that region."""
    if not r.region:
        return []
    return [_exclusion(p.id, "outside_region", f"所在地区“{p.region or '未填写'}”不是要求的“{r.spec.region}”", ART_13)
            for p in pool if text_key(p.region) != r.region]


def _unit_is_party(pool: Sequence[ExpertProfile], r: _Request) -> list[Exclusion]:
    """Art 11(5): the expert's unit is (a branch of) a party's legal person, by code, name or a declared code."""
    rows, names, codes, key_of, code_of = [], r.by_name, r.by_code, entity_name_key, normalize_credit_code
    for p in pool:
        party = codes.get(code_of(p.unit_credit_code)) if p.unit_credit_code else None
        if party or (party := names.get(key_of(p.unit_name))):
            rows.append(_exclusion(p.id, "unit_is_party", r.unit_reason(p, party), ART_11_5))
    return rows


def _affiliation_reason(p: ExpertProfile, r: _Request) -> str:
    """Return the reason naming each party the expert worked for / held office in / controls within 3 years."""
    found = []
    for a in p.affiliations:
        if a.end is not None and a.end < r.affiliation_floor:
            continue  # ended more than 3 years before the work starts
        party = r.party_of(a.org_name, a.credit_code)
        if party:
            since = f"{a.start}起" if a.start else ""
            until = f"至 {a.end}" if a.end else "至今"
            found.append(f"{since}{until}在当事方“{party}”{RELATION_LABELS.get(a.relation, '存在关联关系')}")
    return "；".join(found) + "，在本次工作开始前三年以内"


def _affiliated_with_party(pool: Sequence[ExpertProfile], r: _Request) -> list[Exclusion]:
    """Art 11(5): worked for, held office in or controls a party within 3 years before the work starts."""
    rows, names, codes, floor = [], r.by_name, r.by_code, r.affiliation_floor
    key_of, code_of = entity_name_key, normalize_credit_code
    for p in pool:
        for a in p.affiliations:  # plain loops and set lookups: this runs for every affiliation in the pool
            if (a.end is None or a.end >= floor) and (
                    key_of(a.org_name) in names or a.credit_code and code_of(a.credit_code) in codes):
                rows.append(_exclusion(p.id, "affiliated_with_party", _affiliation_reason(p, r), ART_11_5))
                break
    return rows


def _conflict_reason(p: ExpertProfile, r: _Request) -> str | None:
    """Return the reason naming each party the expert declared relatives or another interest in, else None."""
    found = []
    for c in p.conflicts:
        party = r.party_of(c.party_name, c.credit_code)
        if party:
            note = f"（{c.note}）" if c.note else ""
            found.append(f"本人申报与当事方“{party}”存在{CONFLICT_LABELS.get(c.kind, '利害关系')}{note}")
    return "；".join(found) or None


def _declared_conflict(pool: Sequence[ExpertProfile], r: _Request) -> list[Exclusion]:
    """Art 11(5): a declared relative or other interest in a party (few experts declare any)."""
    return [_exclusion(p.id, "declared_conflict", reason, ART_11_5)
            for p in pool if p.conflicts and (reason := _conflict_reason(p, r))]


def _busy_reason(p: ExpertProfile, r: _Request) -> str:
    """Return the reason naming each engagement that overlaps the work dates."""
    start, end, request_id = r.spec.start, r.spec.end, r.spec.request_id
    found = [
        f"已承担{f'第 {b.request_id} 号' if b.request_id is not None else '其他'}任务（{b.start} 至 {b.end}）"
        for b in p.busy
        if b.start <= end and start <= b.end and (request_id is None or b.request_id != request_id)
    ]
    return "；".join(found) + f"，与本次工作日期（{start} 至 {end}）重叠"


def _busy(pool: Sequence[ExpertProfile], r: _Request) -> list[Exclusion]:
    """Art 13: an expert engaged elsewhere on overlapping dates cannot take this work."""
    rows, start, end, request_id = [], r.spec.start, r.spec.end, r.spec.request_id
    for p in pool:
        for b in p.busy:
            if b.start <= end and start <= b.end and (request_id is None or b.request_id != request_id):
                rows.append(_exclusion(p.id, "busy", _busy_reason(p, r), ART_13))
                break
    return rows


# Passes in EXCLUSION_CODES order; each is a comprehension with set lookups over the whole pool.
_CHECKS = (_inactive, _term_expired, _not_in_group, _specialty_mismatch, _outside_region, _unit_is_party,
           _affiliated_with_party, _declared_conflict, _busy)


def screen(experts: Iterable[ExpertProfile], spec: RequestSpec, today: date,
           known: KnownCodes | None = None) -> tuple[list[int], list[Exclusion]]:
    """Return (eligible expert ids ascending, every exclusion ordered by expert id, then code) for one request.

    `known`: the credit codes declared for organisations anywhere (rules.entities.known_unit_codes), so that a
    unit's code known from any declaration applies to every expert of that unit (Art 11(5)).
    """
    pool = experts if isinstance(experts, list | tuple) else list(experts)
    r = _Request(spec, today, known or {})
    r.learn_units(pool)
    excluded: list[Exclusion] = []
    for check in _CHECKS:
        excluded.extend(check(pool, r))
    excluded.sort(key=_expert_id)  # stable: rows of one expert stay in EXCLUSION_CODES order
    out = {e.expert_id for e in excluded}
    eligible = [p.id for p in pool if p.id not in out]
    eligible.sort()
    return eligible, excluded


_expert_id = attrgetter("expert_id")
