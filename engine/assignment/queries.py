"""Read side of the assignment capability: who may see what, request pages, lists, task context.

Sealing (Art 13): names of drawn experts are visible only to the requesting unit, talent_center, auditors
and the drawn experts themselves; the bureau leader and the quality division see the request with names
sealed, except the one expert an approval in front of them is about.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from engine.assignment import exclusions
from engine.assignment.access import access, get_request, own_engagement
from engine.assignment.draw_views import draw_summary
from engine.assignment.models import ApprovalDelegation, ExternalExpert, WorkRequest
from engine.core.errors import Forbidden, NotFound
from engine.core.inbox import visible_to
from engine.core.models import HumanTask
from engine.core.status import TaskState
from engine.experts.models import Engagement, Expert, ExpertGroup, UsageRecord
from engine.experts.status import EngagementStatus
from engine.platform import policy
from engine.platform.models import Unit

HISTORY_DAYS = 365


@dataclass
class EngagementView:
    """One engagement as shown to a viewer: name None and free-text notes hidden when sealed (Art 13)."""

    row: Engagement
    name: str | None
    unit: str | None
    usage: UsageRecord | None = None
    notes: bool = True  # decline / cancellation reasons and the usage comment may name or describe the expert


@dataclass
class RequestPage:
    """Everything the request page and the API show."""

    request: WorkRequest
    access: str
    unit_name: str
    engagements: list[EngagementView] = field(default_factory=list)
    draw: dict | None = None
    exclusions: list[dict] = field(default_factory=list)
    open_tasks: list[HumanTask] = field(default_factory=list)


def _names(session, rows: list[Engagement]) -> dict[int, tuple[str, str]]:
    pool = [r.expert_id for r in rows if r.expert_id]
    ext = [r.external_expert_id for r in rows if r.external_expert_id]
    names = {}
    if pool:
        found = dict((i, (n, u)) for i, n, u in session.execute(
            select(Expert.id, Expert.name, Expert.unit_name).where(Expert.id.in_(pool))))
        names.update({r.id: found[r.expert_id] for r in rows if r.expert_id})
    if ext:
        found = dict((i, (n + "（库外）", u)) for i, n, u in session.execute(
            select(ExternalExpert.id, ExternalExpert.name, ExternalExpert.unit).where(ExternalExpert.id.in_(ext))))
        names.update({r.id: found[r.external_expert_id] for r in rows if r.external_expert_id})
    return names


def engagement_views(session, request: WorkRequest, level: str, viewer) -> list[EngagementView]:
    """Engagements with names per access level (an expert sees only their own row)."""
    rows = list(session.scalars(select(Engagement).where(Engagement.request_id == request.id)
                                .order_by(Engagement.round, Engagement.rank, Engagement.id)))
    if level == "expert":
        mine = own_engagement(session, viewer, request.id)
        rows = [r for r in rows if mine is not None and r.id == mine.id]
    usage = {u.engagement_id: u for u in session.scalars(
        select(UsageRecord).where(UsageRecord.engagement_id.in_([r.id for r in rows])))} if rows else {}
    names = _names(session, rows) if level != "sealed" else {}
    return [EngagementView(r, *(names.get(r.id) or (None, None)), usage=usage.get(r.id), notes=level != "sealed")
            for r in rows]


def exclusion_rows(session, request: WorkRequest, level: str) -> list[dict]:
    """Stored exclusions with reasons (requester, talent_center and auditors only)."""
    if level != "full":
        return []
    rows = exclusions.of_request(session, request.id)
    names = expert_names(session, {x.expert_id for _, x in rows})
    return [{"round": round_no, "expert_id": x.expert_id, "name": names.get(x.expert_id), "code": x.code,
             "reason": x.reason, "article": x.article} for round_no, x in rows]


def expert_names(session, ids) -> dict[int, str]:
    """Expert id → name, in chunks that keep SQLite's IN lists under its parameter limit."""
    ids, names = sorted(ids), {}
    for i in range(0, len(ids), 900):
        names.update(session.execute(select(Expert.id, Expert.name).where(Expert.id.in_(ids[i:i + 900]))).all())
    return names


def viewer_tasks(session, viewer, request: WorkRequest) -> list[HumanTask]:
    """Open tasks of the request's instance the viewer may act on."""
    if request.instance_id is None:
        return []
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == request.instance_id, HumanTask.state == TaskState.OPEN, visible_to(viewer))
        .order_by(HumanTask.id)))


