"""The expert roster every procedure shares (Art 8, 15): term dates, certificate numbers, the acting expert,
and the exit record that takes an expert out of the pool (kept, never deleted, never drawn again)."""

from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from engine.core import audit
from engine.core.errors import Conflict, NotFound
from engine.core.models import Counter
from engine.experts import ports
from engine.experts.models import ExitRecord, Expert
from engine.experts.status import ExpertStatus
from engine.platform import policy
from rules.exit import ground_label


def my_expert(session, actor) -> Expert:
    """The expert record of the acting user (404 when they are not an expert)."""
    expert = session.scalar(select(Expert).where(Expert.user_id == actor.id))
    if expert is None or not policy.allows(actor, policy.EXPERT_SELF_SERVICE):
        raise NotFound("您的账号没有关联的专家档案")
    return expert


def record_exit(session, expert: Expert, ground: str, source: str, exited_on: date, actor, now: datetime,
                **fields) -> ExitRecord:
    """Mark the expert out of the pool (kept, never deleted) and release their open engagements."""
    if session.scalar(select(ExitRecord.id).where(ExitRecord.expert_id == expert.id)) is not None:
        raise Conflict(f"{expert.name}已有出库记录")
    before = expert.status
    expert.status = ExpertStatus.EXPIRED if ground == "term_lapsed" else ExpertStatus.EXITED
    record = ExitRecord(expert_id=expert.id, ground=ground, source=source, exited_on=exited_on, recorded_at=now,
                        recorded_by=getattr(actor, "id", None), **fields)
    session.add(record)
    session.flush()
    audit.record(session, "expert_exited", actor, now, after={
        "expert_id": expert.id, "status_before": before, "status": expert.status, "ground": ground,
        "exited_on": exited_on.isoformat(), "notice_no": record.notice_no})
    # The assignment procedure releases the open engagements and redraws them (same unit of work).
    ports.release_engagements(session, expert.id, f"专家出库：{ground_label(ground)}", actor, now)
    return record


def next_number(session, name: str) -> int:
    """Increment a named counter atomically (row lock on PostgreSQL; SQLite serializes writers)."""
    updated = session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1))
    if updated.rowcount == 0:
        session.add(Counter(name=name, value=1))
        session.flush()
        return 1
    return session.scalar(select(Counter.value).where(Counter.name == name))


def certificate_number(session, year: int) -> str:
    """The next 聘书 number of the year, e.g. 闽质安专聘〔2026〕0007号."""
    return f"闽质安专聘〔{year}〕{next_number(session, f'certificate:{year}'):04d}号"


def term_end(start: date, years: int) -> date:
    """Last day of a term of `years` starting on `start` (Art 8: 3 years)."""
    try:
        return start.replace(year=start.year + years) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)
