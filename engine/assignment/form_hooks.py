"""Form hooks of the assignment tasks: each applies a validated answer to the domain rows.

A hook runs inside tasks.complete's unit of work before the engine steps on; raising ValidationFailed or
Conflict here rolls everything back, so a bad or stale answer changes nothing.
"""

from sqlalchemy import select

from engine.assignment import designation, draws, flow, notices
from engine.assignment.models import WorkRequest
from engine.assignment.profiles import load_profiles, screen_request
from engine.assignment.status import RequestStatus
from engine.core.clock import local_date
from engine.core.contributions import Contributions
from engine.core.errors import Conflict, NotFound, ValidationFailed
from engine.core.scripting import HostContext
from engine.experts.models import Engagement, Expert, UsageRecord
from engine.experts.status import EngagementStatus

exports = Contributions()  # installed by engine.bootstrap


def task_engagement(ctx: HostContext, task_row) -> Engagement:
    """The engagement a multi-instance task is about: the item id its inbox row carries (the BPMN's `itemKey`),
    read without loading the workflow."""
    row = ctx.session.get(Engagement, task_row.item_id) if task_row.item_id is not None else None
    if row is None:
        raise NotFound("该任务对应的选派记录不存在")
    return row


def _request_of(ctx: HostContext, task_row) -> WorkRequest:
    request = ctx.session.scalar(select(WorkRequest).where(WorkRequest.instance_id == task_row.instance_id))
    if request is None:
        raise NotFound("该任务对应的用人申请不存在")
    return request


@exports.form_hook("expert_confirmation")
def apply_confirmation(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """The drawn expert confirms (and declares no conflict), declines with a reason, or recuses."""
    row = task_engagement(ctx, task_row)
    if row.status != EngagementStatus.DRAWN:
        raise Conflict("该选派已处理，不能重复答复")
    decision = cleaned["decision"]
    if decision == "confirm":
        row.status, row.confirmed_at = EngagementStatus.CONFIRMED, ctx.now
    elif decision == "decline":
        row.status, row.decline_reason = EngagementStatus.DECLINED, cleaned["decline_reason"]
    else:  # Art 11(5): the expert applies to recuse
        row.status, row.conflict_declared, row.cancel_reason = EngagementStatus.CANCEL_PENDING, True, cleaned["conflict_note"]
    expert_user = ctx.session.scalar(select(Expert.user_id).where(Expert.id == row.expert_id))
    return cleaned | {"engagement_id": row.id, "on_behalf": expert_user != ctx.actor.id}


def _judge_reject(row: Engagement) -> None:
    if row.status == EngagementStatus.DECLINED:
        raise ValidationFailed({"decision": "专家已拒绝承接，无法继续选派，只能同意取消并重新抽取"})
    if row.confirmed_at is None:
        raise ValidationFailed({"decision": "专家本人申请回避的，应予取消（第十一条第（五）项）"})


@exports.form_hook("cancellation_approval")
def apply_cancellation(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """Art 13 ¶3: approve the cancellation (judging a decline justified or not) or keep the expert."""
    row = task_engagement(ctx, task_row)
    if row.status not in flow.PENDING_CANCEL:
        raise Conflict("该取消事项已处理")
    request = flow.get_request(ctx.session, row.request_id)
    if cleaned["decision"] == "reject":
        _judge_reject(row)
        row.status, row.conflict_declared = EngagementStatus.CONFIRMED, False  # no recusal needed: the expert continues
        row.cancel_reason = f"经审批不予取消：{cleaned.get('comment') or ''}".rstrip("：")
        return cleaned | {"engagement_id": row.id}
    if row.status == EngagementStatus.DECLINED and not cleaned.get("justified"):
        raise ValidationFailed({"justified": "请判断拒绝理由是否正当（无正当理由拒绝的计入第十五条第（一）项）"})
    row.decline_justified = (cleaned["justified"] == "yes") if row.status == EngagementStatus.DECLINED else None
    row.status, row.ended_at = EngagementStatus.CANCELLED, ctx.now
    notices.to_expert(ctx.session, row, request, "已取消本次选派", f"您参加“{request.title}”的选派已取消。", ctx.now)
    return cleaned | {"engagement_id": row.id}


@exports.form_hook("designation_filing")
def apply_filing(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """talent_center files (备案) the written reason of a designation."""
    request = _request_of(ctx, task_row)
    request.status_note = f"已备案{('，备案号 ' + cleaned['filing_no']) if cleaned.get('filing_no') else ''}"
    request.updated_at = ctx.now
    return cleaned


def _pool_left(ctx: HostContext, request: WorkRequest) -> int:
    row = draws.draw_row(ctx.session, request.id)
    if row is not None:
        return len(draws.remaining_candidates(ctx.session, request, row, ctx.now)[0])
    profiles = load_profiles(ctx.session, None, request.group_code)
    engaged = {e.expert_id for e in flow.engagements(ctx.session, request.id)}
    eligible, _ = screen_request(ctx.session, profiles, request, ctx.now)
    return len(set(eligible) - engaged)


def _decide_designate(ctx: HostContext, request: WorkRequest, cleaned: dict, missing: int) -> None:
    method = cleaned.get("method") or "designated"
    experts, entries, errors = designation.parse_designation(
        ctx.session, request, method, cleaned.get("designated_experts") or "",
        cleaned.get("external_experts") or "", missing, ctx.now)
    if errors:
        raise ValidationFailed(errors)
    designation.record_designation(ctx.session, request, method, cleaned["reason"], experts, entries, ctx.now)


@exports.form_hook("shortfall_decision")
def apply_shortfall_decision(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """The unit chooses how to go on when experts are short: random again, designate, proceed, withdraw."""
    request = _request_of(ctx, task_row)
    missing = flow.shortfall(ctx.session, request)
    decision = cleaned["decision"]
    if decision == "random":
        if _pool_left(ctx, request) == 0:
            raise ValidationFailed({"decision": "库内已没有可抽取的专家，请选择指定专家或其他方式"})
        flow.set_status(request, RequestStatus.CONFIRMING, ctx.now)
    elif decision == "designate":
        _decide_designate(ctx, request, cleaned, missing)
    elif decision == "proceed":
        engaged = request.n_experts - missing
        if engaged < 1:
            raise ValidationFailed({"decision": "尚无专家确认参加，不能按现有专家开展工作"})
        request.status_note = f"原申请 {request.n_experts} 名，经使用单位决定按已确认的 {engaged} 名开展工作"
        request.n_experts = engaged
    return cleaned


@exports.form_hook("usage_record")
def apply_usage(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """After the work: the unit's record of one expert closes the engagement (feeds Art 14)."""
    row = task_engagement(ctx, task_row)
    if row.status != EngagementStatus.CONFIRMED:
        raise Conflict("该专家的使用情况已登记或选派已变更")
    today = local_date(ctx.now)
    if today < row.end_date:  # Art 14: the unit reports how the work went, so only once it has ended
        raise ValidationFailed({"completion": f"工作结束日期为 {row.end_date}，今天（{today}）工作尚未结束，"
                                              f"不能登记使用情况；请于 {row.end_date} 起登记"})
    ctx.session.add(UsageRecord(
        engagement_id=row.id, completion=cleaned["completion"], professional_level=cleaned["professional_level"],
        attitude=cleaned["attitude"], commitment_compliance=cleaned["commitment_compliance"],
        comment=cleaned.get("comment") or "", recorded_by=ctx.actor.id, recorded_at=ctx.now))
    row.status, row.ended_at = EngagementStatus.COMPLETED, ctx.now
    return cleaned | {"engagement_id": row.id}