def request_page(session, viewer, request_id: int) -> RequestPage:
    """The request page for a viewer, sealed as their role requires."""
    request, level = get_request(session, viewer, request_id)
    unit = session.get(Unit, request.unit_id)
    return RequestPage(request=request, access=level, unit_name=unit.name if unit else "",
                       engagements=engagement_views(session, request, level, viewer),
                       draw=draw_summary(session, request, level), exclusions=exclusion_rows(session, request, level),
                       open_tasks=viewer_tasks(session, viewer, request))


def list_requests(session, viewer, status: str = "", limit: int = 200) -> list[WorkRequest]:
    """Requests the viewer may list: their unit's, or all for staff; newest first."""
    query = select(WorkRequest)
    if not policy.allows(viewer, policy.VIEW_ALL_REQUESTS):
        if not policy.allows(viewer, policy.VIEW_OWN_UNIT):
            return []
        query = query.where(WorkRequest.unit_id == viewer.unit_id)
    if status:
        query = query.where(WorkRequest.status == status)
    return list(session.scalars(query.order_by(WorkRequest.id.desc()).limit(limit)))


def confirmed_counts(session, request_ids: list[int]) -> dict[int, int]:
    """Confirmed or completed engagements per request (for lists)."""
    if not request_ids:
        return {}
    return dict(session.execute(select(Engagement.request_id, func.count()).where(
        Engagement.request_id.in_(request_ids), Engagement.status.in_((EngagementStatus.CONFIRMED, EngagementStatus.COMPLETED)))
        .group_by(Engagement.request_id)).all())


def my_engagements(session, viewer) -> list[tuple[Engagement, WorkRequest]]:
    """The viewer's own engagements as an expert, newest first."""
    return list(session.execute(select(Engagement, WorkRequest).join(Expert, Expert.id == Engagement.expert_id)
                                .join(WorkRequest, WorkRequest.id == Engagement.request_id)
                                .where(Expert.user_id == viewer.id).order_by(Engagement.id.desc())).all())


def confirm_deadlines(session, engagement_ids) -> dict[int, datetime]:
    """{engagement id: when its open confirmation task's no-answer timer fires}."""
    ids = list(engagement_ids)
    if not ids:
        return {}
    return dict(session.execute(select(HumanTask.item_id, HumanTask.due_at).where(
        HumanTask.bpmn_id == "confirm_availability", HumanTask.state == TaskState.OPEN,
        HumanTask.item_id.in_(ids), HumanTask.due_at.is_not(None))).all())


def engagement_page(session, viewer, engagement_id: int) -> tuple[Engagement, WorkRequest, HumanTask | None]:
    """An engagement with its request and the viewer's open confirmation task (expert or full viewers)."""
    row = session.get(Engagement, engagement_id)
    if row is None:
        raise NotFound("选派记录不存在")
    request = session.get(WorkRequest, row.request_id)
    level = access(session, viewer, request)
    mine = own_engagement(session, viewer, request.id)
    if level == "sealed" or (level == "expert" and (mine is None or mine.id != row.id)):
        raise Forbidden("您无权查看该选派记录")
    task = None
    for candidate in viewer_tasks(session, viewer, request):  # the row carries its item: no workflow is loaded
        if candidate.bpmn_id == "confirm_availability" and candidate.item_id == row.id:
            task = candidate
    return row, request, task


def designation_history(session, unit_id: int, now: datetime, exclude_id: int | None = None) -> list[WorkRequest]:
    """The unit's designated / external / emergency requests in the last year (shown to approvers)."""
    since = now - timedelta(days=HISTORY_DAYS)
    return list(session.scalars(select(WorkRequest).where(
        WorkRequest.unit_id == unit_id, WorkRequest.created_at >= since, WorkRequest.id != (exclude_id or 0),
        or_(WorkRequest.method != "random", WorkRequest.designation_method.is_not(None)))
        .order_by(WorkRequest.id.desc()).limit(20)))


# Steps whose inbox rows carry an engagement id as their multi-instance item (the BPMN's `itemKey`).
ENGAGEMENT_STEPS = frozenset({"confirm_availability", "record_usage", "leader_approve_cancellation",
                              "division_approve_cancellation"})


def request_facts(r: WorkRequest) -> dict:
    """A request's own facts as pages and the API show them (no drawn names: those are the engagements')."""
    return {
        "id": r.id, "title": r.title, "unit_id": r.unit_id, "work_type": r.work_type, "group_code": r.group_code,
        "n_experts": r.n_experts, "n_backups": r.n_backups, "backups_first": r.backups_first,
        "specialties": list(r.specialties or []), "region": r.region, "region_reason": r.region_reason,
        "start_date": r.start_date, "end_date": r.end_date, "place": r.place, "description": r.description,
        "method": r.method, "designation_method": r.designation_method, "method_reason": r.method_reason,
        "response_hours": r.response_hours, "status": r.status, "status_note": r.status_note,
        "instance_id": r.instance_id, "created_at": r.created_at,
        "parties": [{"name": p.name, "credit_code": p.credit_code} for p in r.parties]}


