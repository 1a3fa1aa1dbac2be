"""Process instances for the UI/API: start (generic), view with event history, authorization."""

from sqlalchemy import exists, or_, select

from engine.core import hooks
from engine.core.errors import Forbidden, NotFound
from engine.core.models import AuditEvent, HumanTask, ProcessInstance
from engine.platform import policy


def can_view_instance(session, viewer, instance: ProcessInstance) -> bool:
    """Oversight roles see all; others see instances they started, hold a task in, or of their unit; nobody sees
    an instance whose process seals steps from them (the history shows every step's data)."""
    if hooks.sealed_steps(session, viewer, instance):
        return False
    if policy.allows(viewer, policy.VIEW_INSTANCES) or instance.started_by == viewer.id:
        return True
    own_unit = instance.unit_id is not None and instance.unit_id == viewer.unit_id
    if own_unit and policy.allows(viewer, policy.VIEW_OWN_UNIT):
        return True
    involved = select(HumanTask.id).where(
        HumanTask.instance_id == instance.id,
        or_(HumanTask.assignee_id == viewer.id, HumanTask.completed_by == viewer.id))
    return bool(session.scalar(select(exists(involved)))) or hooks.may_view_instance(session, viewer, instance)


def get_instance(session, viewer, instance_id: int) -> ProcessInstance:
    """An instance the viewer may see (404 unknown, 403 not theirs)."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("流程实例不存在")
    if not can_view_instance(session, viewer, instance):
        raise Forbidden("您无权查看该流程")
    return instance


def instance_events(session, instance_id: int) -> list[AuditEvent]:
    """The instance's audit events, oldest first."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)))


def instance_tasks(session, instance_id: int) -> list[HumanTask]:
    """All inbox rows of an instance (open, done, cancelled)."""
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)))


def list_instances(session, viewer, process_key: str | None = None, status: str | None = None, limit: int = 200):
    """Recent instances for oversight roles."""
    if not policy.allows(viewer, policy.VIEW_INSTANCES):
        raise Forbidden("您无权查看流程列表")
    query = select(ProcessInstance).order_by(ProcessInstance.id.desc()).limit(limit)
    if process_key:
        query = query.where(ProcessInstance.process_key == process_key)
    if status:
        query = query.where(ProcessInstance.status == status)
    return list(session.scalars(query))
