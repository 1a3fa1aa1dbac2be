"""Bulk work on the inbox: one decision for many tasks of one form, each task its own unit of work.

The selection is either ticked ids or "all matching" the inbox filter; the filter is evaluated here, at the
time of the action, with the actor's own visibility (`inbox.visible_to`), never taken from the client as a
list of thousands of ids. Each item is completed by `services.complete` (which re-checks `can_act` under the
instance lock), so a task the actor may not act on is never touched and one failing item rolls back alone.
"""

from dataclasses import replace
from datetime import datetime

from engine.core import inbox_filters
from engine.core.errors import Forbidden, ServiceError, ValidationFailed
from engine.core.forms import load_form
from engine.core.inbox import InboxFilter
from engine.core.models import HumanTask
from engine.platform import policy
from engine.tasks.services import BulkResult, complete, get_task

BULK_CAP = 200  # items per bulk action; a larger selection is refused with a message, nothing changes


def bulk_forms(actor) -> list[str]:
    """The form keys the actor may complete in bulk (their bulk capabilities)."""
    return [key for key, capability in policy.BULK_FORMS.items() if policy.allows(actor, capability)]


def decision_choices(form_key: str) -> list[tuple[str, str]]:
    """The (value, label) choices of the form's `decision` field (empty when it has none)."""
    field = next((f for f in load_form(form_key)["fields"] if f["name"] == "decision"), None)
    return [tuple(c) for c in field.get("choices", [])] if field else []


def _check_form(actor, form_key: str) -> None:
    if form_key not in policy.BULK_FORMS:
        raise ValidationFailed({"form_key": "不支持该批量操作"})
    if form_key not in bulk_forms(actor):
        raise Forbidden("您的角色无权执行该批量操作")


def _matching(actor, flt: InboxFilter, now: datetime, form_key: str):
    return inbox_filters.search(actor, flt, now).where(HumanTask.form_key == form_key)


def count_matching(session, actor, flt: InboxFilter, now: datetime, form_key: str) -> int:
    """How many of the actor's open tasks of the form match the filter (for the "select all N" offer)."""
    return inbox_filters.count(session, actor, replace(flt, form_key=form_key), now)


def select_matching(session, actor, flt: InboxFilter, now: datetime, form_key: str, cap: int = BULK_CAP) -> list[int]:
    """Ids of the actor's open tasks of the form matching the filter, in the filter's order; more than `cap`
    is refused (422) so a broad filter never completes hundreds of tasks by accident."""
    ids = list(session.scalars(_matching(actor, flt, now, form_key).with_only_columns(HumanTask.id).limit(cap + 1)))
    if len(ids) > cap:
        total = count_matching(session, actor, flt, now, form_key)
        raise ValidationFailed({"selection": f"当前筛选共匹配 {total} 项，超过单次批量处理上限 {cap} 项，"
                                             "请缩小筛选范围后再试。"})
    return ids


def _attempt(session, task_id: int, actor, raw: dict, now: datetime, form_key: str) -> BulkResult:
    subject = step = ""
    try:
        task = get_task(session, task_id, actor)
        subject, step = task.subject, task.name
        if task.form_key != form_key:
            raise Forbidden("该任务不支持此批量操作")
        complete(session, task_id, actor, raw, {}, now)
        return BulkResult(task_id, True, "已办理", subject, step)
    except ServiceError as exc:
        session.rollback()
        return BulkResult(task_id, False, exc.summary(), subject, step)


def bulk_complete(session, task_ids: list[int], actor, raw: dict, now: datetime, allowed_form: str) -> list[BulkResult]:
    """Complete many tasks with the same values, each in its own unit of work; per-item results by name."""
    return [_attempt(session, task_id, actor, raw, now, allowed_form) for task_id in dict.fromkeys(task_ids)]


def bulk_decide(session, actor, form_key: str, raw: dict, now: datetime, *, task_ids: list[int] | None = None,
                flt: InboxFilter | None = None, cap: int = BULK_CAP) -> list[BulkResult]:
    """One decision for the ticked tasks or for all matching the filter (re-evaluated now, capped)."""
    _check_form(actor, form_key)
    if flt is not None:
        task_ids = select_matching(session, actor, flt, now, form_key, cap)
    task_ids = list(dict.fromkeys(task_ids or []))
    if not task_ids:
        raise ValidationFailed({"selection": "请至少勾选一项待办。"})
    if len(task_ids) > cap:
        raise ValidationFailed({"selection": f"一次最多批量处理 {cap} 项，您选择了 {len(task_ids)} 项。"})
    session.rollback()  # the selection was a read; every item below is its own unit of work
    return bulk_complete(session, task_ids, actor, raw, now, form_key)
