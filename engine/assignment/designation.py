"""Designated / external / emergency selection (Art 13 ¶2): parse, check for conflicts, record on the request."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.assignment import notices
from engine.assignment.models import ExternalExpert, WorkRequest
from engine.assignment.parsing import parse_externals, resolve_designated
from engine.assignment.profiles import known_codes, load_profiles, screen_request
from engine.assignment.status import RequestStatus
from engine.experts.models import Engagement, Expert
from engine.experts.status import EngagementStatus
from rules.recusal import legal_entity_keys

# A designated expert is chosen on purpose, so group/specialty/region may differ; conflicts never may.
BLOCKING = ("not_active", "term_expired", "unit_is_party", "affiliated_with_party", "declared_conflict", "busy")
# Engagements that hold (or are about to hold) a seat on the request: their legal entity is taken.
HOLDING = (EngagementStatus.DRAWN, EngagementStatus.CONFIRMED, EngagementStatus.COMPLETED)


@dataclass(frozen=True)
class _Unit:
    """Someone's unit as rules.entities reads it (pool experts, external experts)."""

    id: int
    unit_name: str
    unit_credit_code: str = ""
    name: str = ""


def designated_problems(session, request: WorkRequest, experts: list, now: datetime) -> list[str]:
    """Why designated pool experts may not serve on this request (inactive, conflicts, busy)."""
    if not experts:
        return []
    profiles = load_profiles(session, [e.id for e in experts], request.group_code)
    _, exclusions = screen_request(session, profiles, request, now)
    names = {e.id: e.name for e in experts}
    return [f"指定专家“{names[x.expert_id]}”不能选派：{x.reason}（{x.article}）"
            for x in exclusions if x.code in BLOCKING]


def _holding(session, request: WorkRequest) -> list[_Unit]:
    """Who already holds a seat on the request: pool experts (drawn or designated) and engaged external experts."""
    pool = session.execute(select(Expert.id, Expert.name).join(Engagement, Engagement.expert_id == Expert.id).where(
        Engagement.request_id == request.id, Engagement.status.in_(HOLDING)).order_by(Engagement.id)).all()
    profiles = {p.id: p for p in load_profiles(session, [i for i, _ in pool], request.group_code)}
    external = session.execute(select(ExternalExpert.id, ExternalExpert.name, ExternalExpert.unit).join(
        Engagement, Engagement.external_expert_id == ExternalExpert.id).where(
        Engagement.request_id == request.id, Engagement.status.in_(HOLDING))).all()
    return ([_Unit(i, profiles[i].unit_name, profiles[i].unit_credit_code, name) for i, name in pool]
            + [_Unit(-i, unit, "", f"{name}（库外）") for i, name, unit in external])


EXTERNAL_IDS = -10**9  # external entries get ids below every real one (they are not rows yet)


def same_entity_problems(session, request: WorkRequest, experts: list, entries: list) -> tuple[list[str], list[str]]:
    """Art 13: one expert per legal entity in a request, drawn, designated or invited from outside; returns the
    problems of (pool experts, external entries)."""
    if not experts and not entries:
        return [], []
    profiles = {p.id: p for p in load_profiles(session, [e.id for e in experts], request.group_code)}
    chosen = [_Unit(e.id, profiles[e.id].unit_name, profiles[e.id].unit_credit_code, e.name) for e in experts]
    chosen += [_Unit(EXTERNAL_IDS - n, entry.unit, "", f"{entry.name}（库外）") for n, entry in enumerate(entries)]
    held = _holding(session, request)
    keys = legal_entity_keys(held + chosen, known_codes(session))
    taken = {}
    for unit in held:
        taken.setdefault(keys[unit.id], unit)
    problems: tuple[list[str], list[str]] = ([], [])
    for unit in chosen:
        other = taken.setdefault(keys[unit.id], unit)
        if other is not unit:
            problems[unit.id <= EXTERNAL_IDS].append(
                f"“{unit.name}”（{unit.unit_name}）与“{other.name}”（{other.unit_name}）属同一法人单位，"
                "同一申请每个法人单位限选派一名专家（第十三条）")
    return problems


def parse_designation(session, request: WorkRequest, method: str, designated, externals, limit: int | None,
                      now: datetime) -> tuple[list, list, dict[str, str]]:
    """(pool experts, external entries, field errors) of a designation; `limit` caps the number of experts."""
    experts, problems = resolve_designated(session, designated)
    entries, ext_problems = parse_externals(externals) if method == "external" or externals else ([], [])
    errors = {}
    if method == "external" and not entries:
        ext_problems = ext_problems or ["库外临时邀请至少填写一位库外专家（姓名，单位，联系方式）"]
    if method in ("designated", "emergency") and not experts and not entries:
        problems = problems or ["请至少指定一位库内专家（聘书编号或姓名），或填写库外专家"]
    problems += designated_problems(session, request, experts, now)
    same_pool, same_external = same_entity_problems(session, request, experts, entries)
    problems, ext_problems = problems + same_pool, ext_problems + same_external
    if limit is not None and len(experts) + len(entries) > limit:
        problems.append(f"本次最多还需 {limit} 名专家，指定了 {len(experts) + len(entries)} 名")
    if problems:
        errors["designated_experts"] = "；".join(problems)
    if ext_problems:
        errors["external_experts"] = "；".join(ext_problems)
    return experts, entries, errors


def record_designation(session, request: WorkRequest, method: str, reason: str, experts: list, entries: list,
                       now: datetime) -> None:
    """Store the filing on the request (reason, experts, external experts) and ask talent_center to file it."""
    request.designation_method, request.method_reason = method, reason
    request.designated_expert_ids = [e.id for e in experts]
    for entry in entries:  # recorded for this request only, never admitted to the pool
        session.add(ExternalExpert(request_id=request.id, name=entry.name, unit=entry.unit, contact=entry.contact,
                                   specialty=entry.specialty, created_at=now))
    request.status, request.status_note, request.updated_at = RequestStatus.FILING, None, now
    notices.to_filing(session, request, now)
