"""`expertpool doctor --repair`: heal what the integrity check finds and the engine can redo safely.

Idempotent and audited: an instance whose multi-instance children completed without being merged (the
cold-restore defect of issue 8) gets them merged in completion order and is stepped on; its inbox rows,
timer and status are then rewritten from the workflow. Instances an older timer runner marked `error`
on a lost race go back to running. Business-row disagreements are reported, never guessed at.
"""

from datetime import datetime

from sqlalchemy import select

from engine.core import audit, runner
from engine.core.clock import frozen_at
from engine.core.integrity import check, stuck_children
from engine.core.models import HumanTask, ProcessInstance
from engine.core.scripting import HostContext
from engine.core.status import InstanceStatus, TaskState
from engine.core.uow import unit_of_work

REPAIRABLE = {"stuck", "inbox", "timer", "status"}
LEGACY_TIMER_ERROR = "定时器执行失败"  # what the pre-incident timer runner wrote on any failure


def repair(session, actor, now: datetime) -> list[str]:
    """Repair every repairable instance; returns one line per instance changed."""
    problems = check(session, with_audit=False)
    ids = {p.instance_id for p in problems if p.instance_id and p.code in REPAIRABLE}
    ids |= set(session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.status == InstanceStatus.ERROR, ProcessInstance.error == LEGACY_TIMER_ERROR)))
    session.rollback()
    done = []
    for instance_id in sorted(ids):
        with unit_of_work(session):
            line = _repair_one(session, instance_id, actor, now)
        if line:
            done.append(line)
    return done


def _repair_one(session, instance_id: int, actor, now: datetime) -> str | None:
    instance = runner.lock_instance(session, instance_id)
    if instance is None:
        return None
    before = {"status": instance.status, "next_timer_at": str(instance.next_timer_at)}
    if instance.status == InstanceStatus.ERROR and instance.error == LEGACY_TIMER_ERROR:
        instance.status, instance.error = InstanceStatus.RUNNING, None
    if instance.status != InstanceStatus.RUNNING:
        return None
    ctx = HostContext(session=session, actor=actor, now=now)
    workflow = runner.load(session, instance, ctx)
    children = stuck_children(workflow)
    with frozen_at(now):
        for child in children:
            child.parent.task_spec.merge_child(workflow, child)
    steps = runner._advance(workflow, ctx)
    open_rows = set(session.scalars(select(HumanTask.task_guid).where(
        HumanTask.instance_id == instance.id, HumanTask.state == TaskState.OPEN)))
    finished = runner.save(session, instance, workflow, ctx, open_rows)
    inbox_after = runner.ready_guids(workflow)
    audit.record(session, "instance_repaired", actor, now, instance=instance, before=before, after={
        "merged_children": len(children), "status": instance.status, "steps": steps,
        "inbox_cancelled": len(open_rows - inbox_after), "inbox_created": len(inbox_after - open_rows)})
    if finished:
        audit.record(session, "instance_completed", actor, now, instance=instance,
                     after={"end_event": instance.end_event})
    return (f"实例 #{instance.id}（{instance.process_key}）：合并 {len(children)} 个子任务，"
            f"状态 {before['status']} → {instance.status}")



