"""我的通知 (the in-app notifications, mark read) and the links notifications carry to a task: /tasks/for/<id>
opens the viewer's own open task on that instance, or the case page when they have nothing (left) to do."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.core.inbox import my_open_task
from engine.platform import notifications as notify
from webui.extensions import db
from webui.security import safe_next
from webui.timeutil import now

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def index():
    """My notifications, newest first; POST marks them all read."""
    if request.method == "POST":
        notify.mark_all_read(db.session, current_user.id, now())
        return redirect(url_for("notifications.index"))
    return render_template("notifications/index.html", rows=notify.recent(db.session, current_user.id))


@bp.post("/notifications/<int:note_id>/read")
@login_required
def mark_read(note_id: int):
    """Mark one of my notifications read (another's: 404)."""
    if not notify.mark_read(db.session, current_user.id, note_id, now()):
        abort(404, "通知不存在或已读")
    return redirect(url_for("notifications.index"))


@bp.get("/tasks/for/<int:instance_id>")
@login_required
def task_for(instance_id: int):
    """A notification's link: my open task on the instance, else the case page it names (this site only)."""
    task = my_open_task(db.session, current_user, instance_id)
    if task is not None:
        return redirect(url_for("tasks.show", task_id=task.id))
    flash("该事项目前没有需要您办理的待办，以下为事项详情。", "info")
    return redirect(safe_next(request.args.get("case"), url_for("notifications.index")))
