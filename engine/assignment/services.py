"""Assignment services (units of work): create a request, report a conflict, delegate approvals.

`release_expert` is the exception: issue 4's exit process calls it inside its own unit of work, so it
never commits.
"""

from datetime import date, datetime

from sqlalchemy import select

from engine.assignment import designation, flow, notices, steps
from engine.assignment.models import DELEGATION_SCOPES, ApprovalDelegation, WorkRequest
from engine.assignment.parsing import parse_parties
from engine.assignment.profiles import new_parties, split_specialties
from engine.assignment.status import RequestStatus
from engine.core import audit, runner
from engine.core.clock import local_date
from engine.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.core.forms import load_form, validate_form
from engine.core.models import ProcessInstance
from engine.core.scripting import HostContext
from engine.core.uow import unit_of_work
from engine.experts.models import Engagement
from engine.experts.status import EngagementStatus
from engine.platform import policy
from engine.platform.models import Unit
from engine.tasks.services import dynamic_choices

DEFAULT_HOURS = {"emergency": 4}
FINISHED = (RequestStatus.COMPLETED, RequestStatus.WITHDRAWN, RequestStatus.REJECTED)


def _date_errors(raw: dict, today: date) -> dict[str, str]:
    try:
        start, end = date.fromisoformat(str(raw.get("start_date"))), date.fromisoformat(str(raw.get("end_date")))
    except ValueError:
        return {}  # the form validation names the bad field
    errors = {}
    if end < start:
        errors["end_date"] = "工作结束日期不能早于开始日期"
    if start < today:
        errors["start_date"] = f"工作开始日期不能早于今天（{today}）"
    return errors


LIST_INPUTS = ("parties", "designated_experts", "external_experts")  # text lines, or lists from the API


def _validated(session, raw: dict, today: date) -> tuple[dict, list[tuple[str, str]]]:
    """The cleaned request input and its parties; every problem at once, as field errors."""
    raw = dict(raw)
    lists = {k: raw.pop(k) for k in LIST_INPUTS if isinstance(raw.get(k), list)}
    parties, problems = parse_parties(lists.get("parties", raw.get("parties") or ""))
    errors = ({"parties": "；".join(problems)} if problems else {}) | _date_errors(raw, today)
    try:
        cleaned = validate_form(load_form("work_request"), raw | {k: "" for k in lists}, dynamic_choices(session))
    except ValidationFailed as exc:
        raise ValidationFailed(errors | exc.errors) from None
    if errors:
        raise ValidationFailed(errors)
    return cleaned | lists, parties


def _new_request(actor, cleaned: dict, parties, now: datetime) -> WorkRequest:
    method = cleaned["method"]
    hours = cleaned.get("response_hours") or DEFAULT_HOURS.get(method, 48)
    return WorkRequest(
        unit_id=actor.unit_id, requested_by=actor.id, title=cleaned["title"], work_type=cleaned["work_type"],
        group_code=cleaned["group_code"], n_experts=cleaned["n_experts"],
        n_backups=(cleaned.get("n_backups") or 0) if method == "random" else 0,
        backups_first=bool(cleaned.get("backups_first")), specialties=split_specialties(cleaned.get("specialties") or ""),
        region=cleaned.get("region"), region_reason=cleaned.get("region_reason"),
        start_date=date.fromisoformat(cleaned["start_date"]), end_date=date.fromisoformat(cleaned["end_date"]),
        place=cleaned["place"], description=cleaned.get("description") or "", method=method,
        method_reason=cleaned.get("method_reason"), response_hours=hours, status=RequestStatus.CONFIRMING,
        parties=new_parties(parties), created_at=now, updated_at=now)


def _designate(session, request: WorkRequest, cleaned: dict, now: datetime) -> None:
    experts, entries, errors = designation.parse_designation(
        session, request, request.method, cleaned.get("designated_experts") or "",
        cleaned.get("external_experts") or "", None, now)
    if errors:
        raise ValidationFailed(errors)
    request.n_experts = len(experts) + len(entries)
    designation.record_designation(session, request, request.method, cleaned["method_reason"], experts, entries, now)


def create_request(session, actor, raw: dict, now: datetime, rng=None) -> WorkRequest:
    """A using unit requests experts; starts the assignment process (random: the draw runs now)."""
    if not policy.allows(actor, policy.START_ASSIGNMENT) or actor.unit_id is None:
        raise Forbidden("只有使用单位可以提出用人申请")
    with unit_of_work(session):
        cleaned, parties = _validated(session, raw, local_date(now))
        request = _new_request(actor, cleaned, parties, now)
        session.add(request)
        session.flush()
        if request.method != "random":
            _designate(session, request, cleaned, now)
        unit = session.get(Unit, actor.unit_id)
        data = {"request_id": request.id, "method": request.method, "requester_user_id": actor.id,
                "response_period": f"PT{request.response_hours}H"}
        instance = runner.start(session, "assignment", HostContext(session, actor, now, rng=rng), data,
                                subject=f"{request.title}（{unit.name}）", business_key=f"REQ-{request.id}",
                                unit_id=request.unit_id)
        request.instance_id = instance.id
    return request


def _may_report(actor, request: WorkRequest) -> bool:
    own_unit = policy.allows(actor, policy.REPORT_CONFLICT) and actor.unit_id == request.unit_id
    return own_unit or policy.allows(actor, policy.REPORT_ANY_CONFLICT)


