"""Host functions and form hooks of the yearly processes (registered on import).

annual_evaluation.bpmn, exit.bpmn and term_renewal.bpmn call these by name from their service tasks; the
form hooks validate what the generic task services cannot know (附件3's explanation rule, the voluntary
withdrawal right) and keep the domain rows in step with the submitted forms.
"""

from sqlalchemy import select

from engine.hooks import form_hook, task_context
from engine.models.evaluation import Evaluation, EvaluationCampaign
from engine.models.experts import Expert
from engine.scripting import HostContext, host_function
from engine.yearly import campaign, evaluations, exits, renewals  # noqa: F401  (campaign registers its job)


# ----------------------------------------------------------------------- annual_evaluation (Art 14)
@host_function("record_group_rating")
def record_group_rating(ctx: HostContext, evaluation_id, values) -> dict:
    """Store the 专家组评价 of one 评价表."""
    return evaluations.record_group(ctx.session, evaluation_id, values, ctx.actor, ctx.now)


@host_function("finalize_evaluation")
def finalize_evaluation(ctx: HostContext, evaluation_id, values) -> dict:
    """Store talent_center's opinion and overall rating and freeze the form's usage records."""
    return evaluations.finalize(ctx.session, evaluation_id, values, ctx.actor, ctx.now)


@host_function("mark_evaluation_overdue")
def mark_evaluation_overdue(ctx: HostContext, evaluation_id, stage) -> dict:
    """The 31 December deadline passed with the form still open at `stage`."""
    return evaluations.mark_overdue(ctx.session, evaluation_id, stage, ctx.now)


@host_function("propose_exit_review")
def propose_exit_review(ctx: HostContext, evaluation_id) -> dict:
    """A 差 overall rating: start an exit review for talent_center (not an exit)."""
    return evaluations.propose_exit(ctx.session, evaluation_id, ctx.actor, ctx.now)


@form_hook("evaluation_group")
def check_group_rating(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """附件3: 优秀 or 差 need a specific written explanation."""
    evaluations.check_values(cleaned, "rating")
    return cleaned


@form_hook("evaluation_center")
def check_center_rating(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """附件3: the overall rating 优秀 or 差 needs a specific written explanation."""
    evaluations.check_values(cleaned, "overall_rating")
    return cleaned


# ----------------------------------------------------------------------- exit (Art 15, 10(4))
@host_function("close_exit_case")
def close_exit_case(ctx: HostContext, case_id, status, note=None) -> dict:
    """End an exit case without an exit (dismissed / not agreed / not approved)."""
    return exits.close_case(ctx.session, case_id, status, note, ctx.now)


@host_function("exit_expert")
def exit_expert(ctx: HostContext, case_id, notice_no, notice_date) -> dict:
    """The approved exit: status, exit record, engagements released for redraw."""
    return exits.exit_expert(ctx.session, case_id, notice_no, notice_date, ctx.actor, ctx.now)


@host_function("propose_exit")
def propose_exit(ctx: HostContext, expert_id, trigger, key, facts) -> dict:
    """For other processes (e.g. a failure to recuse found during assignment): propose an exit review once."""
    case = exits.propose(ctx.session, int(expert_id), trigger, key, facts, ctx.actor, ctx.now)
    return {"exit_case_id": case.id if case is not None else None}


@form_hook("exit_center_review")
def review_exit(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """Voluntary withdrawals cannot be refused; the ground is settled and evidence added to the case."""
    return exits.review(ctx.session, task_row, cleaned)


# ----------------------------------------------------------------------- term_renewal (Art 8)
@host_function("recheck_renewal")
def recheck_renewal(ctx: HostContext, renewal_id, thresholds=None) -> dict:
    """Art 6 recheck on the expert's updated data."""
    return renewals.recheck(ctx.session, renewal_id, thresholds, ctx.now)


@host_function("renew_term")
def renew_term(ctx: HostContext, renewal_id) -> dict:
    """A new 3-year term and certificate."""
    return renewals.renew(ctx.session, renewal_id, ctx.actor, ctx.now)


@host_function("mark_not_renewing")
def mark_not_renewing(ctx: HostContext, renewal_id) -> dict:
    """Not renewed: the term runs out. Kept for instances on term_renewal versions with the service task
    mark_not_renewing_task (versions are immutable); current versions record it in the deciding form hooks."""
    return renewals.not_renewing(ctx.session, renewal_id, ctx.now)


@host_function("lapse_term")
def lapse_term(ctx: HostContext, renewal_id) -> dict:
    """The term ended without renewal: expired, with an exit record."""
    return renewals.lapse(ctx.session, renewal_id, ctx.actor, ctx.now)


@form_hook("renewal_confirm")
def confirm_renewal(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """Keep the expert's updated data on the renewal case; a refusal lets the term run out."""
    return renewals.confirm(ctx.session, task_row, cleaned)


@form_hook("renewal_division_review")
def review_renewal(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """quality_division does not agree to renew: the term runs out."""
    return renewals.review(ctx.session, task_row, cleaned, agreed="pass")


@form_hook("renewal_leader_approval")
def approve_renewal(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """The bureau leader does not approve the renewal: the term runs out."""
    return renewals.review(ctx.session, task_row, cleaned, agreed="approve")


@task_context("annual_evaluation")
def evaluation_task_context(session, task_row, viewer) -> dict:
    """Which 评价表 a campaign task belongs to, for a link from the generic task page."""
    evaluation = session.scalar(select(Evaluation).where(Evaluation.instance_id == task_row.instance_id))
    if evaluation is None:
        return {}
    run = session.get(EvaluationCampaign, evaluation.campaign_id)
    return {"evaluation_id": evaluation.id, "expert_name": session.get(Expert, evaluation.expert_id).name,
            "year": run.year if run else ""}
