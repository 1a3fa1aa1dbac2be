"""One read model per task: what the task page renders and the API's task detail returns are the same view.

The procedure adds what the task is about (hooks.TASK_CONTEXT: the application, the request, the evaluation);
earlier steps are those the viewer may see (sealed steps left out, Art 13) with personal data masked for viewers
without the PII flag; what the page shows of someone else's personal data in full (context and earlier steps
together) is one recorded view. No workflow is deserialized: the inbox row, the audit events and the domain rows suffice.
"""

from dataclasses import dataclass
from datetime import date, datetime

from engine.core import hooks
from engine.core.forms import resolve_choices, step_forms, task_form
from engine.core.jsonsafe import json_safe
from engine.core.models import AuditEvent, HumanTask
from engine.platform.privacy import has_pii, mask_fields, record_view, sees_pii
from engine.tasks.inbox_prefs import follow_up_on
from engine.tasks.instances import can_view_instance
from engine.tasks.services import dynamic_choices, get_task, task_history
from engine.tasks.views import task_dict


@dataclass(frozen=True)
class Step:
    """One earlier completed step as the viewer may see it, with the form it was completed on (for labels)."""

    bpmn_id: str
    task_name: str
    actor: str
    at: datetime
    values: dict | None
    form: dict | None


@dataclass(frozen=True)
class TaskView:
    """A task with the form of its instance's version, what it is about and the earlier steps."""

    task: HumanTask
    lock_version: int
    form: dict | None
    dynamic: dict
    context: dict
    history: list[Step]
    follow_up_on: date | None = None  # the viewer's private follow-up date (inbox_prefs)
    instance_visible: bool = False  # whether the viewer may open the instance's history (instances)

    @property
    def attachments(self) -> list:
        """The files the procedure lets the page link (context "attachments")."""
        return list(self.context.get("attachments") or [])


def step_values(event: AuditEvent) -> dict | None:
    """The values a task_completed audit event stored (its data_after is {bpmn_id: values})."""
    after = event.data_after or {}
    values = after.get(event.bpmn_id, next(iter(after.values()), None))
    return values if isinstance(values, dict) else None


def task_view(session, task_id: int, viewer, seen_at: datetime | None, page: str = "任务办理") -> TaskView:
    """The read model of a task the viewer may act on (404/403 otherwise). `seen_at`: when it is shown, so an
    unmasked view of someone else's personal data is recorded (as `page`); None when a refused form is shown again."""
    task = get_task(session, task_id, viewer)
    instance = task.instance  # loaded once and held: the reads below find it in the identity map
    forms, masked = step_forms(session, task.instance_id), not sees_pii(session, viewer)
    history = [Step(e.bpmn_id, e.task_name, e.actor_name, e.at,
                    mask_fields(step_values(e)) if masked else step_values(e), forms.get(e.bpmn_id))
               for e in task_history(session, task.instance_id, viewer)]
    form = task_form(session, task) if task.form_key else None
    context = hooks.context_for(session, task, viewer)
    disclosed = context.pop("disclosed", None)  # never rendered nor returned: what the view records below
    view = TaskView(task=task, lock_version=instance.lock_version, form=form,
                    dynamic=dynamic_choices(session),  # also labels the application's and earlier steps' groups
                    context=context, history=history,
                    follow_up_on=follow_up_on(session, viewer, task.id),
                    instance_visible=can_view_instance(session, viewer, instance))
    if seen_at is not None and not masked:  # last: its commit ends the transaction the view was read in
        _record(session, viewer, seen_at, page, task, history, disclosed)
    return view


def _record(session, viewer, now: datetime, page: str, task: HumanTask, history: list[Step], disclosed) -> None:
    """One recorded view for the page: the context's disclosure (whose, which fields) and the earlier steps'
    personal-data fields (the case's, unless it is the viewer's own) together."""
    subjects, fields = list((disclosed or {}).get("subjects") or []), set((disclosed or {}).get("fields") or [])
    instance = task.instance
    if instance.started_by != viewer.id:
        steps = {f for step in history for f in has_pii(step.values)}
        if steps and not subjects:
            subjects = [("instance", instance.id, instance.subject)]
        fields |= steps
    record_view(session, viewer, now, page, subjects, fields, instance=instance)


def form_json(view: TaskView) -> dict | None:
    """The task's form with its dynamic choices resolved, as API clients render it."""
    if view.form is None:
        return None
    fields = [{**field, "choices": [list(c) for c in resolve_choices(field, view.dynamic)]}
              if field["type"] in ("choice", "multichoice") else dict(field) for field in view.form["fields"]]
    return {**view.form, "key": view.task.form_key, "fields": fields}


def view_json(view: TaskView, now: datetime) -> dict:
    """The API's task detail: the same view as the task page, JSON-safe."""
    return {
        "task": task_dict(view.task, now) | {"lock_version": view.lock_version,
                                             "follow_up_on": view.follow_up_on and view.follow_up_on.isoformat()},
        "instance_visible": view.instance_visible,
        "form": form_json(view),
        "context": json_safe(view.context),
        "history": [{"bpmn_id": s.bpmn_id, "task_name": s.task_name, "actor": s.actor, "at": s.at.isoformat(),
                     "values": s.values} for s in view.history],
    }
