"""The expert's yearly evaluations for their history page (engine.experts.history, via the expert_cases port)."""

from sqlalchemy import select

from engine.evaluation.models import Evaluation, EvaluationCampaign
from engine.evaluation.status import EvaluationStatus
from engine.experts.history import HistoryItem
from rules.evaluation import rating_label


def expert_cases(session, expert_id: int) -> list[HistoryItem]:
    """Each 评价表 (Art 14): year, status, the group's and the overall rating."""
    rows = session.execute(select(Evaluation, EvaluationCampaign.year).join(
        EvaluationCampaign, EvaluationCampaign.id == Evaluation.campaign_id).where(
        Evaluation.expert_id == expert_id).order_by(Evaluation.id)).all()
    return [HistoryItem("评价", e.created_at, f"{year} 年度履职评价",
                        f"{EvaluationStatus.labels().get(e.status, e.status)}；专家组评价 "
                        f"{rating_label(e.group_rating) or '—'}；综合评价 {rating_label(e.overall_rating) or '—'}",
                        e.instance_id) for e, year in rows]
