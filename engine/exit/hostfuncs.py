"""Host functions and form hooks of exit.bpmn (Art 15, 10(4)).

The review hook keeps the voluntary-withdrawal right (Art 10(4)): a withdrawal cannot be refused.
"""

from engine.core.contributions import Contributions
from engine.core.scripting import HostContext
from engine.exit import services as exits
from engine.exit.status import ExitCaseStatus

exports = Contributions()  # installed by engine.bootstrap


@exports.host_function("close_exit_case")
def close_exit_case(ctx: HostContext, case_id, status, note=None) -> dict:
    """End an exit case without an exit (dismissed / not agreed / not approved); proposals attached to it meanwhile
    get a case of their own."""
    closed = exits.close_case(ctx.session, case_id, ExitCaseStatus(status), note, ctx.now)
    return closed | exits.follow_up(ctx.session, case_id, ctx.now)


@exports.host_function("exit_expert")
def exit_expert(ctx: HostContext, case_id, notice_no, notice_date) -> dict:
    """The approved exit: status, exit record, engagements released for redraw."""
    return exits.exit_expert(ctx.session, case_id, notice_no, notice_date, ctx.actor, ctx.now)


@exports.host_function("propose_exit")
def propose_exit(ctx: HostContext, expert_id, trigger, key, facts) -> dict:
    """For other processes (e.g. a failure to recuse found during assignment): propose an exit review once."""
    case = exits.propose(ctx.session, int(expert_id), trigger, key, facts, ctx.actor, ctx.now)
    return {"exit_case_id": case.id if case is not None else None}


@exports.form_hook("exit_center_review")
def review_exit(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """Voluntary withdrawals cannot be refused; the ground is settled and evidence added to the case."""
    return exits.review(ctx.session, task_row, cleaned)


@exports.form_hook("exit_division_review")
@exports.form_hook("exit_leader_approval")
def no_refused_withdrawal(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """Art 10(4): quality_division and the leader cannot refuse a voluntary withdrawal (instances of versions
    deployed before it got its own steps offer the refusal)."""
    return exits.refuse_no_withdrawal(ctx.session, task_row, cleaned)
