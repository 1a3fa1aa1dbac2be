"""专家组 (Art 9): every group's composition, proposals by 质量监督处, and each change's page; the approval runs
in the group_change process (the one task page). Thin views: validate, call one service, render/redirect."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.core.errors import ValidationFailed
from engine.groups import queries as group_pages
from engine.groups import services as groups
from engine.platform import policy
from webui.auth import requires
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("groups", __name__, url_prefix="/workbench", template_folder="templates")


@bp.route("/groups", endpoint="index")
@requires(policy.VIEW_GROUPS)
def groups_page():
    """专家组 (Art 9): composition of every group, proposal forms, and the history of changes."""
    page = group_pages.groups_page(db.session, current_user)
    return render_template("groups/index.html", states=page.states, changes=page.changes, errors={}, form={})


def _proposal(kind: str) -> dict:
    raw = {k: request.form.get(k, "") for k in ("group_id", "code", "name", "leader", "reason")}
    raw["deputies"] = request.form.getlist("deputies")
    teams = zip(request.form.getlist("team_name"), request.form.getlist("team_lead"),
                request.form.getlist("team_method"), strict=False)
    raw["teams"] = [{"name": n, "lead": lead, "lead_method": m} for n, lead, m in teams if n.strip() or lead]
    return raw


@bp.route("/groups/propose/<kind>", methods=["POST"])
@requires(policy.PROPOSE_GROUP_CHANGE)
def propose(kind: str):
    """质量监督处 proposes a group change; it goes to 局领导 for approval (group_change process)."""
    try:
        change = groups.propose(db.session, current_user, kind, _proposal(kind), now())
    except ValidationFailed as exc:
        page = group_pages.groups_page(db.session, current_user)
        return render_template("groups/index.html", states=page.states, changes=page.changes, errors=exc.errors,
                               message=exc.message, form=request.form, kind=kind), 422
    flash(f"已提出：{change.summary}；已报局领导审批。", "success")
    return redirect(url_for("groups.change", change_id=change.id))


@bp.route("/groups/changes/<int:change_id>")
@requires(policy.VIEW_GROUPS)
def change(change_id: int):
    """One group change: proposal, state before, decision, and why it did not take effect."""
    item = groups.get_change(db.session, current_user, change_id)
    return render_template("groups/change.html", change=item, states=groups.overview(db.session, current_user))
