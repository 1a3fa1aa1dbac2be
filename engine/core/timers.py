"""Timers: find instances whose next timer is due, claim them, and step them (one commit each).

A lost race (another worker or a user got there first: 409, lock timeout, deadlock) is skipped, never
marked: the next tick sees the instance as that transaction left it. Any other failure rolls the step
back and becomes an incident (engine.core.incidents); instances with an open incident are not fired again
until the incident is retried.
"""

import logging
from datetime import datetime

from sqlalchemy import exists, select

from engine.core import incidents, runner
from engine.core.errors import Conflict, StepFailed
from engine.core.models import Incident, ProcessInstance
from engine.core.scripting import HostContext
from engine.core.status import InstanceStatus
from engine.core.uow import unit_of_work

log = logging.getLogger(__name__)


def _no_open_incident():
    return ~exists().where(Incident.instance_id == ProcessInstance.id, Incident.resolved_at.is_(None))


def fire_due(session, now: datetime, limit: int = 500) -> int:
    """Step every instance with a due timer at `now`; returns how many were stepped."""
    due_ids = list(session.scalars(
        select(ProcessInstance.id)
        .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_at < now, _no_open_incident())
        .order_by(ProcessInstance.next_timer_at).limit(limit)))
    session.rollback()
    return sum(1 for instance_id in due_ids if _fire_one(session, instance_id, now))


def _fire_one(session, instance_id: int, now: datetime) -> bool:
    try:
        with unit_of_work(session):
            instance = _claim_one(session, instance_id, now)
            if instance is None:
                return False
            ctx = HostContext(session=session, actor=None, now=now)
            runner.step_timers(session, instance, ctx)
            if instance.next_timer_at is not None and instance.next_timer_at < now:
                raise StepFailed("定时器已到期但未能触发（请检查定时器表达式）", kind="timer",
                                 instance_id=instance.id, process_key=instance.process_key, now=now)
        return True
    except Conflict:  # a lost race: someone else stepped or completed it; the next tick looks again
        log.info("timer for instance %s skipped: changed by another transaction", instance_id)
        return False
    except StepFailed as exc:  # rolled back; unit_of_work recorded the incident
        log.warning("timer step failed for instance %s: incident %s", instance_id, exc.incident_id)
        return False
    except Exception as exc:  # anything else (e.g. state that cannot be restored): rolled back, recorded
        log.exception("timer step failed for instance %s", instance_id)
        _record_unexpected(session, instance_id, exc, now)
        return False


def _record_unexpected(session, instance_id: int, exc: Exception, now: datetime) -> None:
    session.rollback()
    instance = session.get(ProcessInstance, instance_id)
    element_id, element_name, message = incidents.describe(exc)
    incidents.record(session, StepFailed(
        f"定时器步骤执行失败：{message}", kind="timer", instance_id=instance_id,
        process_key=getattr(instance, "process_key", None), element_id=element_id,
        element_name=element_name, now=now), "timer")


def _claim_one(session, instance_id: int, now: datetime) -> ProcessInstance | None:
    # Locked (skip when another worker holds it) and re-checked after the lock: an instance another
    # transaction completed or stepped meanwhile is left alone. SpiffWorkflow fires a timer only once
    # its deadline is strictly in the past: claim the same way.
    instance = runner.lock_instance(session, instance_id, skip_locked=True)
    if instance is None or instance.status != InstanceStatus.RUNNING:
        return None
    if instance.next_timer_at is None or not instance.next_timer_at < now:
        return None
    if incidents.open_incident_for(session, instance_id) is not None:
        return None
    return instance
