"""Engine glue of the assignment process: open inbox rows of a step, system completions, change messages.

No commits: callers are units of work (services) that commit once.
"""

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from sqlalchemy import select
from sqlalchemy.orm import undefer

from engine.core import audit, runner
from engine.core.errors import NotFound
from engine.core.models import HumanTask, ProcessInstance
from engine.core.scripting import HostContext
from engine.core.status import InstanceStatus, TaskState

CHANGE_MESSAGE = "assignment_changed"  # caught by the boundary event of the work phase


def _instance(session, instance_id: int, lock: bool = False):
    instance = (runner.lock_instance(session, instance_id) if lock else
                session.get(ProcessInstance, instance_id, options=[undefer(ProcessInstance.serialized)]))
    if instance is None:
        raise NotFound("流程实例不存在")
    return instance


def open_tasks(session, instance_id: int, bpmn_id: str, item_id: int | None = None) -> list[HumanTask]:
    """Open inbox rows of one step of an instance; with `item_id`, only those about that item (an SQL read
    of the row's item id: the workflow is never loaded to find a multi-instance task's item)."""
    query = select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == TaskState.OPEN)
    if item_id is not None:
        query = query.where(HumanTask.item_id == item_id)
    return list(session.scalars(query.order_by(HumanTask.id)))


class SystemActor:
    """Stands in for "no user" when the process itself completes a task (the runner records actor.id)."""

    id = None
    display_name = "系统"


def complete_as_system(session, task_row: HumanTask, ctx: HostContext, values: dict) -> None:
    """Complete an open task on behalf of the process (e.g. the expert was released by an exit)."""
    actor = ctx.actor if ctx.actor is not None else SystemActor()
    runner.complete(session, task_row, HostContext(session, actor, ctx.now, rng=ctx.rng), values)


def send_change(session, instance_id: int, ctx: HostContext, reason: str) -> bool:
    """Deliver the change message; True when the instance was waiting for it (in the work phase)."""
    instance = _instance(session, instance_id, lock=True)
    if instance.status != InstanceStatus.RUNNING:
        return False
    workflow = runner.load(session, instance, ctx)
    was_ready = runner.ready_guids(workflow)
    try:
        workflow.send_event(BpmnEvent(MessageEventDefinition(CHANGE_MESSAGE), {"reason": reason}))
    except WorkflowException:  # not in the work phase: the next tally sees the change anyway
        return False
    steps = runner._advance(workflow, ctx)  # the runner's own step (timers first), so audit rows look alike
    finished = runner.save(session, instance, workflow, ctx, was_ready)
    audit.record(session, "message_received", ctx.actor, ctx.now, instance=instance,
                 after={"message": CHANGE_MESSAGE, "reason": reason, "steps": steps})
    if finished:
        audit.record(session, "instance_completed", ctx.actor, ctx.now, instance=instance,
                     after={"end_event": instance.end_event})
    return True
