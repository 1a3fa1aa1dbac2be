"""Read-only views of the yearly records for the UI and exports, with their access checks (no Flask)."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select

from engine.core import inbox
from engine.core.clock import local_date
from engine.core.errors import Forbidden, NotFound
from engine.core.models import HumanTask
from engine.evaluation import ports
from engine.evaluation import records as usage
from engine.evaluation.models import Evaluation, EvaluationCampaign
from engine.evaluation.status import EvaluationStatus
from engine.experts.models import ExitRecord, Expert, ExpertGroup
from engine.platform import policy
from engine.platform.models import User
from engine.platform.policy import is_overseer
from rules.evaluation import is_overdue, tally

PER_PAGE = 100




def campaign_tally(session, campaign: EvaluationCampaign, rater_id: int | None = None):
    """rules.evaluation.tally over a campaign (optionally one rater's forms)."""
    query = select(Evaluation.status, Evaluation.overall_rating).where(Evaluation.campaign_id == campaign.id)
    if rater_id is not None:
        query = query.where(Evaluation.rater_user_id == rater_id)
    return tally(session.execute(query).all())


def _overdue_count(session, campaign: EvaluationCampaign, today) -> int:
    if not is_overdue(campaign.deadline, today):
        return 0
    return session.scalar(select(func.count()).select_from(Evaluation).where(
        Evaluation.campaign_id == campaign.id, Evaluation.status != EvaluationStatus.FINALIZED)) or 0


def overview(session, viewer, now: datetime) -> dict:
    """Campaigns with their progress and recent exits (overseers); a group leader sees their own forms."""
    if not (is_overseer(viewer) or policy.allows(viewer, policy.RATE_EVALUATIONS)):
        raise Forbidden("您无权查看评价与出库情况")
    today = local_date(now)
    campaigns = session.scalars(select(EvaluationCampaign).order_by(EvaluationCampaign.year.desc())).all()
    rater = None if is_overseer(viewer) else viewer.id
    result = {"campaigns": [(c, campaign_tally(session, c, rater), _overdue_count(session, c, today) if rater is None
                             else 0) for c in campaigns], "records": []}
    if rater is None:
        result["records"] = session.execute(select(ExitRecord, Expert).join(Expert, Expert.id == ExitRecord.expert_id)
                                            .order_by(ExitRecord.id.desc()).limit(50)).all()
    return result




@dataclass
class CampaignFilter:
    """Filters of the campaign page."""

    status: str = ""
    group: str = ""
    rating: str = ""
    q: str = ""
    overdue: bool = False
    page: int = 1


def get_campaign(session, year: int) -> EvaluationCampaign:
    """A year's campaign (404 when not started)."""
    campaign = session.scalar(select(EvaluationCampaign).where(EvaluationCampaign.year == year))
    if campaign is None:
        raise NotFound(f"{year}年度评价尚未启动")
    return campaign


def _campaign_query(campaign, viewer, flt: CampaignFilter, today):
    query = (select(Evaluation, Expert).join(Expert, Expert.id == Evaluation.expert_id)
             .where(Evaluation.campaign_id == campaign.id))
    if not is_overseer(viewer):
        query = query.where(Evaluation.rater_user_id == viewer.id)
    if flt.status:
        query = query.where(Evaluation.status == flt.status)
    if flt.group:
        query = query.where(Evaluation.group_code == flt.group)
    if flt.rating:
        query = query.where(Evaluation.overall_rating == flt.rating)
    if flt.q:
        query = query.where(or_(Expert.name.like(f"%{flt.q}%"), Expert.unit_name.like(f"%{flt.q}%")))
    if flt.overdue:
        query = query.where(Evaluation.status != EvaluationStatus.FINALIZED) if is_overdue(campaign.deadline, today) \
            else query.where(False)
    return query


def campaign_page(session, viewer, year: int, flt: CampaignFilter, now: datetime) -> dict:
    """One campaign's forms (filtered, 100 per page) with its progress; leaders see only the forms they rate."""
    if not (is_overseer(viewer) or policy.allows(viewer, policy.RATE_EVALUATIONS)):
        raise Forbidden("您无权查看年度评价")
    campaign = get_campaign(session, year)
    today = local_date(now)
    query = _campaign_query(campaign, viewer, flt, today)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Expert.id).offset((max(1, flt.page) - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return {"campaign": campaign, "tally": campaign_tally(session, campaign, None if is_overseer(viewer) else viewer.id),
            "rows": rows, "total": total, "pages": max(1, -(-total // PER_PAGE)),
            "overdue": is_overdue(campaign.deadline, today),
            "groups": session.execute(select(ExpertGroup.code, ExpertGroup.name).order_by(ExpertGroup.sort_order)).all()}


def can_view_evaluation(session, viewer, evaluation: Evaluation) -> bool:
    """Overseers, the rater, and the expert themself once the form is final."""
    if is_overseer(viewer) or evaluation.rater_user_id == viewer.id:
        return True
    own = session.scalar(select(Expert.user_id).where(Expert.id == evaluation.expert_id)) == viewer.id
    return own and evaluation.status == EvaluationStatus.FINALIZED


@dataclass
class EvaluationView:
    """Everything the 评价表 shows (附件3) and the task the viewer may complete on it."""

    evaluation: Evaluation
    expert: Expert
    campaign: EvaluationCampaign
    records: list
    this_year: int
    cumulative: int
    names: dict = field(default_factory=dict)
    task: HumanTask | None = None
    rater_name: str = ""  # the post-holder whose opinion the 专家组评价 is (also when entered from paper)


def evaluation_id_for_instance(session, instance_id: int) -> int | None:
    """The 评价表 an annual_evaluation instance fills in."""
    return session.scalar(select(Evaluation.id).where(Evaluation.instance_id == instance_id))


def evaluation_view(session, viewer, evaluation_id: int) -> EvaluationView:
    """The 评价表: live usage records until finalized, the frozen ones after."""
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound("评价表不存在")
    if not can_view_evaluation(session, viewer, evaluation):
        raise Forbidden("您无权查看该评价表")
    campaign = session.get(EvaluationCampaign, evaluation.campaign_id)
    expert = session.get(Expert, evaluation.expert_id)
    if evaluation.status == EvaluationStatus.FINALIZED:
        rows, this_year, cumulative = ([usage.relabel(r) for r in evaluation.usage_snapshot or []],
                                       evaluation.this_year_count, evaluation.total_count)
    else:
        counts = ports.usage_counts(session, expert.id, campaign.year)
        rows, this_year, cumulative = (usage.usage_records(session, expert.id, campaign.year), counts.this_year,
                                       counts.cumulative)
    ids = {evaluation.rater_user_id, evaluation.group_rated_by, evaluation.center_rated_by,
           evaluation.group_paper_entered_by} - {None}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    rater = session.get(Expert, evaluation.rater_expert_id) if evaluation.rater_expert_id else None
    return EvaluationView(evaluation, expert, campaign, rows, this_year, cumulative, names,
                          inbox.my_open_task(session, viewer, evaluation.instance_id), rater.name if rater else "")










def my_evaluations(session, viewer) -> list[tuple]:
    """A group leader's open forms across campaigns."""
    return session.execute(
        select(Evaluation, Expert, EvaluationCampaign.year).join(Expert, Expert.id == Evaluation.expert_id)
        .join(EvaluationCampaign, EvaluationCampaign.id == Evaluation.campaign_id)
        .where(Evaluation.rater_user_id == viewer.id, Evaluation.status == EvaluationStatus.GROUP_PENDING)
        .order_by(EvaluationCampaign.year.desc(), Expert.id).limit(500)).all()



def final_evaluations_of(session, expert_id: int) -> list[tuple]:
    """An expert's finalized evaluations, newest year first: (evaluation, year)."""
    return session.execute(
        select(Evaluation, EvaluationCampaign.year).join(EvaluationCampaign, EvaluationCampaign.id == Evaluation.campaign_id)
        .where(Evaluation.expert_id == expert_id, Evaluation.status == EvaluationStatus.FINALIZED)
        .order_by(EvaluationCampaign.year.desc())).all()
