"""What the using units recorded about an expert's work (附件3 任务完成情况, 备注 counts), read from engagements."""

from datetime import date

from sqlalchemy import select

from engine.assignment.models import WORK_TYPES, WorkRequest
from engine.experts.models import COMPLETION, USAGE_RATINGS, Engagement, UsageRecord
from engine.platform.models import Unit
from rules.evaluation import COUNTED_STATUSES, UsageCounts, UsageFact, usage_counts

# The usage form's compliance answers; rating codes are shared with professional level and attitude.
COMPLIANCE = USAGE_RATINGS | {"complied": "遵守", "partly": "基本遵守", "violated": "违反"}


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
        "completion": _label(COMPLETION, usage.completion) if usage else "",
        "professional_level": _label(USAGE_RATINGS, usage.professional_level) if usage else "",
        "attitude": _label(USAGE_RATINGS, usage.attitude) if usage else "",
        "commitment_compliance": _label(COMPLIANCE, usage.commitment_compliance) if usage else "",
        "comment": usage.comment if usage else "",
    }


