"""The facts a leader needs per inbox row before deciding in bulk: unit, title, eligibility, earlier opinions.

Read from the inbox rows, the domain rows (through the process's `@exports.row_fact`) and the audit events of
completed steps (leaving out the steps the process seals from the viewer, Art 13, by the same `@exports.sealing`
rule as `services.task_history`); a few queries per page, no workflow is deserialized.
"""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from engine.core import hooks
from engine.core.forms import resolve_choices
from engine.core.models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion
from engine.platform.models import Unit


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


def _forms_by_instance(session, instance_ids: set[int]) -> dict[int, dict[str, dict]]:
    """Like `forms.step_forms`, for many instances in two queries (the forms deployed with each version)."""
    rows = session.execute(select(HumanTask.instance_id, HumanTask.bpmn_id, HumanTask.form_key,
                                  ProcessInstance.version_id).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                           .where(HumanTask.instance_id.in_(instance_ids)).distinct()).all()
    versions = {r.version_id for r in rows}
    forms = dict(session.execute(select(ProcessVersion.id, ProcessVersion.forms).where(
        ProcessVersion.id.in_(versions))).all()) if versions else {}
    found: dict[int, dict[str, dict]] = {}
    for instance_id, bpmn_id, form_key, version_id in rows:
        form = (forms.get(version_id) or {}).get(form_key)
        if form is not None:
            found.setdefault(instance_id, {})[bpmn_id] = form
    return found


def _opinions_by_instance(session, viewer, instance_ids: set[int]) -> dict[int, list[Opinion]]:
    """Completed steps per instance, oldest first, without the steps its process seals from the viewer (the
    same rule as `services.task_history`, read for many instances at once)."""
    instances = {i.id: i for i in session.scalars(select(ProcessInstance).options(lazyload(ProcessInstance.version))
                                                  .where(ProcessInstance.id.in_(instance_ids)))}
    sealed = {i: hooks.sealed_steps(session, viewer, instance) for i, instance in instances.items()}
    forms = _forms_by_instance(session, instance_ids)
    opinions: dict[int, list[Opinion]] = {i: [] for i in instance_ids}
    for event in session.scalars(select(AuditEvent).where(
            AuditEvent.instance_id.in_(instance_ids), AuditEvent.action == "task_completed").order_by(AuditEvent.id)):
        values = (event.data_after or {}).get(event.bpmn_id)
        if event.bpmn_id in sealed.get(event.instance_id, ()) or not isinstance(values, dict):
            continue
        opinions[event.instance_id].append(Opinion(
            event.task_name or event.bpmn_id, event.actor_name or "", event.at,
            _label(forms.get(event.instance_id, {}).get(event.bpmn_id), values.get("decision")),
            str(values.get("comment") or "")))
    return opinions


def _eligibility(report: dict | None) -> tuple[str | None, list[str]]:
    if not report:
        return None, []
    reasons = [str(r.get("message", r)) if isinstance(r, dict) else str(r) for r in report.get("reasons") or []]
    return ("符合入库条件" if report.get("eligible", True) else "不符合入库条件"), reasons


def _business_facts(session, viewer, tasks) -> dict[int, dict]:
    """What each task's process says about its business object (`@exports.row_fact`), one call per process."""
    by_process: dict[str, list] = {}
    for task in tasks:
        by_process.setdefault(task.process_key, []).append(task)
    found: dict[int, dict] = {}
    for process_key, rows in by_process.items():
        provider = hooks.ROW_FACTS.get(process_key)
        if provider is not None:
            found |= provider(session, rows, viewer)
    return found


def row_facts(session, viewer, tasks) -> dict[int, RowFacts]:
    """{task id: its facts} for inbox rows the viewer may act on (a page of bulk-capable rows, a few queries)."""
    tasks = list(tasks)
    if not tasks:
        return {}
    unit_ids = {t.unit_id for t in tasks if t.unit_id is not None}
    units = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    opinions = _opinions_by_instance(session, viewer, {t.instance_id for t in tasks})
    business = _business_facts(session, viewer, tasks)
    facts = {}
    for task in tasks:
        extra = business.get(task.id, {})
        eligibility, reasons = _eligibility(extra.get("eligibility"))
        facts[task.id] = RowFacts(unit=extra.get("unit") or units.get(task.unit_id, "—"), title=task.subject,
                                  applicant=extra.get("person"), eligibility=eligibility,
                                  eligibility_reasons=reasons, opinions=opinions[task.instance_id])
    return facts
