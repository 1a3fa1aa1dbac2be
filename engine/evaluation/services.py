"""Evaluation forms (附件3) in their process: ratings recorded, finalized, overdue marks, bulk handling, reminders."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from engine.core import jobruns
from engine.core.clock import local_date
from engine.core.contributions import Contributions
from engine.core.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed
from engine.core.forms import load_form, validate_form
from engine.core.models import HumanTask
from engine.core.status import TaskState
from engine.core.uow import unit_of_work
from engine.evaluation import ports, records
from engine.evaluation.models import Evaluation, EvaluationCampaign
from engine.evaluation.status import CampaignStatus, EvaluationStatus
from engine.platform import policy
from engine.platform.notifications import notify
from engine.platform.roles import users_with_role
from engine.tasks import services as task_service
from engine.tasks.services import BulkResult
from rules.evaluation import RATINGS, check_rating, is_overdue, reminder_dates

exports = Contributions()  # installed by engine.bootstrap

REMINDER_JOB = "evaluation_reminders"
CENTER_STEP = "center_evaluation"


def get_evaluation(session, evaluation_id) -> Evaluation:
    """An evaluation by id (404 when unknown)."""
    evaluation = session.get(Evaluation, int(evaluation_id))
    if evaluation is None:
        raise NotFound("评价表不存在")
    return evaluation


def check_values(values: dict, rating_field: str) -> None:
    """附件3 rules on a submitted rating: a valid grade, and a specific explanation for 优秀 / 差."""
    errors = check_rating(values.get(rating_field), values.get("opinion"), rating_field=rating_field)
    if errors:
        raise ValidationFailed(errors)


def record_group(session, evaluation_id, values: dict, actor, now: datetime) -> dict:
    """Store the group leader's rating and opinion; the form moves on to talent_center."""
    evaluation = get_evaluation(session, evaluation_id)
    evaluation.group_rating, evaluation.group_opinion = values["rating"], values["opinion"]
    evaluation.group_rated_by, evaluation.group_rated_at = getattr(actor, "id", None), now
    evaluation.status = EvaluationStatus.CENTER_PENDING
    return {"rating": evaluation.group_rating}


def record_group_paper(session, evaluation_id, values: dict, actor, now: datetime) -> dict:
    """talent_center enters the signed paper opinion of a rater without an account: recorded as such, with who
    entered it and the scan; the form moves on to talent_center's own evaluation."""
    evaluation = get_evaluation(session, evaluation_id)
    if evaluation.status != EvaluationStatus.GROUP_PENDING or evaluation.rater_expert_id is None:
        raise Conflict("该评价表不在录入专家组纸质评价意见环节")
    evaluation.group_rating, evaluation.group_opinion = values["rating"], values["opinion"]
    evaluation.group_rated_by, evaluation.group_rated_at = None, now  # the rater has no account to act with
    evaluation.group_paper_entered_by, evaluation.group_paper_scan_ids = actor.id, list(values["scan"])
    evaluation.status = EvaluationStatus.CENTER_PENDING
    return {"rating": evaluation.group_rating}


def finalize(session, evaluation_id, values: dict, actor, now: datetime) -> dict:
    """Store talent_center's opinion and overall rating; freeze the usage records and counts shown on the form."""
    evaluation = get_evaluation(session, evaluation_id)
    year = session.scalar(select(EvaluationCampaign.year).where(EvaluationCampaign.id == evaluation.campaign_id))
    counts = ports.usage_counts(session, evaluation.expert_id, year)
    evaluation.center_opinion, evaluation.overall_rating = values["opinion"], values["overall_rating"]
    evaluation.center_rated_by, evaluation.finalized_at = getattr(actor, "id", None), now
    evaluation.status = EvaluationStatus.FINALIZED
    evaluation.this_year_count, evaluation.total_count = counts.this_year, counts.cumulative
    evaluation.usage_snapshot = records.usage_records(session, evaluation.expert_id, year)
    return {"overall_rating": evaluation.overall_rating, "this_year_count": counts.this_year,
            "total_count": counts.cumulative}


def mark_overdue(session, evaluation_id, stage: str, now: datetime) -> dict:
    """The deadline passed with this form still open: flag it (its open task is already due at the timer)."""
    evaluation = get_evaluation(session, evaluation_id)
    evaluation.overdue_at = evaluation.overdue_at or now
    return {"stage": stage, "overdue": True}


