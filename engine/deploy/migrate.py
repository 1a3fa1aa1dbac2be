"""Migrate running instances to another version of their process with SpiffWorkflow 3.2.0's
diff_workflow / migrate_workflow. A dry run lists, per instance, why it may not move: an instance moves
only when no completed or started task changed or vanished (spiff-arena's rule). Each migration is one
unit of work with an audit event naming both versions."""

from dataclasses import dataclass, field
from datetime import datetime

from SpiffWorkflow.bpmn.util.diff import diff_workflow, filter_tasks, migrate_workflow
from SpiffWorkflow.util.task import TaskState as SpiffTaskState
from sqlalchemy import select
from sqlalchemy.orm import undefer

from engine.core import audit, inbox_index, runner
from engine.core.errors import NotFound, ServiceError, ValidationFailed
from engine.core.models import HumanTask, ProcessInstance, ProcessVersion
from engine.core.scripting import HostContext
from engine.core.spiff import serializer, spec_cache
from engine.core.status import InstanceStatus, TaskState
from engine.core.uow import unit_of_work
from engine.deploy.drafts import require_owner

MAX_BATCH = 200
DONE = SpiffTaskState.COMPLETED | SpiffTaskState.STARTED


@dataclass
class MigrationCheck:
    """Whether one instance can move to the target version, with every reason it cannot."""

    instance_id: int
    subject: str
    from_version: int | None
    ok: bool
    reasons: list[str] = field(default_factory=list)
    done: bool = False  # set after a real migration


def _task_label(task) -> str:
    spec = task.task_spec
    return f"“{spec.bpmn_name or spec.bpmn_id or spec.name}”（{spec.bpmn_id or spec.name}）"


def _unsafe(wf_diff) -> list[str]:
    removed = filter_tasks(wf_diff.removed, state=DONE)
    changed = [t for t in filter_tasks(wf_diff.changed, state=DONE) if t not in removed]
    return ([f"已办理或进行中的环节{_task_label(t)}在目标版本中被删除" for t in removed]
            + [f"已办理或进行中的环节{_task_label(t)}在目标版本中有改动" for t in changed])


def _diff(workflow, target):
    compiled = spec_cache.get(target)
    top, subs = diff_workflow(serializer.registry, workflow, compiled.spec, compiled.subprocess_specs)
    reasons = _unsafe(top)
    for sp_id, sp_diff in subs.items():
        if sp_diff is None:
            reasons.append(f"子流程 {workflow.subprocesses[sp_id].spec.name} 在目标版本中不存在")
        else:
            reasons += _unsafe(sp_diff)
    return compiled, top, subs, reasons


def _precheck(instance: ProcessInstance | None, target: ProcessVersion) -> list[str]:
    if instance is None:
        return ["流程实例不存在"]
    if instance.process_key != target.process_key:
        return [f"目标版本属于流程 {target.process_key}，不是本实例的流程"]
    if instance.status != InstanceStatus.RUNNING:
        return ["流程已结束，不能迁移"]
    if instance.version_id == target.id:
        return [f"已在第 {target.version} 版上"]
    return []


def _target(session, version_id: int) -> ProcessVersion:
    target = session.get(ProcessVersion, version_id)
    if target is None:
        raise NotFound("目标版本不存在")
    return target


def _ids(instance_ids) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in instance_ids))
    if not ids:
        raise ValidationFailed({"instance_ids": "请至少选择一个流程实例"})
    if len(ids) > MAX_BATCH:
        raise ValidationFailed({"instance_ids": f"一次最多迁移 {MAX_BATCH} 个实例"})
    return ids


def _check_one(session, instance_id: int, target: ProcessVersion, now: datetime):
    instance = session.get(ProcessInstance, instance_id, options=[undefer(ProcessInstance.serialized)])
    reasons = _precheck(instance, target)
    if reasons:
        return instance, None, MigrationCheck(instance_id, getattr(instance, "subject", ""),
                                              getattr(getattr(instance, "version", None), "version", None), False, reasons)
    ctx = HostContext(session=session, actor=None, now=now)
    workflow = runner.load(session, instance, ctx)
    plan = _diff(workflow, target)
    check = MigrationCheck(instance.id, instance.subject, instance.version.version, not plan[3], plan[3])
    return instance, (workflow, ctx) + plan[:3], check


