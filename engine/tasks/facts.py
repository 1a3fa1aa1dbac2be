"""The facts a leader needs per inbox row before deciding in bulk: unit, title, eligibility, earlier opinions.

Read from the inbox rows, the domain rows (through the process's `@exports.task_fact`) and the audit events of
completed steps (through `services.task_history`, which leaves out the steps the process seals from the viewer,
Art 13); no workflow is deserialized.
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from engine.core import hooks
from engine.core.forms import resolve_choices, step_forms
from engine.core.models import HumanTask
from engine.platform.models import Unit
from engine.tasks.services import task_history


@dataclass
class Opinion:
    """One earlier step's answer: who, when, the decision's label and the comment."""

    step: str
    actor: str
    at: object
    decision: str
    comment: str


@dataclass
class RowFacts:
    """What the expandable row of one inbox task shows."""

    unit: str
    title: str
    applicant: str | None
    eligibility: str | None
    eligibility_reasons: list[str] = field(default_factory=list)
    opinions: list[Opinion] = field(default_factory=list)


def _label(form: dict | None, value) -> str:
    if form is None or value in (None, ""):
        return str(value or "")
    choice_field = next((f for f in form["fields"] if f["name"] == "decision"), None)
    labels = dict(resolve_choices(choice_field, {})) if choice_field else {}
    return labels.get(value, str(value))


def _opinions(session, task: HumanTask, viewer) -> list[Opinion]:
    forms = step_forms(session, task.instance_id)
    opinions = []
    for event in task_history(session, task.instance_id, viewer):
        values = (event.data_after or {}).get(event.bpmn_id) or {}
        if not isinstance(values, dict):
            continue
        opinions.append(Opinion(event.task_name or event.bpmn_id, event.actor_name or "", event.at,
                                _label(forms.get(event.bpmn_id), values.get("decision")),
                                str(values.get("comment") or "")))
    return opinions


def _eligibility(report: dict | None) -> tuple[str | None, list[str]]:
    if not report:
        return None, []
    reasons = [str(r.get("message", r)) if isinstance(r, dict) else str(r) for r in report.get("reasons") or []]
    return ("符合入库条件" if report.get("eligible", True) else "不符合入库条件"), reasons


def row_facts(session, viewer, tasks) -> dict[int, RowFacts]:
    """{task id: its facts} for inbox rows the viewer may act on (a handful per page, only bulk-capable rows)."""
    tasks = list(tasks)
    unit_ids = {t.unit_id for t in tasks if t.unit_id is not None}
    units = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    facts = {}
    for task in tasks:
        extra = hooks.facts_for(session, task, viewer)
        application = extra.get("application") or {}
        eligibility, reasons = _eligibility(application.get("eligibility"))
        facts[task.id] = RowFacts(unit=units.get(task.unit_id, "—"), title=task.subject,
                                  applicant=application.get("name"),
                                  eligibility=eligibility, eligibility_reasons=reasons,
                                  opinions=_opinions(session, task, viewer))
    return facts
