"""Human-task inbox index: synced from READY user tasks in the same transaction; queried by SQL only."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from SpiffWorkflow.util.task import TaskState as SpiffTaskState
from sqlalchemy import and_, func, literal_column, or_, select, union_all, update

from engine.core import inbox_index
from engine.core.models import HumanTask
from engine.core.spiff import armed_deadline
from engine.core.status import TaskState
from engine.platform.policy import UNIT_SCOPED_ROLES  # lanes whose tasks go only to users of the task's unit
from engine.platform.settings import LOCAL_TZ

SORT_COLUMNS = {"created": ("created_at", False), "-created": ("created_at", True), "due": ("due_at", False),
                "subject": ("subject", False)}  # sort key -> (HumanTask column, descending)
SORTS = {key: getattr(HumanTask, column).desc() if descending else getattr(HumanTask, column).asc()
         for key, (column, descending) in SORT_COLUMNS.items()}


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
    new = {guid: task for guid, task in ready.items() if guid not in was_ready}
    # The procedure's search facts are read before the rows are added, so its query does not autoflush them
    # and the search columns go out with the INSERT (no UPDATE of each new row).
    facts = inbox_index.facts_of(session, instance) if new else None
    for guid, task in new.items():
        spec = task.task_spec
        row = HumanTask(
            instance_id=instance.id, task_guid=guid, bpmn_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
            process_key=instance.process_key, process_name=instance.version.name, subject=instance.subject,
            lane_role=lane_roles.get(spec.lane) if spec.lane else None, assignee_id=_named_id(task, "assignee"),
            unit_id=instance.unit_id, form_key=_properties(task).get("formKey"), state=TaskState.OPEN,
            item_id=item_id_of(task),  # a multi-instance item's business id, read by SQL
            created_at=now, due_at=due_of(task, now),
        )
        inbox_index.apply(row, facts)  # the search columns, from the procedure's facts
        session.add(row)
        created.append(row)
    _backfill_due(session, instance, ready, was_ready)
    return created


# Open tasks carry the literal state so that the partial indexes (`WHERE state = 'open'`) apply: SQLite only
# matches a partial index's WHERE against literals, never a bound parameter (PostgreSQL's generic plans neither).
OPEN_ONLY = HumanTask.state == literal_column(f"'{TaskState.OPEN.value}'")


def visibility_branches(user) -> list:
    """The disjoint parts of `visible_to`, each one an index range scan on the open tasks.

    Named assignee (ix_human_task_open_assignee); unassigned in one of the user's unscoped lane roles; unassigned
    in a unit-scoped lane role of the user's own unit (both ix_human_task_open_lane). No row is in two parts.
    """
    roles = set(user.roles)
    branches = [HumanTask.assignee_id == user.id]
    if unscoped := sorted(roles - UNIT_SCOPED_ROLES):
        branches.append(and_(HumanTask.lane_role.in_(unscoped), HumanTask.assignee_id.is_(None)))
    if scoped := sorted(roles & UNIT_SCOPED_ROLES):
        branches.append(and_(HumanTask.lane_role.in_(scoped), HumanTask.assignee_id.is_(None),
                             HumanTask.unit_id == user.unit_id))
    return branches


def visible_to(user):
    """SQL predicate: open tasks this user may see and act on (named assignee, or lane role [+ unit]).

    For one instance's rows (a few) an OR is fine; over the whole inbox it reads every unassigned open task, so
    the inbox reads `visible_ids()` / `visible_parts()`, a UNION ALL of the parts.
    """
    return or_(*visibility_branches(user))


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
    form_key: str | None = None  # one form's tasks (bulk lists)


def filter_clauses(user, flt: InboxFilter, now: datetime) -> list:
    """The WHERE clauses of a filter, on HumanTask's columns (each visibility part gets all of them)."""
    clauses = []
    if flt.process_key:
        clauses.append(HumanTask.process_key == flt.process_key)
    if flt.bpmn_id:
        clauses.append(HumanTask.bpmn_id == flt.bpmn_id)
    if flt.unit_id:
        clauses.append(HumanTask.unit_id == flt.unit_id)
    if flt.overdue:
        clauses.append(HumanTask.due_at < now)
    if flt.claimed == "mine":
        clauses.append(HumanTask.claimed_by == user.id)
    elif flt.claimed == "unclaimed":
        clauses.append(HumanTask.claimed_by.is_(None))
    if flt.form_key:
        clauses.append(HumanTask.form_key == flt.form_key)
    return clauses


