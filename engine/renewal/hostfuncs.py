"""Host functions and form hooks of term_renewal.bpmn (Art 8: three-year terms, renewal on recheck).
"""

from engine.core.contributions import Contributions
from engine.core.scripting import HostContext
from engine.renewal import services as renewals

exports = Contributions()  # installed by engine.bootstrap


@exports.host_function("recheck_renewal")
def recheck_renewal(ctx: HostContext, renewal_id, thresholds=None) -> dict:
    """Art 6 recheck on the expert's updated data."""
    return renewals.recheck(ctx.session, renewal_id, thresholds, ctx.now)


@exports.host_function("renew_term")
def renew_term(ctx: HostContext, renewal_id) -> dict:
    """A new 3-year term and certificate."""
    return renewals.renew(ctx.session, renewal_id, ctx.actor, ctx.now)


@exports.host_function("mark_not_renewing")
def mark_not_renewing(ctx: HostContext, renewal_id) -> dict:
    """Not renewed: the term runs out. Kept for instances on term_renewal versions with the service task
    mark_not_renewing_task (versions are immutable); current versions record it in the deciding form hooks."""
    return renewals.not_renewing(ctx.session, renewal_id, ctx.now)


@exports.host_function("lapse_term")
def lapse_term(ctx: HostContext, renewal_id) -> dict:
    """The term ended without renewal: expired, with an exit record."""
    return renewals.lapse(ctx.session, renewal_id, ctx.actor, ctx.now)


@exports.form_hook("renewal_confirm")
def confirm_renewal(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """Keep the expert's updated data on the renewal case; a refusal lets the term run out."""
    return renewals.confirm(ctx.session, task_row, cleaned)


@exports.form_hook("renewal_division_review")
def review_renewal(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """quality_division does not agree to renew: the term runs out."""
    return renewals.review(ctx.session, task_row, cleaned, agreed="pass")


@exports.form_hook("renewal_leader_approval")
def approve_renewal(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """The bureau leader does not approve the renewal: the term runs out."""
    return renewals.review(ctx.session, task_row, cleaned, agreed="approve")
