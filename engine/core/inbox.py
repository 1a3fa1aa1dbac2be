"""Human-task inbox index: synced from READY user tasks in the same transaction; queried by SQL only."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from SpiffWorkflow.util.task import TaskState as SpiffTaskState
from sqlalchemy import and_, func, or_, select, update

from engine.core import inbox_index
from engine.core.models import HumanTask
from engine.core.spiff import armed_deadline
from engine.core.status import TaskState
from engine.platform.policy import UNIT_SCOPED_ROLES  # lanes whose tasks go only to users of the task's unit
from engine.platform.settings import LOCAL_TZ

SORTS = {
    "created": HumanTask.created_at.asc(),
    "-created": HumanTask.created_at.desc(),
    "due": HumanTask.due_at.asc(),
    "subject": HumanTask.subject.asc(),
}


def _properties(spiff_task) -> dict:
    return (getattr(spiff_task.task_spec, "extensions", None) or {}).get("properties", {}) or {}


def _named_id(spiff_task, prop: str) -> int | None:
    """The id in the task data variable a user-task property names (`assignee`, `itemKey`), if any."""
    variable = _properties(spiff_task).get(prop)
    value = spiff_task.data.get(variable) if variable else None
    return int(value) if value not in (None, "") else None


def item_id_of(spiff_task) -> int | None:
    """The business id of the multi-instance item a user task is about (its `itemKey` property), if any."""
    return _named_id(spiff_task, "itemKey")


def _declared_due(spiff_task, now: datetime) -> datetime | None:
    """The deadline a property declares: `dueAt` names a task-data ISO datetime, `dueDays` counts from now."""
    props = _properties(spiff_task)
    at = spiff_task.data.get(props["dueAt"]) if props.get("dueAt") else None
    if at:
        parsed = datetime.fromisoformat(str(at))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)
    days = props.get("dueDays")
    return now + timedelta(days=int(days)) if days else None


def due_of(spiff_task, now: datetime) -> datetime | None:
    """A task's deadline: the earlier of the declared one and the fire time of a boundary timer the engine
    armed on it (the timer ends or escalates the task then, so a later declared date would never be met)."""
    found = [d for d in (_declared_due(spiff_task, now), armed_deadline(spiff_task)) if d is not None]
    return min(found) if found else None


def _backfill_due(session, instance, ready: dict, was_ready: set[str]) -> None:
    # Rows opened before deadlines were read from armed timers (issue 11) have none: fill them in on the
    # instance's next step. One SELECT, only when the instance has a timer-bounded open task.
    armed = {guid: at for guid in was_ready & set(ready) if (at := armed_deadline(ready[guid])) is not None}
    if not armed:
        return
    missing = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.task_guid.in_(armed), HumanTask.state == TaskState.OPEN,
        HumanTask.due_at.is_(None)))
    for row in missing:
        row.due_at = armed[row.task_guid]


def sync(session, instance, workflow, lane_roles: dict, now: datetime, was_ready: set[str]) -> list[HumanTask]:
    """Make the instance's open HumanTask rows match its READY user tasks; returns rows created.

    `was_ready` (READY user tasks before the step) equals the open rows by invariant, so the common case
    needs no SELECT: rows to cancel are updated in one statement, new ones inserted.
    """
    ready = {str(t.id): t for t in workflow.get_tasks(state=SpiffTaskState.READY, manual=True)}
    gone = was_ready - set(ready)
    if gone:
        session.execute(
            update(HumanTask)
            .where(HumanTask.instance_id == instance.id, HumanTask.task_guid.in_(gone), HumanTask.state == TaskState.OPEN)
            .values(state=TaskState.CANCELLED, completed_at=now)
            .execution_options(synchronize_session=False)
        )
    created = []
    for guid, task in ready.items():
        if guid in was_ready:
            continue
        spec = task.task_spec
        row = HumanTask(
            instance_id=instance.id, task_guid=guid, bpmn_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
            process_key=instance.process_key, process_name=instance.version.name, subject=instance.subject,
            lane_role=lane_roles.get(spec.lane) if spec.lane else None, assignee_id=_named_id(task, "assignee"),
            unit_id=instance.unit_id, form_key=_properties(task).get("formKey"), state=TaskState.OPEN,
            item_id=item_id_of(task),  # a multi-instance item's business id, read by SQL
            created_at=now, due_at=due_of(task, now),
        )
        session.add(row)
        created.append(row)
    inbox_index.fill(session, instance, created)  # the search columns, from the procedure's facts
    _backfill_due(session, instance, ready, was_ready)
    return created


def visible_to(user):
    """SQL predicate: open tasks this user may see and act on (named assignee, or lane role [+ unit])."""
    roles = set(user.roles)
    by_role = and_(HumanTask.assignee_id.is_(None), HumanTask.lane_role.in_(roles - UNIT_SCOPED_ROLES))
    by_unit = and_(
        HumanTask.assignee_id.is_(None),
        HumanTask.lane_role.in_(roles & UNIT_SCOPED_ROLES),
        HumanTask.unit_id == user.unit_id,
    )
    return or_(HumanTask.assignee_id == user.id, by_role, by_unit)


@dataclass
class InboxFilter:
    """Inbox filters and sort; all optional."""

    process_key: str | None = None
    bpmn_id: str | None = None
    unit_id: int | None = None
    overdue: bool = False
    claimed: str | None = None  # "mine" | "unclaimed"
    sort: str = "created"
    # appended for the inbox search (engine.core.inbox_filters, whose SORTS `sort` may also name): free text,
    # the follow-up filter
    q: str = ""
    follow_up: str | None = None  # "set" | "due" (today or earlier) | "today"


def inbox_query(user, flt: InboxFilter, now: datetime):
    """A select of the user's open tasks after filters and sort (one indexed query, no workflow loads)."""
    query = select(HumanTask).where(HumanTask.state == TaskState.OPEN, visible_to(user))
    if flt.process_key:
        query = query.where(HumanTask.process_key == flt.process_key)
    if flt.bpmn_id:
        query = query.where(HumanTask.bpmn_id == flt.bpmn_id)
    if flt.unit_id:
        query = query.where(HumanTask.unit_id == flt.unit_id)
    if flt.overdue:
        query = query.where(HumanTask.due_at < now)
    if flt.claimed == "mine":
        query = query.where(HumanTask.claimed_by == user.id)
    elif flt.claimed == "unclaimed":
        query = query.where(HumanTask.claimed_by.is_(None))
    return query.order_by(SORTS.get(flt.sort, SORTS["created"]), HumanTask.id)


