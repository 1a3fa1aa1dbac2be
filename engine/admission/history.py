"""The expert's applications for their history page (engine.experts.history, via the expert_cases port)."""

from sqlalchemy import select

from engine.admission.models import Application
from engine.admission.status import ApplicationStatus
from engine.experts.history import HistoryItem

ROUTES = {"public": "公开遴选", "invited": "定向邀请"}  # Art 8(一), 8(二)


def expert_cases(session, expert_id: int) -> list[HistoryItem]:
    """Each application that led to (or belongs to) this expert: route, paper or online, status."""
    apps = session.scalars(select(Application).where(Application.expert_id == expert_id).order_by(Application.id))
    return [HistoryItem("申请与审核", a.created_at, f"入库申请（{ROUTES.get(a.route, a.route)}{'，纸质' if a.paper else ''}）",
                        ApplicationStatus.labels().get(a.status, a.status), a.instance_id) for a in apps]
