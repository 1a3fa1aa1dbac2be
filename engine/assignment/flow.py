"""The assignment state machine on the database rows; the BPMN decides the order, this decides the data.

Each function is called from a host function or a form hook inside the caller's unit of work.
"""

from datetime import datetime

from sqlalchemy import select

from engine.assignment import draws, notices
from engine.assignment.models import ExternalExpert, WorkRequest
from engine.assignment.status import RequestStatus
from engine.core.errors import NotFound
from engine.experts.models import Engagement, Expert
from engine.experts.status import EngagementStatus

ENGAGED = (EngagementStatus.CONFIRMED, EngagementStatus.COMPLETED)
PENDING_CANCEL = (EngagementStatus.DECLINED, EngagementStatus.CANCEL_PENDING)
OPEN = (EngagementStatus.DRAWN, EngagementStatus.CONFIRMED, EngagementStatus.DECLINED,
        EngagementStatus.CANCEL_PENDING)


def get_request(session, request_id) -> WorkRequest:
    """The request by id (404 when unknown)."""
    request = session.get(WorkRequest, int(request_id))
    if request is None:
        raise NotFound(f"用人申请 {request_id} 不存在")
    return request


def engagements(session, request_id: int) -> list[Engagement]:
    """Every engagement of a request, in round and rank order."""
    return list(session.scalars(select(Engagement).where(Engagement.request_id == request_id)
                                .order_by(Engagement.round, Engagement.rank, Engagement.id)))


def shortfall(session, request: WorkRequest) -> int:
    """How many more experts must confirm to reach N."""
    return request.n_experts - sum(1 for e in engagements(session, request.id) if e.status in ENGAGED)


def set_status(request: WorkRequest, status: RequestStatus, now: datetime, note: str | None = None) -> None:
    """Set where the request stands (shown on its page)."""
    request.status, request.status_note, request.updated_at = status, note, now


def ask(session, request: WorkRequest, rows: list[Engagement], now: datetime) -> list[dict]:
    """Mark engagements as asked and notify; returns the batch the BPMN multi-instance runs over."""
    batch = []
    for row in rows:
        row.asked_at = now
        user_id = session.scalar(select(Expert.user_id).where(Expert.id == row.expert_id))
        user_id = user_id or request.requested_by  # no account: the unit records the expert's answer
        notices.asked(session, request, row, user_id, request.response_hours, now)
        batch.append({"engagement_id": row.id, "user_id": user_id})
    return batch


def _new_engagement(request: WorkRequest, method: str, round_no: int, rank: int, role: str, **ids) -> Engagement:
    return Engagement(request_id=request.id, method=method, round=round_no, rank=rank, role=role,
                      status=EngagementStatus.DRAWN,
                      start_date=request.start_date, end_date=request.end_date, **ids)


def draw_first(session, request: WorkRequest, actor, now: datetime, instance, rng=None) -> dict:
    """Round 1: draw N + M; the first N are asked, the M backups wait on standby."""
    picked = draws.first_draw(session, request, request.n_experts + request.n_backups, actor, now, instance, rng)
    rows = [_new_engagement(request, "random", 1, i, "primary" if i < request.n_experts else "backup",
                            expert_id=expert_id) for i, expert_id in enumerate(picked)]
    session.add_all(rows)
    session.flush()
    primaries = [r for r in rows if r.role == "primary"]
    if not primaries:
        return _exhausted(session, request, now)
    set_status(request, RequestStatus.CONFIRMING, now)
    return {"ask": ask(session, request, primaries, now), "round": 1, "picked": len(rows)}


def _exhausted(session, request: WorkRequest, now: datetime) -> dict:
    missing = shortfall(session, request)
    note = f"库内符合条件的专家不足，尚缺 {missing} 名；可改为指定专家或库外临时邀请（第十三条）。"
    set_status(request, RequestStatus.EXHAUSTED, now, note)
    notices.to_unit(session, request, "库内专家不足", note, now)
    return {"ask": [], "exhausted": True}


def _standby(session, request: WorkRequest) -> list[Engagement]:
    return [e for e in engagements(session, request.id)
            if e.status == EngagementStatus.DRAWN and e.asked_at is None and e.role == "backup"]


