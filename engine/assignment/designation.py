"""Designated / external / emergency selection (Art 13 ¶2): parse, check for conflicts, record on the request."""

from datetime import datetime

from engine.assignment import notices
from engine.assignment.models import ExternalExpert, WorkRequest
from engine.assignment.parsing import parse_externals, resolve_designated
from engine.assignment.profiles import load_profiles, screen_request
from engine.assignment.status import RequestStatus

# A designated expert is chosen on purpose, so group/specialty/region may differ; conflicts never may.
BLOCKING = ("not_active", "term_expired", "unit_is_party", "affiliated_with_party", "declared_conflict", "busy")


def designated_problems(session, request: WorkRequest, experts: list, now: datetime) -> list[str]:
    """Why designated pool experts may not serve on this request (inactive, conflicts, busy)."""
    if not experts:
        return []
    profiles = load_profiles(session, [e.id for e in experts], request.group_code)
    _, exclusions = screen_request(session, profiles, request, now)
    names = {e.id: e.name for e in experts}
    return [f"指定专家“{names[x.expert_id]}”不能选派：{x.reason}（{x.article}）"
            for x in exclusions if x.code in BLOCKING]


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