def dry_run(session, actor, instance_ids, target_version_id: int, now: datetime) -> list[MigrationCheck]:
    """Per instance: could it move to the target version, and if not, why (nothing is written)."""
    require_owner(actor)
    target = _target(session, target_version_id)
    try:
        return [_check_one(session, i, target, now)[2] for i in _ids(instance_ids)]
    finally:
        session.rollback()  # loading workflows must leave no trace


def _rename_open_rows(session, instance, workflow) -> None:
    """Open rows of tasks still ready take the new version's names, forms and lanes (same task ids), and the
    search text that holds the names."""
    ready = {str(t.id): t for t in workflow.get_tasks(state=SpiffTaskState.READY, manual=True)}
    lane_roles = instance.version.lane_roles or {}
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                   HumanTask.state == TaskState.OPEN)).all()
    renamed = []
    for row in rows:
        task = ready.get(row.task_guid)
        if task is None:
            continue  # no longer ready: runner.save's inbox sync cancels it
        renamed.append(row)
        spec = task.task_spec
        props = (getattr(spec, "extensions", None) or {}).get("properties", {}) or {}
        row.bpmn_id, row.name, row.form_key = spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, props.get("formKey")
        row.process_name = instance.version.name
        row.lane_role = lane_roles.get(spec.lane) if spec.lane else None
    inbox_index.fill(session, instance, renamed)


def _apply(session, instance, target, plan, actor, now) -> None:
    workflow, ctx, compiled, top, subs = plan
    ctx.actor = actor
    was_ready = runner.ready_guids(workflow)
    before = {"version_id": instance.version_id, "version": instance.version.version, "sha256": instance.version.sha256}
    # Only READY tasks are re-predicted; a waiting timer keeps its deadline unless its own spec changed.
    migrate_workflow(top, workflow, compiled.spec, reset_mask=SpiffTaskState.READY)
    for task in filter_tasks(top.changed, state=SpiffTaskState.WAITING):
        if task.id in workflow.tasks:
            task.reset_branch(None)
    for sp_id, sp_diff in subs.items():
        sub = workflow.subprocesses[sp_id]
        migrate_workflow(sp_diff, sub, compiled.subprocess_specs.get(sub.spec.name), reset_mask=SpiffTaskState.READY)
    workflow.subprocess_specs = compiled.subprocess_specs
    instance.version, instance.version_id = target, target.id
    steps = runner._advance(workflow, ctx)  # the same engine step (timers, then automatic tasks) as any action
    _rename_open_rows(session, instance, workflow)
    finished = runner.save(session, instance, workflow, ctx, was_ready)
    audit.record(session, "instance_migrated", actor, now, instance=instance, before=before, after={
        "version_id": target.id, "version": target.version, "sha256": target.sha256, "steps": steps})
    if finished:
        audit.record(session, "instance_completed", actor, now, instance=instance,
                     after={"end_event": instance.end_event})


def migrate(session, actor, instance_ids, target_version_id: int, now: datetime) -> list[MigrationCheck]:
    """Move each instance that passes the check (one unit of work each); refusals are reported, not raised."""
    require_owner(actor)
    results = []
    for instance_id in _ids(instance_ids):
        try:
            with unit_of_work(session):
                target = _target(session, target_version_id)
                instance, plan, check = _check_one(session, instance_id, target, now)
                if check.ok:
                    _apply(session, instance, target, plan, actor, now)
                    check.done = True
                else:
                    session.rollback()
        except ServiceError as exc:
            check = MigrationCheck(instance_id, "", None, False, [exc.message])
        results.append(check)
    return results


def running_instances(session, actor, process_key: str, limit: int = 500) -> list[ProcessInstance]:
    """Running instances of a process (oldest version first) for the migration page."""
    require_owner(actor)
    return list(session.scalars(select(ProcessInstance).where(
        ProcessInstance.process_key == process_key, ProcessInstance.status == InstanceStatus.RUNNING)
        .order_by(ProcessInstance.version_id, ProcessInstance.id).limit(limit)))
