"""Instance store and runner: start, load, step, save (state + inbox + audit). No commits here:
the service layer composes these into units of work and commits once."""

from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.util.task import TaskState as SpiffTaskState
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import undefer

from engine.core import audit, inbox, incidents
from engine.core.clock import frozen_at
from engine.core.db import transaction_cache
from engine.core.errors import Conflict, NotFound, ServiceError, StepFailed
from engine.core.models import HumanTask, ProcessInstance
from engine.core.registry import latest_version
from engine.core.scripting import HostContext, HostScriptEngine
from engine.core.spiff import dump_workflow, load_workflow, new_workflow, spec_cache
from engine.core.status import InstanceStatus, TaskState

TIMER_EVENTS = ("DurationTimerEventDefinition", "TimeDateEventDefinition", "CycleTimerEventDefinition")
AUDITED_STEPS = ("ServiceTask", "BusinessRuleTask", "BoundaryEvent", "EndEvent")


def _step_record(task) -> dict:
    spec = task.task_spec
    result_var = getattr(spec, "result_variable", None)
    record = {"task_guid": str(task.id), "bpmn_id": spec.bpmn_id, "name": spec.bpmn_name or spec.bpmn_id}
    if result_var:
        record["result"] = {result_var: task.data.get(result_var)}
    return record


def _failure(exc: Exception, ctx: HostContext, kind: str, element=None) -> StepFailed:
    """A StepFailed naming the element, for an automatic step that raised (not a lost race)."""
    element_id, element_name, message = incidents.describe(exc, element)
    instance = ctx.instance
    where = f"「{element_name or element_id}」" if element_id else ""
    return StepFailed(
        f"流程自动步骤{where}执行失败：{message}", kind=kind,
        instance_id=None if kind == "start" else getattr(instance, "id", None),
        process_key=getattr(instance, "process_key", None), element_id=element_id, element_name=element_name,
        actor=ctx.actor, now=ctx.now)


@contextmanager
def automatic_step(ctx: HostContext, kind: str, current: list | None = None):
    """Turn an unexpected failure inside engine code into StepFailed (an incident); business errors
    (ServiceError) and lost races pass through unchanged."""
    try:
        yield
    except (ServiceError, SQLAlchemyError):
        raise
    except Exception as exc:
        raise _failure(exc, ctx, kind, current[-1] if current else None) from exc


def _advance(workflow, ctx: HostContext, kind: str = "task") -> list[dict]:
    """Fire due timers, then run engine steps (3.2.0: refresh_timers before do_engine_steps).

    Returns the automatic steps worth auditing (service/rule tasks, events) with their results; they are
    recorded inside the event of the action that caused them, so one action is one audit row.
    """
    steps, current = [], []

    def did_complete(task):
        kind = type(task.task_spec).__name__
        if any(kind.endswith(k) for k in AUDITED_STEPS) or isinstance(task.task_spec, CatchingEvent):
            steps.append(_step_record(task))

    with automatic_step(ctx, kind, current), frozen_at(ctx.now):
        workflow.refresh_timers()
        workflow.do_engine_steps(will_complete_task=lambda t: current.append(t.task_spec),
                                 did_complete_task=did_complete)
    return steps


def next_timer_at(workflow) -> datetime | None:
    """The earliest pending timer of the workflow, from waiting_events()."""
    due = [
        TimerEventDefinition.get_datetime(ev.value)
        for ev in workflow.waiting_events()
        if ev.event_type in TIMER_EVENTS and isinstance(ev.value, str)
    ]
    return min(due) if due else None


def _end_event_name(workflow) -> str | None:
    # Only the top-level process's end events (subprocesses have their own).
    ends = [t for t in workflow.get_tasks(state=SpiffTaskState.COMPLETED, spec_class=EndEvent) if t.workflow is workflow]
    return (ends[-1].task_spec.bpmn_name or ends[-1].task_spec.bpmn_id) if ends else None


def ready_guids(workflow) -> set[str]:
    """Ids of the READY user tasks: by invariant, exactly the instance's open inbox rows."""
    return {str(t.id) for t in workflow.get_tasks(state=SpiffTaskState.READY, manual=True)}


MARKED_STATES = (("active", SpiffTaskState.READY | SpiffTaskState.STARTED), ("waiting", SpiffTaskState.WAITING),
                 ("completed", SpiffTaskState.COMPLETED))


def element_marks(workflow) -> dict[str, list[str]]:
    """BPMN ids of the completed, active (ready/started) and waiting elements, subprocesses included: what the
    instance diagram shows, saved with every step so that page reads a row, not the workflow."""
    marks: dict[str, set[str]] = {name: set() for name, _ in MARKED_STATES}
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        state = next((name for name, mask in MARKED_STATES if task.state & mask), None)
        if bpmn_id and state:
            marks[state].add(bpmn_id)
    marks["completed"] -= marks["active"] | marks["waiting"]  # a loop's earlier pass is not where it stands
    return {name: sorted(ids) for name, ids in marks.items()}


def save(session, instance: ProcessInstance, workflow, ctx: HostContext, was_ready: set[str]) -> bool:
    """Persist state, timer, status and inbox rows for this step (no flush, no commit).

    Returns True when this step completed the instance.
    """
    finished = False
    instance.serialized = dump_workflow(workflow)
    instance.updated_at = ctx.now
    instance.next_timer_at = next_timer_at(workflow)
    instance.element_marks = element_marks(workflow)
    if workflow.completed and instance.status == InstanceStatus.RUNNING:
        instance.status = InstanceStatus.COMPLETED
        instance.completed_at = ctx.now
        instance.end_event = _end_event_name(workflow)
        finished = True
    inbox.sync(session, instance, workflow, instance.version.lane_roles or {}, ctx.now, was_ready)
    return finished


