"""故障 (incidents): failed automatic steps, shown to process owners and admins, retried once fixed."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.core import incidents
from engine.platform import policy
from webui.auth import requires
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("incidents", __name__, template_folder="templates")


@bp.route("/incidents")
@requires(policy.VIEW_INCIDENTS)
def index():
    """Open incidents (or all, with ?all=1), newest first."""
    show_all = request.args.get("all") == "1"
    rows = incidents.list_incidents(db.session, open_only=not show_all)
    return render_template("incidents/index.html", rows=rows, show_all=show_all)


@bp.route("/incidents/<int:incident_id>/retry", methods=["POST"])
@requires(policy.VIEW_INCIDENTS)
def retry(incident_id: int):
    """Step the instance again; resolved when it gets through (a new failure stays on the incident)."""
    incident = incidents.retry(db.session, incident_id, current_user, now())
    flash(f"故障 #{incident.id} 已处理：{incident.resolution}", "success")
    return redirect(url_for("incidents.index"))
