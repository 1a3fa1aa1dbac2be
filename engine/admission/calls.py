"""Public calls (征集, Art 8(一)1) and applicants' view of their applications."""

from datetime import datetime

from sqlalchemy import func, select

from engine.admission.models import Application, PublicCall
from engine.core import audit
from engine.core.errors import Forbidden, ValidationFailed
from engine.core.models import HumanTask
from engine.core.status import TaskState
from engine.core.uow import unit_of_work
from engine.platform import policy


def create_call(session, actor, title: str, description: str, opens_at: datetime, closes_at: datetime,
                now: datetime) -> PublicCall:
    """talent_center publishes a call with an application window."""
    if not policy.allows(actor, policy.PUBLISH_CALL):
        raise Forbidden("只有人才开发中心可以发布征集公告")
    errors = {}
    if not (title or "").strip():
        errors["title"] = "请填写公告标题"
    if opens_at is None or closes_at is None or closes_at <= opens_at:
        errors["closes_at"] = "截止时间必须晚于开始时间"
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work(session):
        call = PublicCall(title=title.strip()[:200], description=(description or "").strip(), opens_at=opens_at,
                          closes_at=closes_at, created_by=actor.id, created_at=now)
        session.add(call)
        session.flush()
        audit.record(session, "call_created", actor, now, after={"call_id": call.id, "title": call.title})
    return call


def list_calls(session, open_at: datetime | None = None) -> list[PublicCall]:
    """All calls, newest first; only those open at `open_at` when given."""
    query = select(PublicCall).order_by(PublicCall.opens_at.desc())
    if open_at is not None:
        query = query.where(PublicCall.opens_at <= open_at, PublicCall.closes_at > open_at)
    return list(session.scalars(query))


def my_applications(session, user) -> list[tuple[Application, list[str]]]:
    """The user's applications (own, or entered by them) with the names of their current steps."""
    apps = session.scalars(select(Application).where(
        (Application.applicant_user_id == user.id) | (Application.entered_by == user.id))
        .order_by(Application.id.desc())).all()
    ids = [a.instance_id for a in apps if a.instance_id]
    steps: dict[int, list[str]] = {}
    for instance_id, name in session.execute(select(HumanTask.instance_id, HumanTask.name).where(
            HumanTask.instance_id.in_(ids), HumanTask.state == TaskState.OPEN)):
        steps.setdefault(instance_id, []).append(name)
    return [(a, steps.get(a.instance_id, [])) for a in apps]


def step_deadlines(session, instance_ids) -> dict[int, datetime]:
    """The earliest deadline among each instance's open tasks (承诺书 and review steps), where one is set."""
    ids = [i for i in instance_ids if i]
    if not ids:
        return {}
    return dict(session.execute(select(HumanTask.instance_id, func.min(HumanTask.due_at)).where(
        HumanTask.instance_id.in_(ids), HumanTask.state == TaskState.OPEN, HumanTask.due_at.is_not(None))
        .group_by(HumanTask.instance_id)).all())
