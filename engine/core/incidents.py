"""Incidents (as in Camunda Cockpit): a failed automatic step, recorded after its unit of work rolled back.

A service task, script, condition or timer step that raises for any reason other than a lost race turns
into `StepFailed` (engine.core.runner); the unit of work rolls the step back, then records the incident here
in a transaction of its own. Nothing else of the instance changes. While an incident is open the timer
runner skips the instance; `retry` steps it again once the cause is fixed (e.g. a new version migrated).
"""

from datetime import datetime

from sqlalchemy import select

from engine.core import audit
from engine.core.db import begin_write
from engine.core.errors import Conflict, NotFound, StepFailed
from engine.core.models import Incident, ProcessInstance
from engine.core.status import InstanceStatus

MAX_MESSAGE = 2000


def describe(exc: BaseException, element=None) -> tuple[str | None, str | None, str]:
    """(element id, element name, message) of a failure; the element from the exception or the caller."""
    spec = getattr(exc, "task_spec", None) or getattr(getattr(exc, "task", None), "task_spec", None) or element
    element_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    element_name = getattr(spec, "bpmn_name", None)
    message = f"{type(exc).__name__}: {exc}"[:MAX_MESSAGE]
    return element_id, element_name, message


def open_incident_for(session, instance_id: int | None) -> Incident | None:
    """The open incident of an instance, if any."""
    if instance_id is None:
        return None
    return session.scalar(select(Incident).where(
        Incident.instance_id == instance_id, Incident.resolved_at.is_(None)).order_by(Incident.id.desc()).limit(1))


def record(session, failure: StepFailed, kind: str) -> Incident:
    """Record (or count again) the incident of a failed step in its own transaction; commits.

    The caller has rolled back the failed unit of work. An open incident of the same instance and
    element counts one more attempt instead of piling up rows.
    """
    now, actor = failure.now, failure.actor
    begin_write(session)
    incident = open_incident_for(session, failure.instance_id)
    if incident is not None and incident.element_id == failure.element_id:
        incident.attempts += 1
        incident.message, incident.at = failure.message[:MAX_MESSAGE], now
    else:
        incident = Incident(
            instance_id=failure.instance_id, process_key=failure.process_key or "", kind=kind,
            element_id=failure.element_id, element_name=failure.element_name,
            message=failure.message[:MAX_MESSAGE], actor_id=getattr(actor, "id", None), at=now, attempts=1)
        session.add(incident)
    instance = session.get(ProcessInstance, failure.instance_id) if failure.instance_id else None
    session.flush()
    audit.record(session, "incident_opened", actor, now, instance=instance, after={
        "incident": incident.id, "element": failure.element_id, "message": incident.message[:300],
        "attempts": incident.attempts})
    session.commit()
    return incident


def list_incidents(session, open_only: bool = True, limit: int = 200) -> list[Incident]:
    """Incidents, newest first (open ones only by default)."""
    query = select(Incident).order_by(Incident.id.desc()).limit(limit)
    if open_only:
        query = query.where(Incident.resolved_at.is_(None))
    return list(session.scalars(query))


def retry(session, incident_id: int, actor, now: datetime) -> Incident:
    """Step the incident's instance again (timers, then engine steps); resolved when it gets through.

    Runs as one unit of work; if the step fails again, that attempt is recorded on the incident and
    StepFailed is raised (the web layer shows it).
    """
    from engine.core import runner
    from engine.core.scripting import HostContext
    from engine.core.uow import unit_of_work

    with unit_of_work(session):
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound("故障记录不存在")
        if incident.resolved_at is not None:
            raise Conflict("该故障已处理")
        instance = runner.lock_instance(session, incident.instance_id) if incident.instance_id else None
        resolution = "已重试并继续执行"
        if instance is not None and instance.status == InstanceStatus.RUNNING:
            runner.step_timers(session, instance, HostContext(session=session, actor=actor, now=now), force=True)
        else:
            resolution = "流程已不在运行，标记为已处理"
        incident.resolved_at, incident.resolved_by, incident.resolution = now, actor.id, resolution
        audit.record(session, "incident_resolved", actor, now, instance=instance,
                     after={"incident": incident.id, "resolution": resolution})
    return incident