def _record(session, ctx: HostContext, instance, action: str, finished: bool, **fields) -> None:
    """The action's audit event (with the automatic steps it caused), then the completion if any."""
    audit.record(session, action, ctx.actor, ctx.now, instance=instance, **fields)
    if finished:
        audit.record(session, "instance_completed", ctx.actor, ctx.now, instance=instance,
                     after={"end_event": instance.end_event})


def start(session, process_key: str, ctx: HostContext, data: dict, *, subject: str,
          business_key: str | None = None, unit_id: int | None = None) -> ProcessInstance:
    """Create an instance on the latest version, seed its data and run it to the first wait state."""
    version = latest_version(session, process_key)
    instance = ProcessInstance(
        version=version, version_id=version.id, process_key=process_key, subject=subject[:200],
        business_key=business_key, unit_id=unit_id, serialized="{}", started_by=getattr(ctx.actor, "id", None),
        started_at=ctx.now, updated_at=ctx.now, status=InstanceStatus.RUNNING,
    )
    session.add(instance)
    session.flush()
    ctx.instance = instance
    workflow = new_workflow(spec_cache.get(version), HostScriptEngine(ctx))
    for task in workflow.get_tasks(state=SpiffTaskState.READY):
        task.data.update(data)
    steps = _advance(workflow, ctx, kind="start")
    finished = save(session, instance, workflow, ctx, set())
    _record(session, ctx, instance, "instance_started", finished, after={"data": data, "steps": steps})
    return instance


def lock_instance(session, instance_id: int, *, skip_locked: bool = False) -> ProcessInstance | None:
    """Load an instance with its state, its row locked first (one lock order: instance row, then the rest).

    PostgreSQL: `FOR NO KEY UPDATE` (it does not block foreign-key checks of rows that reference the
    instance, e.g. audit events), so a timer and a user completing a task queue instead of deadlocking;
    the row is re-read after the wait. SQLite: the unit of work already holds the database write lock.
    Returns None when the row is gone (or locked, with skip_locked). Locking it again in the same transaction
    returns the row already read: nobody else can have changed it since.
    """
    locked = transaction_cache(session, "locked_instances")
    if instance_id in locked:
        return locked[instance_id]
    return _locked(session, ProcessInstance.id == instance_id, skip_locked)


def lock_instance_of_task(session, task_id: int) -> ProcessInstance | None:
    """lock_instance for the instance a human task belongs to, found by the task's id in the same statement."""
    owner = select(HumanTask.instance_id).where(HumanTask.id == task_id).scalar_subquery()
    return _locked(session, ProcessInstance.id == owner, False)


def _locked(session, condition, skip_locked: bool) -> ProcessInstance | None:
    query = (select(ProcessInstance).where(condition)
             .options(undefer(ProcessInstance.serialized)).execution_options(populate_existing=True))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(key_share=True, skip_locked=skip_locked, of=ProcessInstance)
    instance = session.scalars(query).first()
    if instance is not None:
        transaction_cache(session, "locked_instances")[instance.id] = instance
    return instance


def load(session, instance: ProcessInstance, ctx: HostContext):
    """Deserialize an instance's workflow onto its own version's cached spec."""
    ctx.instance = instance
    return load_workflow(instance.serialized, spec_cache.get(instance.version), HostScriptEngine(ctx))


def complete(session, task_row: HumanTask, ctx: HostContext, values: dict, expected_lock: int | None = None):
    """Complete one READY user task with validated values stored under its bpmn id, then step on."""
    instance = lock_instance(session, task_row.instance_id)
    if instance is None:
        raise NotFound("流程实例不存在")
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict("该流程已结束，任务不可办理")
    if expected_lock is not None and expected_lock != instance.lock_version:
        raise Conflict("该流程已被他人更新，请刷新后重试")
    workflow = load(session, instance, ctx)
    task = workflow.get_task_from_id(UUID(task_row.task_guid))
    if task is None or task.state != SpiffTaskState.READY:
        raise Conflict("该任务已不可办理")
    was_ready = ready_guids(workflow) - {task_row.task_guid}  # this one is done, not cancelled
    before = task.data.get(task_row.bpmn_id)
    task.data[task_row.bpmn_id] = values
    with automatic_step(ctx, "task", [task.task_spec]):  # the task's own post-script runs here
        task.run()
    task_row.state, task_row.completed_at, task_row.completed_by = TaskState.DONE, ctx.now, ctx.actor.id
    steps = _advance(workflow, ctx)
    finished = save(session, instance, workflow, ctx, was_ready)
    _record(session, ctx, instance, "task_completed", finished, task=task_row,
            before={task_row.bpmn_id: before} if before is not None else None,
            after={task_row.bpmn_id: values, "steps": steps})
    return instance


def step_timers(session, instance: ProcessInstance, ctx: HostContext, force: bool = False) -> None:
    """Refresh timers of one instance at ctx.now and run what became ready (force: save and audit even
    when nothing fired, e.g. an incident retried)."""
    workflow = load(session, instance, ctx)
    was_ready = ready_guids(workflow)
    steps = _advance(workflow, ctx, kind="timer")
    finished = save(session, instance, workflow, ctx, was_ready)
    if steps or force:
        _record(session, ctx, instance, "timer_fired" if steps else "instance_stepped", finished,
                after={"steps": steps})
