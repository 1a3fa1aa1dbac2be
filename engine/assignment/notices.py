"""Who is told what during an assignment (in-app + e-mail through engine.platform.notifications, same transaction)."""

from datetime import datetime

from sqlalchemy import select

from engine.assignment.models import ExternalExpert, WorkRequest
from engine.experts.models import Engagement, Expert
from engine.platform import policy
from engine.platform.notifications import notify
from engine.platform.roles import users_with_role
from engine.platform.settings import LOCAL_TZ


def request_link(request: WorkRequest) -> str:
    """The request page (relative URL, prefixed with EXPERTPOOL_BASE_URL in mails)."""
    return f"/assignment/requests/{request.id}"


def engagement_link(engagement: Engagement) -> str:
    """The engagement page an expert confirms from."""
    return f"/assignment/engagements/{engagement.id}"


def _when(request: WorkRequest) -> str:
    return f"{request.start_date:%Y-%m-%d} 至 {request.end_date:%Y-%m-%d}，{request.place}"


def person_name(session, engagement: Engagement) -> str:
    """Display name of the engaged pool or external expert."""
    if engagement.expert_id is not None:
        return session.get(Expert, engagement.expert_id).name
    return session.get(ExternalExpert, engagement.external_expert_id).name + "（库外）"


def asked(session, request: WorkRequest, engagement: Engagement, user_id: int, hours: int, now: datetime) -> None:
    """Tell a drawn expert (or the unit confirming for an expert without an account) to answer."""
    deadline = now.timestamp() + hours * 3600
    due = datetime.fromtimestamp(deadline, LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    notify(session, [user_id], f"【专家选派】请确认是否参加：{request.title}",
           f"您被选派参加“{request.title}”（{_when(request)}）。请在 {due} 前确认能否参加，并声明与当事方"
           f"不存在利害关系（第十一条第（五）项）；逾期未答复视为拒绝。", now, link=engagement_link(engagement))


def to_unit(session, request: WorkRequest, subject: str, body: str, now: datetime) -> None:
    """Tell the requesting user about their request."""
    notify(session, [request.requested_by], f"【用人申请】{subject}", body, now, link=request_link(request))


def to_approvers(session, request: WorkRequest, route: str, what: str, now: datetime) -> None:
    """Tell the approvers (bureau leaders, or the authorized quality division) an approval waits."""
    role = policy.QUALITY_DIVISION if route == "division" else policy.BUREAU_LEADER
    notify(session, users_with_role(session, role), f"【待审批】{what}：{request.title}",
           f"使用单位申请“{request.title}”有待审批事项：{what}。请在待办中办理。", now, link="/tasks")


def to_filing(session, request: WorkRequest, now: datetime) -> None:
    """Tell talent_center a designation waits to be filed (备案)."""
    notify(session, users_with_role(session, policy.TALENT_CENTER), f"【待备案】指定/库外/紧急选派：{request.title}",
           f"“{request.title}”申请以指定方式选派专家，请审阅书面说明并备案。", now, link="/tasks")


def to_expert(session, engagement: Engagement, request: WorkRequest, subject: str, body: str,
              now: datetime) -> None:
    """Tell a pool expert (with an account) about their engagement."""
    if engagement.expert_id is None:
        return
    user_id = session.scalar(select(Expert.user_id).where(Expert.id == engagement.expert_id))
    if user_id is not None:
        notify(session, [user_id], f"【专家选派】{subject}", body, now, link=engagement_link(engagement))