def _promote(session, request: WorkRequest, count: int) -> list[Engagement]:
    return _standby(session, request)[:max(count, 0)]


def redraw(session, request: WorkRequest, actor, now: datetime, instance, rng=None) -> dict:
    """Fill the shortfall: standby backups first when configured, then round + 1 (same seed), else backups."""
    missing = shortfall(session, request)
    chosen = _promote(session, request, missing) if request.backups_first else []
    if missing - len(chosen) > 0:
        picked = draws.next_round(session, request, missing - len(chosen), actor, now, instance, rng)
        round_no = (draws.draw_row(session, request.id).rounds if picked else 0)
        fresh = [_new_engagement(request, "random", round_no, i, "primary", expert_id=expert_id)
                 for i, expert_id in enumerate(picked)]
        session.add_all(fresh)
        session.flush()
        chosen += fresh
    if not request.backups_first and len(chosen) < missing:
        chosen += _promote(session, request, missing - len(chosen))
    if not chosen:
        return _exhausted(session, request, now)
    set_status(request, RequestStatus.CONFIRMING, now)
    return {"ask": ask(session, request, chosen, now), "picked": len(chosen)}


def engage_designated(session, request: WorkRequest, now: datetime) -> dict:
    """After approval: designated pool experts are asked; recorded external experts are engaged directly."""
    existing = engagements(session, request.id)
    have_pool = {e.expert_id for e in existing if e.status in OPEN + ENGAGED}
    have_external = {e.external_expert_id for e in existing}
    method = request.designation_method or request.method
    rank = len(existing)
    fresh = []
    for expert_id in request.designated_expert_ids or []:
        if expert_id not in have_pool:
            fresh.append(_new_engagement(request, method, 0, rank + len(fresh), "primary", expert_id=expert_id))
    externals = session.scalars(select(ExternalExpert).where(ExternalExpert.request_id == request.id)).all()
    for ext in externals:
        if ext.id not in have_external:  # recorded, not admitted: the unit contacts them directly
            row = _new_engagement(request, "external", 0, rank + len(fresh), "primary", external_expert_id=ext.id)
            row.status, row.confirmed_at = EngagementStatus.CONFIRMED, now
            session.add(row)
    session.add_all(fresh)
    session.flush()
    set_status(request, RequestStatus.CONFIRMING, now)
    return {"ask": ask(session, request, fresh, now), "picked": len(fresh)}


def no_answer(session, engagement: Engagement, request: WorkRequest, now: datetime) -> dict:
    """The confirmation timer fired: no answer in time counts as a decline (Art 13)."""
    if engagement.status != EngagementStatus.DRAWN:
        return {"engagement_id": engagement.id, "status": engagement.status}
    engagement.status = EngagementStatus.DECLINED
    engagement.decline_reason = f"逾期未答复（{request.response_hours} 小时内未确认），视为拒绝"
    notices.to_expert(session, engagement, request, "逾期未确认，视为拒绝",
                      f"您未在规定时间内确认是否参加“{request.title}”，按规定视为拒绝承接。", now)
    return {"engagement_id": engagement.id, "status": EngagementStatus.DECLINED}


def can_redraw(session, request: WorkRequest) -> bool:
    """Random redraw is possible when the request was drawn (or is random) and the pool is not exhausted."""
    if request.status == RequestStatus.EXHAUSTED:
        return False
    return request.method == "random" or draws.draw_row(session, request.id) is not None


def staffing(session, request: WorkRequest) -> dict:
    """The facts the assignment gateways decide on (Art 13 ¶3); this only counts, the BPMN decides.

    - `cancellations_pending`: engagements declined or asking to recuse, awaiting the cancellation approval;
    - `confirmed` of `needed`, and `shortfall` = how many more must confirm (0 when staffed);
    - `redraw_possible`: the shortfall can be drawn again (random request or drawn before, pool not exhausted);
    - `pending_cancellation_ids`: the engagements the approval multi-instance runs over.
    """
    rows = engagements(session, request.id)
    pending = [e.id for e in rows if e.status in PENDING_CANCEL]
    confirmed = sum(1 for e in rows if e.status in ENGAGED)
    return {"needed": request.n_experts, "confirmed": confirmed, "shortfall": max(request.n_experts - confirmed, 0),
            "cancellations_pending": len(pending), "pending_cancellation_ids": pending,
            "redraw_possible": can_redraw(session, request)}


