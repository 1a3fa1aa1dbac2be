"""Exits (Art 15, 10(4)): talent_center proposes an exit with evidence; one exit case page.

Thin views: parse the request, call one service or query, render or redirect."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.core.errors import ValidationFailed
from engine.core.forms import load_form
from engine.exit import queries as exit_queries
from engine.exit import services as exits
from engine.platform import policy
from webui.auth import requires
from webui.extensions import db
from webui.forms_render import form_context, read_submission
from webui.labels import LABELS
from webui.timeutil import now

bp = Blueprint("exit", __name__, template_folder="templates")


def _exit_form(values=None, errors=None, status: int = 200):
    ctx = form_context(load_form("exit_start"), {}, values, errors)
    return render_template("exit/new.html", ctx=ctx, **LABELS), status


@bp.route("/yearly/exits/new", methods=["GET", "POST"], endpoint="new")
@requires(policy.START_EXIT)
def exit_new():
    """talent_center proposes an exit on one of Art 15's grounds with evidence."""
    if request.method == "GET":
        return _exit_form({"expert_id": request.args.get("expert_id", "")})
    raw, files = read_submission(load_form("exit_start"), request.form, request.files)
    try:
        case = exits.start_exit(db.session, current_user, raw, files, now())
    except ValidationFailed as exc:
        return _exit_form(raw, exc.errors, 422)
    flash("已提出出库，进入人才开发中心审查。", "success")
    return redirect(url_for("exit.case", case_id=case.id))


@bp.route("/yearly/exits/<int:case_id>", endpoint="case")
@login_required
def exit_case(case_id: int):
    """One exit case: expert, ground, evidence, where it stands, the record once exited."""
    return render_template("exit/case.html", data=exit_queries.exit_view(db.session, current_user, case_id), **LABELS)