def inbox_counts(session, user, now: datetime) -> dict:
    """Counts for the inbox header: total, overdue, and per (process, step)."""
    base = select(HumanTask).where(HumanTask.state == TaskState.OPEN, visible_to(user)).subquery()
    total, overdue = session.execute(
        select(func.count(), func.count().filter(base.c.due_at < now)).select_from(base)
    ).one()
    steps = session.execute(
        select(base.c.process_key, base.c.process_name, base.c.bpmn_id, base.c.name, func.count())
        .group_by(base.c.process_key, base.c.process_name, base.c.bpmn_id, base.c.name)
        .order_by(base.c.process_key, base.c.bpmn_id)
    ).all()
    return {"total": total, "overdue": overdue, "steps": [tuple(s) for s in steps]}


def can_act(user, task: HumanTask) -> bool:
    """Python twin of `visible_to` for one loaded row (object-level authorization)."""
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    if task.lane_role not in user.roles:
        return False
    return task.lane_role not in UNIT_SCOPED_ROLES or task.unit_id == user.unit_id


def open_steps(session, instance_ids) -> dict[int, list[str]]:
    """Names of the open user tasks per instance (where a case stands now)."""
    ids = [i for i in instance_ids if i is not None]
    steps: dict[int, list[str]] = {}
    if ids:
        for instance_id, name in session.execute(select(HumanTask.instance_id, HumanTask.name).where(
                HumanTask.instance_id.in_(ids), HumanTask.state == TaskState.OPEN).order_by(HumanTask.id)):
            steps.setdefault(instance_id, []).append(name)
    return steps


def step_names(session, instance_id: int | None) -> list[str]:
    """Names of one instance's open user tasks (where it stands now)."""
    return open_steps(session, [instance_id]).get(instance_id, [])


def my_open_task(session, viewer, instance_id: int | None) -> HumanTask | None:
    """The viewer's open task on an instance (one they may act on), if any."""
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == TaskState.OPEN))
    return next((t for t in rows if can_act(viewer, t)), None)
