"""Read models for the JSON API: inbox pages, task context, JSON-safe views of tasks, instances, events.

No Flask here: the web layer parses the request, calls one of these (or another service) and jsonifies.
"""

from datetime import date, datetime

from engine.core import hooks, inbox, inbox_filters
from engine.core.forms import resolve_choices, task_form
from engine.core.models import AuditEvent, HumanTask, ProcessInstance
from engine.core.status import TaskState
from engine.tasks.services import dynamic_choices, get_task, task_history


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601 text of a date or instant (None stays None)."""
    return value.isoformat() if value is not None else None


def inbox_page(session, user, flt: inbox.InboxFilter, now: datetime, page: int, per_page: int):
    """One page of the user's open tasks after filters and search: (rows, total matching, header counts)."""
    result = inbox_filters.page(session, user, flt, now, page, per_page)
    return result.items, result.total, result.counts


def counts_dict(counts: dict) -> dict:
    """inbox_counts() with its step tuples as objects."""
    keys = ("process_key", "process_name", "bpmn_id", "name", "count")
    return {"total": counts["total"], "overdue": counts["overdue"],
            "steps": [dict(zip(keys, step, strict=True)) for step in counts["steps"]]}


def task_dict(task: HumanTask, now: datetime) -> dict:
    """JSON-safe view of one inbox row."""
    return {
        "id": task.id, "instance_id": task.instance_id, "name": task.name, "bpmn_id": task.bpmn_id,
        "process_key": task.process_key, "process_name": task.process_name, "subject": task.subject,
        "lane_role": task.lane_role, "assignee_id": task.assignee_id, "unit_id": task.unit_id,
        "form_key": task.form_key, "state": task.state, "claimed_by": task.claimed_by,
        "claimed_at": iso(task.claimed_at), "created_at": iso(task.created_at), "due_at": iso(task.due_at),
        "overdue": bool(task.state == TaskState.OPEN and task.due_at and task.due_at < now),
        "completed_at": iso(task.completed_at), "completed_by": task.completed_by,
        "unit_name": task.unit_name, "id_number_masked": task.id_number_masked,
    }


def form_definition(session, task: HumanTask) -> dict | None:
    """The task's form (of its instance's version) with dynamic choices resolved, as clients render it."""
    form_key = task.form_key
    if not form_key:
        return None
    form = task_form(session, task)
    dynamic = dynamic_choices(session)
    fields = [{**field, "choices": [list(c) for c in resolve_choices(field, dynamic)]}
              if field["type"] in ("choice", "multichoice") else dict(field) for field in form["fields"]]
    return {**form, "key": form_key, "fields": fields}



def _history_item(event: AuditEvent) -> dict:
    values = (event.data_after or {}).get(event.bpmn_id)
    return {"bpmn_id": event.bpmn_id, "task_name": event.task_name, "actor": event.actor_name,
            "at": iso(event.at), "values": values}


def task_detail(session, task_id: int, actor, now: datetime) -> dict:
    """A task the actor may act on with its form, its process's facts (e.g. the application) and earlier steps' comments."""
    task = get_task(session, task_id, actor)
    return {
        "task": task_dict(task, now) | {"lock_version": task.instance.lock_version},
        "form": form_definition(session, task),
        **hooks.facts_for(session, task, actor),
        "history": [_history_item(e) for e in task_history(session, task.instance_id, actor)],
    }


def event_dict(event: AuditEvent) -> dict:
    """JSON-safe view of one audit event."""
    return {"id": event.id, "at": iso(event.at), "actor": event.actor_name, "actor_id": event.actor_id,
            "action": event.action, "bpmn_id": event.bpmn_id, "task_name": event.task_name,
            "data_before": event.data_before, "data_after": event.data_after, "hash": event.hash}


def instance_dict(instance: ProcessInstance, tasks: list[HumanTask], events: list[AuditEvent], now: datetime) -> dict:
    """JSON-safe view of an instance with its version, inbox rows and history."""
    version = instance.version
    return {
        "id": instance.id, "process_key": instance.process_key, "subject": instance.subject,
        "business_key": instance.business_key, "status": instance.status, "end_event": instance.end_event,
        "lock_version": instance.lock_version, "unit_id": instance.unit_id, "started_by": instance.started_by,
        "started_at": iso(instance.started_at), "updated_at": iso(instance.updated_at),
        "completed_at": iso(instance.completed_at),
        "version": {"id": version.id, "key": version.process_key, "name": version.name,
                    "number": version.version, "sha256": version.sha256},
        "tasks": [task_dict(t, now) for t in tasks],
        "events": [event_dict(e) for e in events],
    }
