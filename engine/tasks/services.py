"""Task services (units of work): show, claim, unclaim, complete; bulk work is engine.tasks.bulk."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from engine.core import audit, hooks, inbox, runner
from engine.core.errors import Conflict, Forbidden, NotFound
from engine.core.forms import task_form
from engine.core.hooks import FORM_HOOKS
from engine.core.models import AuditEvent, HumanTask, ProcessInstance
from engine.core.scripting import HostContext
from engine.core.status import TaskState
from engine.core.uow import unit_of_work
from engine.experts.models import ExpertGroup
from engine.platform.attachments import validate_with_uploads


def dynamic_choices(session, form: dict | None = None) -> dict[str, list]:
    """Choices forms may draw from (`choices_from`): the active expert groups (only queried when used)."""
    if form is not None and not any("choices_from" in f for f in form["fields"]):
        return {}
    groups = session.execute(
        select(ExpertGroup.code, ExpertGroup.name).where(ExpertGroup.active).order_by(ExpertGroup.sort_order)
    ).all()
    return {"groups": [list(g) for g in groups]}


def get_task(session, task_id: int, actor) -> HumanTask:
    """Load a task the actor may act on: 404 when unknown, 403 when not theirs."""
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound("任务不存在")
    if not inbox.can_act(actor, task):
        raise Forbidden("您无权办理该任务")
    return task


def task_history(session, instance_id: int, viewer=None) -> list[AuditEvent]:
    """Completed user tasks of an instance, oldest first (for earlier steps' comments), without the steps its
    process seals from the viewer."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id, AuditEvent.action == "task_completed")
        .order_by(AuditEvent.id))
    sealed = hooks.sealed_steps(session, viewer, session.get(ProcessInstance, instance_id))
    return [e for e in events if e.bpmn_id not in sealed]


def _open_task(session, task_id: int, actor, free_or_mine: bool = True) -> HumanTask:
    """An open task the actor may act on; 409 when done or (optionally) claimed by someone else.

    Its instance row is locked first (one lock order: instance row, then whatever the form hook and the
    engine step write), and the task is re-read after any wait, so a timer that got there first wins
    cleanly instead of deadlocking on a business row the hook already changed.
    """
    instance = runner.lock_instance_of_task(session, task_id)
    task = session.get(HumanTask, task_id, populate_existing=True)  # read after the lock: current
    if task is None:
        raise NotFound("任务不存在")
    set_committed_value(task, "instance", instance)  # the row just locked, not loaded again through the relationship
    if not inbox.can_act(actor, task):
        raise Forbidden("您无权办理该任务")
    if task.state != TaskState.OPEN:
        raise Conflict("该任务已办理，不能重复提交")
    if free_or_mine and task.claimed_by not in (None, actor.id):
        raise Conflict("该任务已被他人认领")
    return task


def claim(session, task_id: int, actor, now: datetime) -> HumanTask:
    """Claim an open task so others in the role see it is being handled (exactly one claimer wins)."""
    with unit_of_work(session):
        task = _open_task(session, task_id, actor)
        if task.claimed_by == actor.id:
            return task
        # A conditional update, not read-then-write: of two concurrent claims only one matches the row.
        won = session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.state == TaskState.OPEN, HumanTask.claimed_by.is_(None))
            .values(claimed_by=actor.id, claimed_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            raise Conflict("该任务已被他人认领")
        session.refresh(task)
        audit.record(session, "task_claimed", actor, now, instance=task.instance, task=task)
    return task


def unclaim(session, task_id: int, actor, now: datetime) -> HumanTask:
    """Release a claim (only the claimer may)."""
    with unit_of_work(session):
        task = _open_task(session, task_id, actor, free_or_mine=False)
        released = session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.state == TaskState.OPEN, HumanTask.claimed_by == actor.id)
            .values(claimed_by=None, claimed_at=None).execution_options(synchronize_session=False)
        ).rowcount
        if released != 1:
            raise Conflict("您没有认领该任务")
        session.refresh(task)
        audit.record(session, "task_unclaimed", actor, now, instance=task.instance, task=task)
    return task


def complete(session, task_id: int, actor, raw: dict, files: dict, now: datetime,
             expected_lock: int | None = None) -> HumanTask:
    """Validate the task's form, store uploads, run the form hook, complete and step the engine."""
    with unit_of_work(session):
        task = _open_task(session, task_id, actor)
        form = task_form(session, task)
        cleaned, _ = validate_with_uploads(session, form, raw, files, actor, now, dynamic_choices(session, form))
        ctx = HostContext(session=session, actor=actor, now=now)
        hook = FORM_HOOKS.get(task.form_key)
        if hook is not None:
            cleaned = hook(ctx, task, cleaned)
        runner.complete(session, task, ctx, cleaned, expected_lock)
    return task


@dataclass
class BulkResult:
    """Outcome of one item of a bulk action, named by its subject and step (empty when the actor may not know it)."""

    task_id: int
    ok: bool
    message: str
    subject: str = ""
    step: str = ""
