"""审计存证 (auditors, admins): the signed checkpoints of the audit chain, signing one now, downloading the log.
Thin views: engine.core.checkpoints does the work."""

from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, send_file, url_for

from engine.core import checkpoints
from engine.core.errors import NotFound, ServiceError
from engine.platform import policy
from webui.auth import requires
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("evidence", __name__, url_prefix="/evidence", template_folder="templates")


@bp.get("/checkpoints")
@requires(policy.VIEW_EVIDENCE)
def index():
    """The checkpoints, newest first, with whether the database still holds the signed prefix."""
    return render_template("evidence/checkpoints.html", view=checkpoints.overview(db.session))


@bp.post("/checkpoints")
@requires(policy.VIEW_EVIDENCE)
def sign():
    """Sign the chain head now."""
    try:
        entry = checkpoints.sign_now(db.session, now())
    except ServiceError as exc:
        db.session.rollback()
        return render_template("evidence/checkpoints.html", view=checkpoints.overview(db.session),
                               error=exc.message), 409
    flash(f"已签署检查点：第 {entry['event_id']} 号事件，共 {entry['count']} 个事件", "success")
    return redirect(url_for("evidence.index"), 303)


@bp.get("/checkpoints.jsonl")
@requires(policy.VIEW_EVIDENCE)
def download():
    """The checkpoint log as written (verify it with `expertpool verify-audit --checkpoints FILE`)."""
    log_file = checkpoints.SETTINGS["log_file"]
    if not log_file or not Path(log_file).exists():
        raise NotFound("尚无签名检查点")
    return send_file(Path(log_file).resolve(), mimetype="application/x-ndjson", as_attachment=True,
                     download_name="audit-checkpoints.jsonl", max_age=0)
