"""Host functions the assignment BPMN calls (allow-listed); importing also registers the form hooks
and the outbox job."""

from datetime import date

from sqlalchemy import select

from engine.assignment import access, flow, notices, queries  # noqa: F401  (hooks: registers the form hooks)
from engine.assignment.models import ApprovalDelegation
from engine.assignment.status import RequestStatus
from engine.core.clock import local_date
from engine.core.contributions import Contributions
from engine.core.errors import NotFound
from engine.core.scripting import HostContext
from engine.experts.models import Engagement
from engine.platform import notifications as notify  # noqa: F401  (registers the send_outbox scheduled job)

exports = Contributions()  # installed by engine.bootstrap

exports.task_context("assignment")(queries.task_context)  # the request, the engagement, the unit's history
exports.sealing("assignment")(access.sealed_steps)  # Art 13: drawn names sealed from the process history too

ROUTE_LABELS = {"cancellation": "取消专家选派", "designation": "指定/库外/紧急选派"}


def _engagement(ctx: HostContext, engagement_id) -> Engagement:
    row = ctx.session.get(Engagement, int(engagement_id))
    if row is None:
        raise NotFound(f"选派记录 {engagement_id} 不存在")
    return row


@exports.host_function("draw_experts")
def draw_experts(ctx: HostContext, request_id) -> dict:
    """Art 13: screen (recusal) and draw round 1 verifiably; returns who must confirm now."""
    request = flow.get_request(ctx.session, request_id)
    return flow.draw_first(ctx.session, request, ctx.actor, ctx.now, ctx.instance, ctx.rng)


@exports.host_function("redraw_experts")
def redraw_experts(ctx: HostContext, request_id) -> dict:
    """Art 13 ¶3: fill the shortfall from backups or round + 1; an empty batch means exhausted."""
    request = flow.get_request(ctx.session, request_id)
    return flow.redraw(ctx.session, request, ctx.actor, ctx.now, ctx.instance, ctx.rng)


@exports.host_function("engage_designated")
def engage_designated(ctx: HostContext, request_id) -> dict:
    """Art 13 ¶2: after approval, designated experts are asked and external ones recorded as engaged."""
    request = flow.get_request(ctx.session, request_id)
    result = flow.engage_designated(ctx.session, request, ctx.now)
    notices.to_unit(ctx.session, request, "指定选派已获批准", f"“{request.title}”的指定选派已获批准。", ctx.now)
    return result


@exports.host_function("record_no_answer")
def record_no_answer(ctx: HostContext, engagement_id) -> dict:
    """The confirmation deadline passed without an answer: declined."""
    row = _engagement(ctx, engagement_id)
    return flow.no_answer(ctx.session, row, flow.get_request(ctx.session, row.request_id), ctx.now)


@exports.host_function("count_staffing")
def count_staffing(ctx: HostContext, request_id) -> dict:
    """Art 13 ¶3: the facts the gateways read (cancellations pending, shortfall, redraw possible); no decision."""
    return flow.staffing(ctx.session, flow.get_request(ctx.session, request_id))


@exports.host_function("report_shortfall")
def report_shortfall(ctx: HostContext, request_id) -> dict:
    """Short of experts and no redraw possible: the unit is asked to choose how to go on."""
    return flow.report_shortfall(ctx.session, flow.get_request(ctx.session, request_id), ctx.now)


@exports.host_function("refer_back_to_unit")
def refer_back_to_unit(ctx: HostContext, request_id) -> dict:
    """A designation was not approved but experts are engaged or a draw exists: the unit chooses how to go on."""
    return flow.refer_back(ctx.session, flow.get_request(ctx.session, request_id), ctx.now)


@exports.host_function("close_refused_request")
def close_refused_request(ctx: HostContext, request_id) -> dict:
    """A designation was not approved and nothing else is possible: the request ends as rejected."""
    return flow.close_refused(ctx.session, flow.get_request(ctx.session, request_id), ctx.now)


@exports.host_function("tally_request")
def tally_request(ctx: HostContext, request_id) -> dict:
    """Kept for instances on assignment versions whose gateway reads tally["next"] (versions are immutable):
    the next step decided in Python. Current versions call count_staffing and decide in the BPMN."""
    return flow.tally(ctx.session, flow.get_request(ctx.session, request_id), ctx.now)


def active_delegation(session, scope: str, today: date) -> ApprovalDelegation | None:
    """The leader's authorization of the quality division in force for a scope today, if any."""
    return session.scalar(select(ApprovalDelegation).where(
        ApprovalDelegation.scope == scope, ApprovalDelegation.revoked_at.is_(None),
        ApprovalDelegation.valid_from <= today, ApprovalDelegation.valid_until >= today)
        .order_by(ApprovalDelegation.id.desc()).limit(1))


@exports.host_function("approval_route")
def approval_route(ctx: HostContext, request_id, scope) -> str:
    """Art 13 ¶2/¶3: "division" when a leader authorized the quality division for this scope, else "leader"."""
    request = flow.get_request(ctx.session, request_id)
    route = "division" if active_delegation(ctx.session, scope, local_date(ctx.now)) else "leader"
    if scope == "designation":
        flow.set_status(request, RequestStatus.APPROVING, ctx.now)
    elif scope == "cancellation":  # the request waits for the cancellations to be approved
        flow.set_status(request, RequestStatus.CANCELLING, ctx.now)
    notices.to_approvers(ctx.session, request, route, ROUTE_LABELS.get(scope, scope), ctx.now)
    return route


@exports.host_function("mark_staffed")
def mark_staffed(ctx: HostContext, request_id) -> list:
    """N confirmed (or the unit proceeds with fewer): release backups; returns engagements to record usage for."""
    return flow.staffed(ctx.session, flow.get_request(ctx.session, request_id), ctx.now)


@exports.host_function("complete_request")
def complete_request(ctx: HostContext, request_id) -> dict:
    """Every engaged expert's usage is recorded."""
    return flow.complete(ctx.session, flow.get_request(ctx.session, request_id), ctx.now)


@exports.host_function("withdraw_request")
def withdraw_request(ctx: HostContext, request_id) -> dict:
    """The unit withdrew the request: open engagements are released."""
    return flow.withdraw(ctx.session, flow.get_request(ctx.session, request_id), ctx.now)


@exports.host_function("designation_rejected")
def designation_rejected(ctx: HostContext, request_id) -> str:
    """Kept for instances on assignment versions whose gateway reads after_reject == "decide" (versions are
    immutable). Current versions count_staffing, decide in the BPMN, then refer_back_to_unit or
    close_refused_request."""
    request = flow.get_request(ctx.session, request_id)
    facts = flow.staffing(ctx.session, request)
    if facts["confirmed"] > 0 or facts["redraw_possible"] or request.method == "random":
        flow.refer_back(ctx.session, request, ctx.now)
        return "decide"
    flow.close_refused(ctx.session, request, ctx.now)
    return "end"
