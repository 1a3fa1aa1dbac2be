"""专家抽取与选派 pages: requests, the draw record, expert confirmation, approvals, usage, delegations.

Views stay thin: parse, call one service, render or redirect. Mail queued by a successful POST is sent
right after it (best effort); the scheduled outbox job catches up with anything left.
"""

import json
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.assignment import draw_views, queries, services
from engine.assignment import models as labels
from engine.core.errors import ValidationFailed
from engine.core.forms import load_form
from engine.experts import models as expert_labels
from engine.experts import usage_labels
from engine.platform import policy
from engine.tasks import services as task_service
from engine.tasks.services import dynamic_choices
from rules.recusal import EXCLUSION_LABELS
from webui.auth import requires
from webui.extensions import db
from webui.forms_render import form_context, read_submission
from webui.timeutil import now

bp = Blueprint("assignment", __name__, template_folder="templates")
NEW_DEFAULTS = {"n_experts": "2", "n_backups": "1", "backups_first": "on", "method": "random", "response_hours": "48"}
LABELS = {"work_types": labels.WORK_TYPES, "methods": labels.METHODS, "statuses": labels.REQUEST_STATUSES,
          "engagement_statuses": expert_labels.ENGAGEMENT_STATUSES, "roles": expert_labels.ENGAGEMENT_ROLES,
          "ratings": usage_labels.choice_labels()["professional_level"], "scopes": labels.DELEGATION_SCOPES,
          "completion": usage_labels.choice_labels()["completion"],  # usage labels: the usage form's own choices
          "exclusions": EXCLUSION_LABELS | {"engaged_in_request": "已由本申请指定", "same_entity": "同一法人单位"},
          "compliance": usage_labels.choice_labels()["commitment_compliance"]}


@bp.app_context_processor
def assignment_labels() -> dict:
    """Chinese labels of the assignment codes (also for the task-page partial the lead may include)."""
    return {"ASSIGNMENT": LABELS}


@bp.route("/assignment")
@requires(policy.VIEW_ASSIGNMENT)
def index():
    """The unit's requests, the expert's engagements, or the staff overview (by role)."""
    status = request.args.get("status", "")
    rows = queries.list_requests(db.session, current_user, status)
    mine = queries.my_engagements(db.session, current_user)
    return render_template("assignment/index.html", rows=rows, status=status,
                           confirmed=queries.confirmed_counts(db.session, [r.id for r in rows]), mine=mine,
                           answer_by=queries.confirm_deadlines(db.session, [e.id for e, _ in mine]))


def _render_new(values=None, errors=None, status=200):
    ctx = form_context(load_form("work_request"), dynamic_choices(db.session), values or NEW_DEFAULTS, errors)
    return render_template("assignment/new.html", ctx=ctx), status


@bp.route("/assignment/requests/new", methods=["GET", "POST"])
@requires(policy.START_ASSIGNMENT)
def new():
    """The request form (用人申请); a random request is drawn as soon as it is submitted."""
    if request.method == "GET":
        return _render_new()
    raw, _ = read_submission(load_form("work_request"), request.form, request.files)
    try:
        created = services.create_request(db.session, current_user, raw, now())
    except ValidationFailed as exc:
        return _render_new(raw, exc.errors, 422)
    flash(f"已提交用人申请：{created.title}", "success")
    return redirect(url_for("assignment.detail", request_id=created.id))


@bp.route("/assignment/requests/<int:request_id>")
@login_required
def detail(request_id: int):
    """The request with its draw record, exclusions, experts and actions (names sealed by role)."""
    page = queries.request_page(db.session, current_user, request_id)
    return render_template("assignment/detail.html", page=page, r=page.request,
                           groups=queries.group_names(db.session))


@bp.route("/assignment/draws/<int:draw_id>/verify")
@login_required
def verify(draw_id: int):
    """Recompute a draw from its record and show match / mismatch (details sealed by role)."""
    return render_template("assignment/verify.html", result=draw_views.verify_view(db.session, current_user, draw_id))


@bp.route("/assignment/draws/<int:draw_id>/export.json")
@login_required
def export(draw_id: int):
    """Download the draw record with its audit anchors (docs/draw-record.md); requester, talent_center, auditors."""
    data = draw_views.export_view(db.session, current_user, draw_id)
    return Response(json.dumps(data, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=draw-{draw_id}.json"})


@bp.route("/assignment/engagements/<int:engagement_id>")
@login_required
def engagement(engagement_id: int):
    """An engagement: the work, the parties (to check for conflicts) and the confirmation form when open."""
    row, req, task = queries.engagement_page(db.session, current_user, engagement_id)
    ctx = form_context(load_form("expert_confirmation")) if task else None
    return render_template("assignment/engagement.html", e=row, r=req, task=task, ctx=ctx)


@bp.route("/assignment/engagements/<int:engagement_id>/conflict", methods=["POST"])
@requires(policy.REPORT_CONFLICT)
def report_conflict(engagement_id: int):
    """Report a conflict found after the draw (Art 13 ¶3); the cancellation goes to approval."""
    row = services.report_conflict(db.session, engagement_id, current_user, request.form.get("reason", ""), now())
    flash("已报告回避情形，待审批取消后重新抽取。", "success")
    return redirect(url_for("assignment.detail", request_id=row.request_id))


def _assignment_task(task_id: int):
    task = task_service.get_task(db.session, task_id, current_user)
    if task.process_key != "assignment":
        abort(404)
    return task


@bp.route("/assignment/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int):
    """Old address of an assignment task: every task has one page, /tasks/<id> (308 keeps a POST)."""
    _assignment_task(task_id)
    return redirect(url_for("tasks.show", task_id=task_id), code=308)


@bp.route("/assignment/delegations", methods=["GET", "POST"])
@requires(policy.VIEW_DELEGATIONS)
def delegations():
    """Leaders authorize the quality division to approve (Art 13); others see the authorizations."""
    errors, values = {}, {}
    if request.method == "POST":
        if not policy.allows(current_user, policy.GRANT_DELEGATION):
            abort(403)
        values = {k: request.form.get(k, "") for k in ("scope", "valid_from", "valid_until", "note")}
        try:
            services.grant_delegation(db.session, current_user, values["scope"], _date(values["valid_from"]),
                                      _date(values["valid_until"]), values["note"], now())
            flash("已授权质量监督处。", "success")
            return redirect(url_for("assignment.delegations"))
        except ValidationFailed as exc:
            errors = exc.errors
    return render_template("assignment/delegations.html", rows=queries.delegations(db.session), errors=errors,
                           values=values), 422 if errors else 200


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


@bp.route("/assignment/delegations/<int:delegation_id>/revoke", methods=["POST"])
@requires(policy.GRANT_DELEGATION)
def revoke(delegation_id: int):
    """Withdraw an authorization."""
    services.revoke_delegation(db.session, current_user, delegation_id, now())
    flash("已撤销授权。", "info")
    return redirect(url_for("assignment.delegations"))
