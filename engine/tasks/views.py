"""Read models for the JSON API: inbox pages, JSON-safe views of tasks, instances, events (a task's detail: task_view).

No Flask here: the web layer parses the request, calls one of these (or another service) and jsonifies.
"""

from datetime import date, datetime

from engine.core import inbox, inbox_filters
from engine.core.models import AuditEvent, HumanTask, ProcessInstance
from engine.core.status import TaskState


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