def visible_parts(user, clauses, *columns) -> list:
    """One select of `columns` per visibility part, each with the filter clauses (no OR: each is an index range
    scan). Counts over the visible tasks: a UNION ALL of these, summed (see `inbox_counts`)."""
    return [select(*columns).where(OPEN_ONLY, branch, *clauses) for branch in visibility_branches(user)]


def _sort_key(sort: str | None):
    column, descending = SORT_COLUMNS.get(sort or "created", SORT_COLUMNS["created"])
    return getattr(HumanTask, column), descending


def visible_ids(user, clauses=(), sort: str | None = None, limit: int | None = None):
    """A UNION ALL of the visibility parts selecting (id, sort_key) of the open tasks matching `clauses`.

    With `limit` each part keeps only its first `limit` rows in `sort` order (read in index order for the
    default sort), and the union is ordered by that sort: a page reads about a page of rows per part.
    """
    key, descending = _sort_key(sort)
    parts = visible_parts(user, clauses, HumanTask.id, key.label("sort_key"))
    if limit is not None:
        order = (key.desc() if descending else key.asc(), HumanTask.id)
        parts = [select(part.order_by(*order).limit(limit).subquery()) for part in parts]
    union = union_all(*parts) if len(parts) > 1 else parts[0]
    if limit is None:
        return union
    sort_key = literal_column("sort_key")
    return union.order_by(sort_key.desc() if descending else sort_key.asc(), literal_column("id"))


def _rows(ids, sort: str | None):
    """HumanTask rows whose id is in the compound select `ids`, in `sort` order."""
    key, descending = _sort_key(sort)
    return select(HumanTask).where(HumanTask.id.in_(select(ids.subquery("visible").c.id))) \
        .order_by(key.desc() if descending else key.asc(), HumanTask.id)


def inbox_query(user, flt: InboxFilter, now: datetime, limit: int | None = None):
    """A select of the user's open tasks (HumanTask rows) after filters and sort, served by index range scans.

    `HumanTask.id IN` a UNION ALL of the visibility parts (each with the filter's clauses); more `.where()`
    clauses still compose, unless `limit` is given (each part then stops at `limit` rows: the query is final).
    """
    query = _rows(visible_ids(user, filter_clauses(user, flt, now), flt.sort, limit), flt.sort)
    return query if limit is None else query.limit(limit)


@dataclass
class InboxPage:
    """One page of the inbox with its header counts (the attributes the page template and the API read)."""

    items: list
    total: int
    page: int
    per_page: int
    counts: dict

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        """Whether a previous page exists."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether a next page exists."""
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        """The previous page's number."""
        return self.page - 1

    @property
    def next_num(self) -> int:
        """The next page's number."""
        return self.page + 1


def inbox_page(session, user, flt: InboxFilter, now: datetime, page: int, per_page: int, extra=()) -> InboxPage:
    """A page of the inbox with its header counts in two queries: the counts grouped per step, and the page's
    rows (a third counts the matches when filters narrow the list and the page does not tell the total).
    `extra`: more WHERE clauses on HumanTask (the search's free text and follow-up filter), in every part."""
    page = max(1, page)
    counts = inbox_counts(session, user, now)
    clauses = [*filter_clauses(user, flt, now), *extra]
    ids = visible_ids(user, clauses, flt.sort, page * per_page).offset((page - 1) * per_page).limit(per_page)
    items = list(session.scalars(_rows(ids, flt.sort)))
    if not clauses:
        total = counts["total"]
    elif page == 1 and len(items) < per_page:
        total = len(items)
    else:
        total = sum(session.scalars(union_all(*visible_parts(user, clauses, func.count()))))
    return InboxPage(items=items, total=total, page=page, per_page=per_page, counts=counts)


def inbox_counts(session, user, now: datetime) -> dict:
    """Counts for the inbox header: total, overdue, and per (process, step) — one query, grouped per part."""
    keys = (HumanTask.process_key, HumanTask.process_name, HumanTask.bpmn_id, HumanTask.name)
    parts = [part.group_by(*keys) for part in visible_parts(user, (), *keys, func.count(),
                                                          func.count().filter(HumanTask.due_at < now))]
    steps: dict[tuple, list[int]] = {}
    for *key, n, late in session.execute(union_all(*parts) if len(parts) > 1 else parts[0]):
        total = steps.setdefault(tuple(key), [0, 0])
        total[0], total[1] = total[0] + n, total[1] + late
    ordered = sorted(steps.items(), key=lambda item: (item[0][0], item[0][2]))
    return {"total": sum(n for n, _ in steps.values()), "overdue": sum(late for _, late in steps.values()),
            "steps": [(*key, n) for key, (n, _) in ordered]}


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
