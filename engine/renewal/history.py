"""The expert's renewal cases for their history page (engine.experts.history, via the expert_cases port)."""

from sqlalchemy import select

from engine.experts.history import HistoryItem
from engine.renewal.models import RenewalCase
from engine.renewal.status import RenewalStatus


def expert_cases(session, expert_id: int) -> list[HistoryItem]:
    """Each term renewal (Art 8): the old term, the outcome and the new term with its certificate."""
    cases = session.scalars(select(RenewalCase).where(RenewalCase.expert_id == expert_id).order_by(RenewalCase.id))
    return [HistoryItem("续聘", c.created_at, f"续聘（原聘期至 {c.old_term_end}）",
                        RenewalStatus.labels().get(c.status, c.status)
                        + (f"；新聘期 {c.new_term_start} 至 {c.new_term_end}，聘书 {c.certificate_no}"
                           if c.new_term_end else ""), c.instance_id) for c in cases]
