"""Host functions, form hooks and task-page context of annual_evaluation.bpmn (Art 14).

The form hooks validate what the generic task services cannot know (附件3's explanation rule).
"""

from sqlalchemy import select

from engine.core.contributions import Contributions
from engine.core.scripting import HostContext
from engine.evaluation import queries
from engine.evaluation import services as evaluations
from engine.evaluation.models import Evaluation, EvaluationCampaign
from engine.experts.models import Expert

exports = Contributions()  # installed by engine.bootstrap


@exports.host_function("record_group_rating")
def record_group_rating(ctx: HostContext, evaluation_id, values) -> dict:
    """Store the 专家组评价 of one 评价表."""
    return evaluations.record_group(ctx.session, evaluation_id, values, ctx.actor, ctx.now)


@exports.host_function("finalize_evaluation")
def finalize_evaluation(ctx: HostContext, evaluation_id, values) -> dict:
    """Store talent_center's opinion and overall rating and freeze the form's usage records."""
    return evaluations.finalize(ctx.session, evaluation_id, values, ctx.actor, ctx.now)


@exports.host_function("mark_evaluation_overdue")
def mark_evaluation_overdue(ctx: HostContext, evaluation_id, stage) -> dict:
    """The 31 December deadline passed with the form still open at `stage`."""
    return evaluations.mark_overdue(ctx.session, evaluation_id, stage, ctx.now)


@exports.host_function("propose_exit_review")
def propose_exit_review(ctx: HostContext, evaluation_id) -> dict:
    """A 差 overall rating: start an exit review for talent_center (not an exit)."""
    return evaluations.propose_exit(ctx.session, evaluation_id, ctx.actor, ctx.now)


@exports.form_hook("evaluation_group")
def check_group_rating(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """附件3: 优秀 or 差 need a specific written explanation."""
    evaluations.check_values(cleaned, "rating")
    return cleaned


@exports.form_hook("evaluation_group_paper")
def enter_group_paper(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """附件3 rules on the paper opinion, then record it as entered by talent_center (the task decides it)."""
    evaluations.check_values(cleaned, "rating")
    evaluation_id = queries.evaluation_id_for_instance(ctx.session, task_row.instance_id)
    evaluations.record_group_paper(ctx.session, evaluation_id, cleaned, ctx.actor, ctx.now)
    return cleaned


@exports.form_hook("evaluation_center")
def check_center_rating(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """附件3: the overall rating 优秀 or 差 needs a specific written explanation."""
    evaluations.check_values(cleaned, "overall_rating")
    return cleaned


@exports.task_context("annual_evaluation")
def evaluation_task_context(session, task_row, viewer) -> dict:
    """Which 评价表 a campaign task belongs to, for a link from the generic task page."""
    evaluation = session.scalar(select(Evaluation).where(Evaluation.instance_id == task_row.instance_id))
    if evaluation is None:
        return {}
    run = session.get(EvaluationCampaign, evaluation.campaign_id)
    rater = session.get(Expert, evaluation.rater_expert_id) if evaluation.rater_expert_id else None
    return {"evaluation_id": evaluation.id, "expert_name": session.get(Expert, evaluation.expert_id).name,
            "year": run.year if run else "", "rater_name": rater.name if rater else "",
            "paper": evaluation.rater_user_id is None and rater is not None}
