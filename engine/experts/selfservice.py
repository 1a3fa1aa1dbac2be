"""Expert self-service: contact data, declarations of conflicts / relatives / past employers (read by recusal)."""

from datetime import date, datetime

from sqlalchemy import select

from engine.core import audit, inbox_index
from engine.core.clock import local_date
from engine.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.core.forms import load_form, validate_form
from engine.core.uow import unit_of_work
from engine.experts import ports
from engine.experts.models import ExitRecord, Expert, ExpertDeclaration
from engine.experts.roster import my_expert

CONTACT_FIELDS = ("phone", "email", "unit_name", "position")
PII_FIELDS = ("phone", "email")  # the audit log says that they changed, not what to
SEARCHED_FIELDS = ("name", "id_number", "unit_name")  # what engine.experts.search_facts.expert_facts reads


def apply_profile(session, expert: Expert, updates: dict, actor, now: datetime) -> dict:
    """Apply changed fields to the expert; a new unit makes the old one a past employer (Art 11(5): 3 years);
    the open tasks about the expert are found by the new facts at once (their inbox rows refreshed).

    Returns {field: (before, after)} of what changed, PII values masked.
    """
    changed = {}
    for name, value in updates.items():
        if value in (None, "") or getattr(expert, name) == value:
            continue
        before = getattr(expert, name)
        if name == "unit_name" and before:
            session.add(ExpertDeclaration(
                expert_id=expert.id, kind="employment", org_name=before, credit_code="", start=None,
                end=local_date(now), note="更换工作单位时自动登记的原工作单位", declared_at=now))
        setattr(expert, name, value)
        changed[name] = ("已更新", "已更新") if name in PII_FIELDS else (before, value)
    if any(name in changed for name in SEARCHED_FIELDS):
        inbox_index.refresh(session, ports.expert_instances(session, expert.id))
    return changed


def update_contact(session, actor, raw: dict, now: datetime) -> dict:
    """The expert updates phone, e-mail, unit and position (one unit of work, audited); returns what changed."""
    with unit_of_work(session):
        expert = my_expert(session, actor)
        cleaned = validate_form(load_form("expert_contact"), raw)
        changed = apply_profile(session, expert, {k: cleaned.get(k) for k in CONTACT_FIELDS}, actor, now)
        if changed:
            audit.record(session, "expert_contact_updated", actor, now,
                         after={"expert_id": expert.id, "changed": {k: list(v) for k, v in changed.items()}})
    return changed


def _clean_declaration(raw: dict) -> dict:
    raw = dict(raw)
    raw["credit_code"] = (raw.get("credit_code") or "").strip().upper()
    cleaned = validate_form(load_form("expert_declaration"), raw)
    start, end = cleaned.get("start"), cleaned.get("end")
    if start and end and end < start:
        raise ValidationFailed({"end": "结束日期不能早于开始日期"})
    return cleaned


def add_declaration(session, actor, raw: dict, now: datetime) -> ExpertDeclaration:
    """Declare an affiliation, a relative's organisation or another conflict (Art 11(5)); recusal reads it."""
    with unit_of_work(session):
        expert = my_expert(session, actor)
        cleaned = _clean_declaration(raw)
        if cleaned.get("start") and date.fromisoformat(cleaned["start"]) > local_date(now):
            raise ValidationFailed({"start": "开始日期不能晚于今天"})
        row = ExpertDeclaration(
            expert_id=expert.id, kind=cleaned["kind"], org_name=cleaned["org_name"],
            credit_code=cleaned.get("credit_code") or "",
            start=date.fromisoformat(cleaned["start"]) if cleaned.get("start") else None,
            end=date.fromisoformat(cleaned["end"]) if cleaned.get("end") else None,
            note=cleaned.get("note") or "", declared_at=now)
        session.add(row)
        session.flush()
        audit.record(session, "declaration_added", actor, now, after={
            "expert_id": expert.id, "declaration_id": row.id, "kind": row.kind, "org_name": row.org_name,
            "credit_code": row.credit_code})
    return row


def end_declaration(session, actor, declaration_id: int, now: datetime) -> ExpertDeclaration:
    """End an ongoing declaration as of today (it stays on record: recusal looks back 3 years)."""
    with unit_of_work(session):
        expert = my_expert(session, actor)
        row = session.get(ExpertDeclaration, declaration_id)
        if row is None:
            raise NotFound("申报记录不存在")
        if row.expert_id != expert.id:
            raise Forbidden("只能修改本人的申报")
        today = local_date(now)
        if row.end is not None and row.end <= today:
            raise Conflict("该申报已经结束")
        row.end = today
        audit.record(session, "declaration_ended", actor, now, after={
            "expert_id": expert.id, "declaration_id": row.id, "end": today.isoformat()})
    return row


def declarations_of(session, expert_id: int) -> list[ExpertDeclaration]:
    """An expert's declarations, newest first."""
    return list(session.scalars(select(ExpertDeclaration).where(ExpertDeclaration.expert_id == expert_id)
                                .order_by(ExpertDeclaration.declared_at.desc(), ExpertDeclaration.id.desc())))


def my_record(session, actor) -> dict:
    """The expert's own roster page: the record, term, declarations and exit record (each procedure adds its
    own part of the page: engagements, evaluations, exit and renewal cases)."""
    expert = my_expert(session, actor)
    return {"expert": expert, "declarations": declarations_of(session, expert.id),
            "record": session.scalar(select(ExitRecord).where(ExitRecord.expert_id == expert.id))}