def _finish_open_confirmation(session, request: WorkRequest, row: Engagement, ctx: HostContext, values: dict):
    """Complete the expert's open confirmation task for the process (the answer no longer matters)."""
    for task in steps.open_tasks(session, request.instance_id, "confirm_availability", item_id=row.id):
        steps.complete_as_system(session, task, ctx, values)


def report_conflict(session, engagement_id: int, actor, reason: str, now: datetime) -> Engagement:
    """Art 13 ¶3: a conflict found after the draw; the engagement awaits cancellation approval."""
    with unit_of_work(session):
        row = session.get(Engagement, engagement_id)
        request = session.get(WorkRequest, row.request_id) if row else None
        if row is None or request is None:
            raise NotFound("选派记录不存在")
        if not _may_report(actor, request):
            raise Forbidden("只有申请单位或人才开发中心可以报告回避情形")
        if row.status not in (EngagementStatus.DRAWN, EngagementStatus.CONFIRMED) or request.status in FINISHED:
            raise Conflict("该专家当前状态不能报告回避情形")
        if not (reason or "").strip():
            raise ValidationFailed({"reason": "请说明应予回避的具体情形"})
        was, ctx = row.status, HostContext(session, actor, now)
        row.status, row.conflict_declared = EngagementStatus.CANCEL_PENDING, True
        row.cancel_reason = f"{actor.display_name}报告：{reason.strip()[:1000]}"
        audit.record(session, "conflict_reported", actor, now, instance=_instance(session, request),
                     after={"engagement_id": row.id, "reason": row.cancel_reason})
        if was == EngagementStatus.DRAWN and row.asked_at is not None:
            _finish_open_confirmation(session, request, row, ctx, {"decision": "reported", "note": row.cancel_reason})
        elif was == EngagementStatus.CONFIRMED:
            steps.send_change(session, request.instance_id, ctx, "conflict_reported")
    return row


def _instance(session, request: WorkRequest):
    return session.get(ProcessInstance, request.instance_id) if request.instance_id else None


def _close_pending_approval(session, request: WorkRequest, row: Engagement, ctx: HostContext) -> None:
    for bpmn_id in ("leader_approve_cancellation", "division_approve_cancellation"):
        for task in steps.open_tasks(session, request.instance_id, bpmn_id, item_id=row.id):
            steps.complete_as_system(session, task, ctx, {"decision": "approve", "comment": "专家已出库，自动取消"})


def release_expert(session, expert_id: int, reason: str, actor, now: datetime) -> list[int]:
    """An exited expert (Art 15) leaves every open engagement; the requests redraw. No commit."""
    ctx = HostContext(session, actor, now)
    rows = session.scalars(select(Engagement).where(
        Engagement.expert_id == expert_id, Engagement.status.in_(flow.OPEN))).all()
    touched = []
    for row in rows:
        request = session.get(WorkRequest, row.request_id)
        if request.status in FINISHED:
            continue
        was = row.status
        row.status, row.ended_at, row.cancel_reason = EngagementStatus.RELEASED, now, reason[:1000]
        notices.to_unit(session, request, "选派专家已出库", f"“{request.title}”的一名选派专家已出库（{reason}），"
                        "系统将按程序递补或重新抽取。", now)
        if was == EngagementStatus.DRAWN and row.asked_at is not None:
            _finish_open_confirmation(session, request, row, ctx, {"decision": "released", "note": reason})
        elif was in flow.PENDING_CANCEL:
            _close_pending_approval(session, request, row, ctx)
        elif was == EngagementStatus.CONFIRMED:
            steps.send_change(session, request.instance_id, ctx, "expert_released")
        touched.append(request.id)
    return touched


def grant_delegation(session, actor, scope: str, valid_from: date | None, valid_until: date | None, note: str,
                     now: datetime) -> ApprovalDelegation:
    """A bureau leader authorizes the quality division to approve a scope for a period (Art 13)."""
    if not policy.allows(actor, policy.GRANT_DELEGATION):
        raise Forbidden("只有局领导可以授权")
    errors = {}
    if scope not in DELEGATION_SCOPES:
        errors["scope"] = "请选择授权事项"
    if valid_from is None or valid_until is None or valid_until < valid_from:
        errors["valid_until"] = "请填写有效的授权期限（截止日期不早于开始日期）"
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work(session):
        row = ApprovalDelegation(scope=scope, granted_by=actor.id, valid_from=valid_from, valid_until=valid_until,
                                 note=(note or "").strip()[:1000], created_at=now)
        session.add(row)
        session.flush()
        audit.record(session, "delegation_granted", actor, now, after={
            "delegation_id": row.id, "scope": scope, "valid_from": str(valid_from), "valid_until": str(valid_until)})
    return row


def revoke_delegation(session, actor, delegation_id: int, now: datetime) -> ApprovalDelegation:
    """Withdraw an authorization; approvals route to the bureau leader again."""
    if not policy.allows(actor, policy.GRANT_DELEGATION):
        raise Forbidden("只有局领导可以撤销授权")
    with unit_of_work(session):
        row = session.get(ApprovalDelegation, delegation_id)
        if row is None:
            raise NotFound("授权不存在")
        if row.revoked_at is not None:
            raise Conflict("该授权已撤销")
        row.revoked_at = now
        audit.record(session, "delegation_revoked", actor, now, after={"delegation_id": row.id})
    return row
