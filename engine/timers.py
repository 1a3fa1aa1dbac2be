"""Timers: find instances whose next timer is due, claim them, and step them (one commit each)."""

import logging
from datetime import datetime

from sqlalchemy import select

from engine import runner
from engine.models import ProcessInstance
from engine.scripting import HostContext
from engine.services.uow import unit_of_work

log = logging.getLogger(__name__)


def fire_due(session, now: datetime, limit: int = 500) -> int:
    """Step every instance with a due timer at `now`; returns how many were stepped."""
    due_ids = list(session.scalars(
        select(ProcessInstance.id)
        .where(ProcessInstance.status == "running", ProcessInstance.next_timer_at < now)
        .order_by(ProcessInstance.next_timer_at).limit(limit)))
    session.rollback()
    return sum(1 for instance_id in due_ids if _fire_one(session, instance_id, now))


def _fire_one(session, instance_id: int, now: datetime) -> bool:
    try:
        with unit_of_work(session):
            instance = _claim_one(session, instance_id, now)
            if instance is None:
                return False
            runner.step_timers(session, instance, HostContext(session=session, actor=None, now=now))
            if instance.next_timer_at is not None and instance.next_timer_at < now:
                instance.next_timer_at = None  # a timer that cannot fire must not spin forever
        return True
    except Exception:  # one broken instance must not stop the others; it is logged and marked
        log.exception("timer step failed for instance %s", instance_id)
        with unit_of_work(session):
            instance = session.get(ProcessInstance, instance_id)
            instance.status, instance.error, instance.next_timer_at = "error", "定时器执行失败", None
        return False


def _claim_one(session, instance_id: int, now: datetime) -> ProcessInstance | None:
    # SpiffWorkflow fires a timer only once its deadline is strictly in the past: claim the same way.
    query = select(ProcessInstance).where(
        ProcessInstance.id == instance_id, ProcessInstance.status == "running", ProcessInstance.next_timer_at < now)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ProcessInstance)
    return session.scalars(query).first()