def _engagement_facts(row: Engagement) -> dict:
    return {"id": row.id, "status": row.status, "decline_reason": row.decline_reason,
            "decline_justified": row.decline_justified, "conflict_declared": row.conflict_declared,
            "cancel_reason": row.cancel_reason, "start_date": row.start_date, "end_date": row.end_date}


def task_context(session, task_row: HumanTask, viewer) -> dict:
    """What an assignment task is about: the request, the engagement, the unit's designation history.

    The approver sees the one expert the approval is about (not the other drawn names); designation
    approvals also show the unit's designations of the last year.
    """
    request = session.scalar(select(WorkRequest).where(WorkRequest.instance_id == task_row.instance_id))
    if request is None:
        return {}
    context = {"request": request_facts(request), "unit_name": (session.get(Unit, request.unit_id) or Unit(name="")).name,
               "engagement": None, "person": None, "history": None, "designated": [], "usage_from": None}
    if task_row.bpmn_id in ENGAGEMENT_STEPS and task_row.item_id is not None:
        row = session.get(Engagement, task_row.item_id)
        if row is not None:
            context["engagement"] = _engagement_facts(row)
            name, unit = _names(session, [row]).get(row.id, ("", ""))
            context["person"] = {"name": name, "unit": unit}
            if task_row.bpmn_id == "record_usage":  # Art 14: usage is reported once the work has ended
                context["usage_from"] = row.end_date
    if task_row.bpmn_id.endswith("_designation"):
        context["history"] = [_designation_facts(r) for r in designation_history(
            session, request.unit_id, task_row.created_at, request.id)]
        context["designated"] = _designated_people(session, request)
    return context


def _designation_facts(r: WorkRequest) -> dict:
    return {"id": r.id, "title": r.title, "method": r.method, "designation_method": r.designation_method,
            "method_reason": r.method_reason, "status": r.status, "created_at": r.created_at}


def _designated_people(session, request: WorkRequest) -> list[dict]:
    pool = [{"name": e.name, "unit": e.unit_name} for e in session.scalars(
        select(Expert).where(Expert.id.in_(request.designated_expert_ids or [])))]
    external = [{"name": f"{x.name}（库外）", "unit": f"{x.unit}，{x.contact}"} for x in session.scalars(
        select(ExternalExpert).where(ExternalExpert.request_id == request.id))]
    return pool + external


def usage_counts(session, expert_ids: list[int], year: int) -> dict[int, tuple[int, int]]:
    """(this year's, cumulative) completed engagements per expert, for the Art 14 evaluation form."""
    if not expert_ids:
        return {}
    rows = session.execute(select(Engagement.expert_id, Engagement.end_date).where(
        Engagement.expert_id.in_(expert_ids), Engagement.status == EngagementStatus.COMPLETED))
    counts: dict[int, list[int]] = {i: [0, 0] for i in expert_ids}
    for expert_id, end in rows:
        counts[expert_id][1] += 1
        counts[expert_id][0] += int(end.year == year)
    return {i: (a, b) for i, (a, b) in counts.items()}


def request_id_for_instance(session, instance_id: int) -> int | None:
    """The request an assignment instance runs for."""
    return session.scalar(select(WorkRequest.id).where(WorkRequest.instance_id == instance_id))


def delegations(session) -> list[ApprovalDelegation]:
    """Every authorization of the quality division, newest first."""
    return list(session.scalars(select(ApprovalDelegation).order_by(ApprovalDelegation.id.desc())))


def group_names(session) -> dict[str, str]:
    """Expert group code → name."""
    return dict(session.execute(select(ExpertGroup.code, ExpertGroup.name)).all())


def unjustified_refusals(session, expert_ids: list[int]) -> dict[int, int]:
    """Declines judged without justification per expert (Art 15(1) 无正当理由拒绝承接工作任务)."""
    if not expert_ids:
        return {}
    return dict(session.execute(select(Engagement.expert_id, func.count()).where(
        Engagement.expert_id.in_(expert_ids), Engagement.decline_justified.is_(False))
        .group_by(Engagement.expert_id)).all())



def engagements_of(session, expert_id: int) -> list[tuple]:
    """An expert's engagements, newest first: (engagement, request, unit name)."""
    return session.execute(
        select(Engagement, WorkRequest, Unit.name).join(WorkRequest, WorkRequest.id == Engagement.request_id)
        .join(Unit, Unit.id == WorkRequest.unit_id).where(Engagement.expert_id == expert_id)
        .order_by(Engagement.start_date.desc(), Engagement.id.desc()).limit(200)).all()
