"""Helpers for the yearly tests (no tests here): experts with posts, engagements with usage records, tasks."""

from datetime import UTC, date, datetime, timedelta
from itertools import count

from sqlalchemy import select

from engine.assignment.models import WorkRequest
from engine.core.models import HumanTask
from engine.experts.models import Engagement, Expert, ExpertGroup, GroupMembership, UsageRecord
from engine.platform.models import Unit
from engine.tasks import services as task_service
from tests.support import make_user

DEC1 = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 2026-12-01 00:00 Asia/Shanghai
_serial = count(1)


def make_expert(session, name: str = "陈志明", *, user=None, groups=("supervision_sampling",), position="member",
                birth: date = date(1975, 6, 18), term_start: date = date(2025, 3, 10), term_end: date | None = None,
                status: str = "active", unit_name: str = "福建省产品质量检验研究院") -> Expert:
    """An admitted expert in the given groups (with one post), optionally linked to a user account."""
    n = next(_serial)
    expert = Expert(
        name=name, gender="male", birth_date=birth, phone=f"1380591{n:04d}", email=f"e{n}@example.test",
        id_number=f"35010219750618{n:04d}", unit_name=unit_name, position="室主任", rank_level="none",
        title="高级工程师", title_level="vice_senior", field_years=12, work_history="质量检验", specialties="家用电器",
        work_areas=["sampling"], status=status, term_start=term_start,
        term_end=term_end or term_start.replace(year=term_start.year + 3) - timedelta(days=1),
        certificate_no=f"闽质安专聘〔{term_start.year}〕9{n:03d}号", admission_doc_no="闽市监函〔2025〕1号",
        user_id=user.id if user else None, created_at=datetime(2025, 3, 10, tzinfo=UTC))
    group_ids = dict(session.execute(select(ExpertGroup.code, ExpertGroup.id)).all())
    expert.memberships = [GroupMembership(group_id=group_ids[g], position=position if i == 0 else "member")
                          for i, g in enumerate(groups)]
    session.add(expert)
    session.commit()
    return expert


def expert_user(session, username: str, *roles: str):
    """A user account for an expert (role expert plus any others)."""
    return make_user(session, username, "expert", *roles, name=username)


def make_request(session, requester, start: date, title: str = "家用电器监督抽查方案评审") -> WorkRequest:
    """A using unit's work request (Fuzhou) on one day."""
    unit = session.scalar(select(Unit).where(Unit.code == "fuzhou"))
    request = WorkRequest(unit_id=unit.id, requested_by=requester.id, title=title, work_type="spot_check",
                          group_code="supervision_sampling", n_experts=1, start_date=start, end_date=start,
                          place="福州", status="completed", created_at=datetime(start.year, 1, 1, tzinfo=UTC))
    session.add(request)
    session.flush()
    return request


def make_engagement(session, expert: Expert, requester, start: date, status: str = "completed", *,
                    justified: bool | None = None, usage: dict | None = None, title: str | None = None) -> Engagement:
    """An engagement of the expert (and the unit's usage record when given)."""
    request = make_request(session, requester, start, title or "家用电器监督抽查方案评审")
    ended = datetime(start.year, start.month, start.day, 4, tzinfo=UTC)
    engagement = Engagement(request_id=request.id, expert_id=expert.id, status=status, start_date=start,
                            end_date=start, decline_justified=justified,
                            decline_reason="时间冲突" if status == "declined" else None, ended_at=ended,
                            created_at=ended - timedelta(days=1))
    session.add(engagement)
    session.flush()
    if usage is not None:
        session.add(UsageRecord(engagement_id=engagement.id, recorded_by=requester.id, recorded_at=ended,
                                **({"completion": "completed", "professional_level": "excellent",
                                    "attitude": "good", "commitment_compliance": "complied", "comment": ""} | usage)))
    session.commit()
    return engagement


def open_tasks(session, instance_id: int) -> list[HumanTask]:
    """Open inbox rows of an instance."""
    session.expire_all()
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.state == "open").order_by(HumanTask.id)))


def the_task(session, instance_id: int, step: str | None = None) -> HumanTask:
    """The single open task of an instance (asserting its step)."""
    rows = open_tasks(session, instance_id)
    assert len(rows) == 1, [r.bpmn_id for r in rows]
    if step:
        assert rows[0].bpmn_id == step, rows[0].bpmn_id
    return rows[0]


def act(session, instance_id: int, actor, values: dict, step: str | None = None, now=DEC1, files=None):
    """Complete the open task of an instance through the task service."""
    task = the_task(session, instance_id, step)
    task_service.complete(session, task.id, actor, values, files or {}, now)
    return task
