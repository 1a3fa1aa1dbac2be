"""The expert's exit cases for their history page (engine.experts.history, via the expert_cases port)."""

from sqlalchemy import select

from engine.exit.models import ExitCase
from engine.exit.status import ExitCaseStatus
from engine.experts.history import HistoryItem
from rules.exit import ground_label


def expert_cases(session, expert_id: int) -> list[HistoryItem]:
    """Each exit case (Art 15, 10(4)): its ground and outcome."""
    cases = session.scalars(select(ExitCase).where(ExitCase.expert_id == expert_id).order_by(ExitCase.id))
    return [HistoryItem("退出", c.created_at, f"退出程序：{ground_label(c.ground) or c.trigger}",
                        ExitCaseStatus.labels().get(c.status, c.status) + (f"；{c.outcome_note}" if c.outcome_note else ""),
                        c.instance_id) for c in cases]
