"""Demo requests in flight for the assignment capability (the lead calls this from the demo seed).

Goes through the real services, so draws, inboxes, notifications and the audit chain are consistent:
a confirmed request awaiting usage records, a decline awaiting the leader, a designation awaiting
filing, and a request just drawn. Idempotent: does nothing once any request exists.
"""

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select

from engine.assignment import services
from engine.assignment.models import WorkRequest
from engine.core.clock import local_date
from engine.core.models import HumanTask
from engine.core.status import TaskState
from engine.experts.models import Expert, ExpertGroup, GroupMembership
from engine.experts.status import ExpertStatus
from engine.platform.models import User
from engine.tasks import services as task_service

PARTIES = ("福建闽光电线电缆有限公司，91350100MA3123456D\n福州某某电器有限公司")
CONFIRM = {"decision": "confirm", "no_conflict_pledge": "on"}


def _form(now: datetime, group: str, title: str, **overrides) -> dict:
    start = local_date(now) + timedelta(days=10)
    form = {"title": title, "work_type": "spot_check", "group_code": group, "n_experts": "2", "n_backups": "1",
            "backups_first": "on", "start_date": start.isoformat(), "end_date": (start + timedelta(days=2)).isoformat(),
            "place": "福州市鼓楼区", "parties": PARTIES, "method": "random", "response_hours": "48"}
    return form | overrides


def _biggest_group(session) -> str | None:
    return session.scalar(select(ExpertGroup.code).join(GroupMembership, GroupMembership.group_id == ExpertGroup.id)
                          .join(Expert, Expert.id == GroupMembership.expert_id).where(Expert.status == ExpertStatus.ACTIVE)
                          .group_by(ExpertGroup.code).order_by(func.count().desc()).limit(1))


def _answer_all(session, request: WorkRequest, values: dict, now: datetime) -> None:
    """Answer every open confirmation of a request as its assignee (the unit for experts without accounts)."""
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == request.instance_id,
                                                         HumanTask.bpmn_id == "confirm_availability",
                                                         HumanTask.state == TaskState.OPEN)).all():
        task_service.complete(session, task.id, session.get(User, task.assignee_id), values, {}, now)


def seed_assignment_demo(session, now: datetime, rng_seed: int = 20240705) -> list[int]:
    """Create the demo requests once; returns their ids."""
    if session.scalar(select(func.count()).select_from(WorkRequest)):
        return []
    users = {u.username: u for u in session.scalars(select(User).where(
        User.username.in_(("fzunit", "xmunit", "expert1", "talent", "leader"))))}
    group = _biggest_group(session)
    if group is None or not {"fzunit", "xmunit"} <= set(users):
        return []
    rng = random.Random(rng_seed)
    source = rng.randbytes  # reproducible demo seeds; production draws use os.urandom
    fz, xm = users["fzunit"], users["xmunit"]
    staffed = services.create_request(session, fz, _form(now, group, "2026年电线电缆产品省级监督抽查"), now, source)
    _answer_all(session, staffed, CONFIRM, now)
    declined = services.create_request(session, xm, _form(now, group, "电热水器质量安全风险监测评审", n_experts="1",
                                                          n_backups="0", place="厦门市思明区"), now, source)
    _answer_all(session, declined, {"decision": "decline", "decline_reason": "当周在外地参加标准审定会"}, now)
    fresh = services.create_request(session, fz, _form(now, group, "证后检查（小家电生产许可）", work_type="post_license",
                                                       n_experts="3", n_backups="1"), now, source)
    ids = [staffed.id, declined.id, fresh.id]
    expert1 = session.scalar(select(Expert).where(Expert.user_id == users.get("expert1", User(id=-1)).id))
    if expert1 is not None:
        # Later dates than the random requests, so that whether the draws above picked expert1 (their HMAC
        # ranking depends on database ids) never decides whether this request can be seeded.
        start = local_date(now) + timedelta(days=20)
        designated = services.create_request(session, xm, _form(
            now, group, "舆情处置专家咨询（紧急）", work_type="public_opinion", method="emergency",
            method_reason="网络舆情突发，需熟悉该产品抽检历史的专家当日到场研判", designated_experts=expert1.certificate_no,
            n_backups="0", start_date=start.isoformat(), end_date=start.isoformat()), now, source)
        ids.append(designated.id)
    return ids
