"""What the using units recorded about an expert's work (附件3 任务完成情况, 备注 counts), read from engagements."""

from datetime import date

from sqlalchemy import select

from engine.assignment.models import WORK_TYPES, WorkRequest
from engine.experts.models import Engagement, UsageRecord
from engine.experts.usage_labels import label
from engine.platform.models import Unit
from rules.evaluation import COUNTED_STATUSES, UsageCounts, UsageFact, usage_counts


def counts_for(session, expert_id: int, year: int) -> UsageCounts:
    """This year's and cumulative uses of one expert (rules.evaluation.usage_counts)."""
    facts = [UsageFact(start, status) for start, status in session.execute(
        select(Engagement.start_date, Engagement.status).where(Engagement.expert_id == expert_id))]
    return usage_counts(facts, year)


def _label(mapping: dict, code: str | None) -> str:
    return mapping.get(code or "", code or "")


def usage_records(session, expert_id: int, year: int) -> list[dict]:
    """The year's engagements taken on by the expert with the using unit's record of each (JSON-safe)."""
    rows = session.execute(
        select(Engagement, WorkRequest, Unit.name, UsageRecord)
        .join(WorkRequest, WorkRequest.id == Engagement.request_id)
        .join(Unit, Unit.id == WorkRequest.unit_id)
        .outerjoin(UsageRecord, UsageRecord.engagement_id == Engagement.id)
        .where(Engagement.expert_id == expert_id, Engagement.status.in_(COUNTED_STATUSES),
               Engagement.start_date >= date(year, 1, 1), Engagement.start_date <= date(year, 12, 31))
        .order_by(Engagement.start_date, Engagement.id)).all()
    return [_record(e, r, unit, u) for e, r, unit, u in rows]


def _record(engagement: Engagement, request: WorkRequest, unit_name: str, usage: UsageRecord | None) -> dict:
    return {
        "engagement_id": engagement.id, "start": engagement.start_date.isoformat(),
        "end": engagement.end_date.isoformat(), "title": request.title, "unit": unit_name,
        "work_type": _label(WORK_TYPES, request.work_type), "status": engagement.status,
        "recorded": usage is not None,
        # Labels from the usage_record form's own choices (one source: engine/experts/usage_labels.py).
        **{field: label(field, getattr(usage, field)) if usage else ""
           for field in ("completion", "professional_level", "attitude", "commitment_compliance")},
        "comment": usage.comment if usage else "",
    }


