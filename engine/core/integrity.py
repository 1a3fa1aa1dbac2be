"""The engine's invariants (DESIGN §6 "Integrity"), checked by `expertpool doctor` and after every test.

1. A running instance can move: it has an open human task, a pending timer or a waiting catch event
   (or an open incident, which a process owner must handle and which is reported on its own).
2. The open inbox rows of an instance are exactly its READY manual tasks (none once it has ended).
3. Status and `next_timer_at` agree with the workflow; the business row (application, request, exit
   case, …) is in a final status exactly when its instance has ended.
4. The audit chain verifies.
"""

from collections import defaultdict
from dataclasses import dataclass

from SpiffWorkflow.util.task import TaskState as SpiffTaskState
from sqlalchemy import select
from sqlalchemy.orm import undefer

from engine.core import audit, runner
from engine.core.inbox import item_id_of
from engine.core.models import HumanTask, Incident, ProcessInstance
from engine.core.scripting import HostContext
from engine.core.status import InstanceStatus, TaskState

# Business rows driven by an instance, and the statuses in which their procedure is over.
# The procedures' business rows (engine.contributions.DomainRow), listed by engine.bootstrap.install().
DOMAIN_ROWS: list = []


@dataclass(frozen=True)
class Problem:
    """One broken invariant: a code, the instance it concerns (if any) and a Chinese explanation."""

    code: str
    instance_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"实例 #{self.instance_id}：" if self.instance_id else ""
        return f"[{self.code}] {where}{self.message}"


def waiting_kinds(workflow) -> set[str]:
    """What a workflow waits for: 'task' (READY user task), 'timer', 'event' (other catch events)."""
    kinds = {"task"} if runner.ready_guids(workflow) else set()
    for event in workflow.waiting_events():
        kinds.add("timer" if event.event_type in runner.TIMER_EVENTS else "event")
    return kinds


def _open_rows(session, instance_ids: list[int]) -> dict[int, dict[str, int | None]]:
    """Open inbox rows per instance: task guid → the multi-instance item id the row carries."""
    rows = defaultdict(dict)
    for instance_id, guid, item_id in session.execute(
            select(HumanTask.instance_id, HumanTask.task_guid, HumanTask.item_id).where(
                HumanTask.state == TaskState.OPEN, HumanTask.instance_id.in_(instance_ids))):
        rows[instance_id][guid] = item_id
    return rows


def _same_time(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs((a - b).total_seconds()) < 1


def _item_problems(instance_id: int, workflow, open_rows: dict[str, int | None]) -> list[Problem]:
    # Pages read a multi-instance task's item (e.g. the engagement) from its row, never the workflow.
    wrong = [t.task_spec.bpmn_id for t in workflow.get_tasks(state=SpiffTaskState.READY, manual=True)
             if str(t.id) in open_rows and open_rows[str(t.id)] != item_id_of(t)]
    return [Problem("inbox", instance_id, f"待办 {b} 记录的事项编号与流程数据不一致") for b in wrong]


def check_instance(session, instance: ProcessInstance, open_rows: dict[str, int | None],
                   has_incident: bool) -> list[Problem]:
    """The workflow-level invariants of one instance (loads its workflow once)."""
    problems = []
    if instance.status != InstanceStatus.RUNNING:
        if open_rows:
            problems.append(Problem("inbox", instance.id, f"流程状态为 {instance.status}，仍有 {len(open_rows)} 条待办"))
        return problems
    workflow = runner.load(session, instance, HostContext(session=session, actor=None, now=instance.updated_at))
    ready = runner.ready_guids(workflow)
    if ready != set(open_rows):
        problems.append(Problem("inbox", instance.id,
                                f"待办索引与流程不一致：缺 {len(ready - set(open_rows))} 条，多 {len(set(open_rows) - ready)} 条"))
    problems += _item_problems(instance.id, workflow, open_rows)
    if workflow.completed:
        problems.append(Problem("status", instance.id, "流程已走完，状态仍为进行中"))
    elif not waiting_kinds(workflow) and not has_incident:
        problems.append(Problem("stuck", instance.id, "进行中的流程既无待办、也无定时器或等待中的事件（无法继续）"))
    if instance.element_marks != runner.element_marks(workflow):
        problems.append(Problem("marks", instance.id, "实例图上的环节标记与流程状态不一致"))
    expected_timer = runner.next_timer_at(workflow)
    if not _same_time(expected_timer, instance.next_timer_at):
        problems.append(Problem("timer", instance.id,
                                f"next_timer_at 为 {instance.next_timer_at}，流程中最早的定时器为 {expected_timer}"))
    return problems


def _domain_problems(session, statuses: dict[int, str]) -> list[Problem]:
    problems = []
    for domain in DOMAIN_ROWS:
        model, label, final = domain.model, domain.label, domain.final
        rows = session.execute(select(model.id, model.instance_id, model.status).where(model.instance_id.is_not(None)))
        for row_id, instance_id, status in rows:
            running = statuses.get(instance_id) == InstanceStatus.RUNNING
            if running and status in final:
                problems.append(Problem("domain", instance_id, f"{label} #{row_id} 已是终态 {status}，流程仍在进行"))
            elif statuses.get(instance_id) == InstanceStatus.COMPLETED and status not in final:
                problems.append(Problem("domain", instance_id, f"{label} #{row_id} 状态为 {status}，流程已结束"))
    return problems


def check(session, with_audit: bool = True) -> list[Problem]:
    """Every broken invariant in the database; an empty list when all hold."""
    statuses = dict(session.execute(select(ProcessInstance.id, ProcessInstance.status)).all())
    open_rows = _open_rows(session, list(statuses))
    incidents = set(session.scalars(select(Incident.instance_id).where(Incident.resolved_at.is_(None))))
    problems = [Problem("inbox", i, "待办所属的流程实例不存在") for i in open_rows if i not in statuses]
    instances = session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(list(statuses)))
                                .options(undefer(ProcessInstance.serialized), undefer(ProcessInstance.element_marks))
                                .order_by(ProcessInstance.id))
    for instance in instances:
        problems += check_instance(session, instance, open_rows.get(instance.id, {}), instance.id in incidents)
    problems += _domain_problems(session, statuses)
    if with_audit:
        broken = audit.verify_chain(session)
        if broken is not None:
            problems.append(Problem("audit", None, f"审计哈希链自事件 #{broken} 起校验失败"))
    return problems


def stuck_children(workflow) -> list:
    """Completed children of loop / multi-instance tasks that were never merged into their parent (the
    cold-restore defect of issue 8), in completion order."""
    found = []
    for task in workflow.get_tasks(state=SpiffTaskState.STARTED):
        merged = task.internal_data.get("merged")
        if merged is None or not hasattr(task.task_spec, "merge_child"):
            continue
        found += [c for c in task.children if c.state == SpiffTaskState.COMPLETED and str(c.id) not in merged]
    return sorted(found, key=lambda c: c.last_state_change)