def report_shortfall(session, request: WorkRequest, now: datetime) -> dict:
    """Short of experts with no redraw possible: the unit must choose how to go on (told once; a pool found
    exhausted by the redraw, or a refused designation, has told it already)."""
    if request.status != RequestStatus.EXHAUSTED:
        engaged = sum(1 for e in engagements(session, request.id) if e.status in ENGAGED)
        note = f"已确认 {engaged}/{request.n_experts} 名，尚缺 {request.n_experts - engaged} 名，请选择后续方式。"
        set_status(request, RequestStatus.EXHAUSTED, now, note)
        notices.to_unit(session, request, "专家人数不足，请选择后续方式", note, now)
    return {"status": request.status}


def refer_back(session, request: WorkRequest, now: datetime) -> dict:
    """A refused designation with experts engaged or a draw to go back to: the unit chooses how to go on."""
    set_status(request, RequestStatus.EXHAUSTED, now, "指定选派未获批准，请选择后续方式。")
    notices.to_unit(session, request, "指定选派未获批准", request.status_note, now)
    return {"status": request.status}


def close_refused(session, request: WorkRequest, now: datetime) -> dict:
    """A refused designation with nothing to go back to: open engagements released, the request rejected."""
    withdraw(session, request, now, note="指定选派未获批准")
    request.status = RequestStatus.REJECTED
    notices.to_unit(session, request, "指定选派未获批准", f"“{request.title}”的指定选派未获批准。", now)
    return {"status": request.status}


def tally(session, request: WorkRequest, now: datetime) -> dict:
    """Versions deployed before the gateways read `staffing` facts: the next step decided here, with the
    status changes of the step it names (cancelling: also set by approval_route; exhausted: report_shortfall)."""
    facts = staffing(session, request)
    result = {"cancel": facts["pending_cancellation_ids"], "confirmed": facts["confirmed"], "needed": facts["needed"]}
    if facts["cancellations_pending"]:
        set_status(request, RequestStatus.CANCELLING, now)
        return result | {"next": "approve"}
    if facts["shortfall"] == 0:
        return result | {"next": "staffed"}
    if facts["redraw_possible"]:
        return result | {"next": "redraw"}
    report_shortfall(session, request, now)
    return result | {"next": "decide"}


def staffed(session, request: WorkRequest, now: datetime) -> list[int]:
    """Selection done: release standby backups, tell everyone; returns engagements awaiting usage records."""
    rows = engagements(session, request.id)
    for row in rows:
        if row.status == EngagementStatus.DRAWN and row.asked_at is None:
            row.status, row.ended_at = EngagementStatus.RELEASED, now
    working = [e for e in rows if e.status == EngagementStatus.CONFIRMED]
    set_status(request, RequestStatus.STAFFED, now)
    names = "、".join(notices.person_name(session, e) for e in working)
    notices.to_unit(session, request, "专家选派完成",
                    f"“{request.title}”已选派专家：{names}。工作结束后请逐一登记专家使用情况。", now)
    for row in working:
        notices.to_expert(session, row, request, "选派已确定",
                          f"您参加“{request.title}”的选派已确定（{request.start_date} 至 {request.end_date}，"
                          f"{request.place}）。", now)
    return [e.id for e in working]


def complete(session, request: WorkRequest, now: datetime) -> dict:
    """Every engaged expert's usage is recorded: the request is done."""
    set_status(request, RequestStatus.COMPLETED, now)
    return {"status": RequestStatus.COMPLETED}


def withdraw(session, request: WorkRequest, now: datetime, note: str = "使用单位撤回申请") -> dict:
    """Withdraw the request: open engagements are released and their experts told."""
    for row in engagements(session, request.id):
        if row.status in OPEN:
            row.status, row.ended_at, row.cancel_reason = EngagementStatus.RELEASED, now, note
            notices.to_expert(session, row, request, "选派已撤销", f"“{request.title}”已撤回，您无需参加。", now)
    set_status(request, RequestStatus.WITHDRAWN, now, note)
    return {"status": RequestStatus.WITHDRAWN}