def propose_exit(session, evaluation_id, actor, now: datetime) -> dict:
    """A 差 overall rating proposes an exit review for talent_center (Art 15); never an automatic exit."""
    evaluation = get_evaluation(session, evaluation_id)
    year = session.scalar(select(EvaluationCampaign.year).where(EvaluationCampaign.id == evaluation.campaign_id))
    facts = (f"{year}年度履职评价总评价为“差”。专家组意见：{evaluation.group_opinion or '（无）'}；"
             f"人才开发中心意见：{evaluation.center_opinion}")
    # An exit case already open carries the rating as a note linking this 评价表 (and reviews it on its own if
    # that case ends without exit): the rating is never lost.
    case = ports.propose_exit(session, evaluation.expert_id, "poor_rating", f"poor_rating:{year}", facts, actor, now,
                              link=f"/yearly/evaluations/{evaluation.id}")
    evaluation.exit_case_id = case.id if case is not None else None
    return {"exit_case_id": evaluation.exit_case_id}


def _open_center_task(session, evaluation: Evaluation) -> HumanTask | None:
    return session.scalar(select(HumanTask).where(
        HumanTask.instance_id == evaluation.instance_id, HumanTask.bpmn_id == CENTER_STEP,
        HumanTask.state == TaskState.OPEN))


def _bulk_values(session, evaluation_id: int, cleaned: dict) -> tuple[int, dict]:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound("评价表不存在")
    task = _open_center_task(session, evaluation)
    if task is None:
        raise Conflict("该评价表不在人才开发中心评价环节")
    overall = evaluation.group_rating if cleaned["mode"] == "adopt" else cleaned["mode"]
    if overall not in RATINGS:
        raise Conflict("该专家没有专家组评价，不能采用专家组评价")
    return task.id, {"opinion": cleaned["opinion"], "overall_rating": overall}


def bulk_finalize(session, actor, evaluation_ids: list[int], raw: dict, now: datetime) -> list[BulkResult]:
    """talent_center finalizes many forms with one opinion (each its own unit of work); per-item results."""
    if not policy.allows(actor, policy.RUN_CAMPAIGN):
        raise Forbidden("只有人才开发中心可以批量评价")
    cleaned = validate_form(load_form("evaluation_bulk"), raw)
    if not evaluation_ids:
        raise ValidationFailed({"evaluation_ids": "请至少勾选一份评价表"})
    results = []
    for evaluation_id in evaluation_ids:
        try:
            task_id, values = _bulk_values(session, evaluation_id, cleaned)
            task_service.complete(session, task_id, actor, values, {}, now)
            results.append(BulkResult(evaluation_id, True, "已完成评价"))
        except ServiceError as exc:
            session.rollback()
            results.append(BulkResult(evaluation_id, False, exc.summary()))
    return results


def _digest_kind(deadline, today) -> str | None:
    if today in reminder_dates(deadline):
        return "reminder"
    if is_overdue(deadline, today) and (today == deadline + timedelta(days=1) or today.weekday() == 0):
        return "overdue"
    return None


def _open_counts(session, campaign_id: int) -> list[tuple[int | None, str | None, int]]:
    return session.execute(
        select(HumanTask.assignee_id, HumanTask.lane_role, func.count())
        .join(Evaluation, Evaluation.instance_id == HumanTask.instance_id)
        .where(Evaluation.campaign_id == campaign_id, HumanTask.state == TaskState.OPEN)
        .group_by(HumanTask.assignee_id, HumanTask.lane_role)).all()


def _send_digests(session, campaign: EvaluationCampaign, kind: str, now: datetime) -> int:
    subject = f"{campaign.year}年度专家履职评价{'即将截止' if kind == 'reminder' else '已逾期'}"
    when = f"截止{campaign.deadline.isoformat()}" if kind == "reminder" else f"已超过{campaign.deadline.isoformat()}的期限"
    link = f"/yearly/campaigns/{campaign.year}"
    sent = 0
    for assignee_id, lane_role, count in _open_counts(session, campaign.id):
        users = [assignee_id] if assignee_id else users_with_role(session, lane_role or policy.TALENT_CENTER)
        notify(session, users, subject, f"您有{count}份《专家履职情况评价表》尚未完成，{when}（第十四条）。", now, link=link)
        sent += len(users)
    return sent


@exports.scheduled(REMINDER_JOB, "cron", hour=9, minute=0)
def reminders_job(session, now: datetime) -> dict:
    """Daily 09:00 local: one digest per rater on the reminder days, and overdue digests after the deadline."""
    today, sent = local_date(now), 0
    campaigns = session.scalars(select(EvaluationCampaign)
                                .where(EvaluationCampaign.status == CampaignStatus.OPEN)).all()
    for campaign in campaigns:
        kind = _digest_kind(campaign.deadline, today)
        if kind is None:
            continue
        key = f"{campaign.year}:{today.isoformat()}"
        with unit_of_work(session):
            if jobruns.claim(session, REMINDER_JOB, key, now) is None:
                continue
            count = _send_digests(session, campaign, kind, now)
            jobruns.finish(session, REMINDER_JOB, key, now, {"kind": kind, "recipients": count})
            sent += count
    return {"sent": sent}
