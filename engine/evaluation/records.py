"""The usage records the 评价表 lists (附件3 任务完成情况), labelled from the usage form's choices."""

from sqlalchemy import select

from engine.evaluation import ports
from engine.experts.models import UsageRecord
from engine.experts.usage_labels import FIELDS, label


def relabel(record: dict, usage: UsageRecord | None = None) -> dict:
    """One record with its usage fields labelled by the form: from the stored codes when given, else from the
    values themselves (a snapshot frozen before holds the codes the old label map could not name, e.g. minor)."""
    if not record.get("recorded"):
        return record
    return record | {f: label(f, getattr(usage, f) if usage is not None else record.get(f)) for f in FIELDS}


def usage_records(session, expert_id: int, year: int) -> list[dict]:
    """The year's engagements with the using units' records (ports.usage_records), labelled from their codes."""
    records = ports.usage_records(session, expert_id, year)
    ids = [r["engagement_id"] for r in records if r.get("recorded")]
    stored = {u.engagement_id: u for u in session.scalars(
        select(UsageRecord).where(UsageRecord.engagement_id.in_(ids)))} if ids else {}
    return [relabel(r, stored.get(r["engagement_id"])) for r in records]
