"""流程记录: process instances for oversight roles, each with its version, tasks and its history in words."""

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from engine.core.models import INSTANCE_STATUSES
from engine.deploy import diagram
from engine.platform import policy
from engine.tasks import instances as instance_service
from engine.tasks import timeline as timeline_service
from engine.tasks.services import dynamic_choices
from webui.auth import requires
from webui.extensions import db
from webui.forms_render import display_rows
from webui.timeutil import now

bp = Blueprint("instances", __name__, template_folder="templates")
ACTIONS = {
    "instance_started": "发起流程", "task_completed": "办理任务", "task_claimed": "认领任务",
    "task_unclaimed": "取消认领", "instance_completed": "流程结束",
    "timer_fired": "定时触发", "instance_migrated": "迁移版本", "instance_stepped": "重新推进",
    "incident_opened": "登记故障", "incident_resolved": "故障已处理", "instance_repaired": "修复实例",
    "draw_round": "随机抽取", "message_received": "收到消息", "conflict_reported": "报告回避情形",
    "exit_proposal_attached": "附出库建议", "pii_viewed": "查看个人信息",
}
LONG_TEXT = 80  # longer values fold (<details>) on the page


@bp.route("/instances")
@requires(policy.VIEW_INSTANCES)
def index():
    """Recent instances (oversight roles), filtered by process and status."""
    process_key = request.args.get("process") or None
    status = request.args.get("status") if request.args.get("status") in INSTANCE_STATUSES else None
    rows = instance_service.list_instances(db.session, current_user, process_key=process_key, status=status)
    return render_template("instances/index.html", rows=rows, process_key=process_key or "", status=status or "")


def changes(entry, dynamic: dict) -> list[dict]:
    """Field by field with the form's labels: (label, before, after, attachment ids, long); a redone step shows
    only what changed (before → after), a first submission every field it holds."""
    before = {r["name"]: r for r in display_rows(entry.form, entry.before, dynamic)}
    rows = []
    for r in display_rows(entry.form, entry.after, dynamic):
        old = before.get(r["name"])
        if old is not None and old["text"] == r["text"] and old["ids"] == r["ids"]:
            continue
        rows.append({**r, "before": old["text"] if old else None,
                     "long": len(r["text"]) > LONG_TEXT or "\n" in r["text"]})
    return rows


@bp.route("/instances/<int:instance_id>")
@login_required
def detail(instance_id: int):
    """One instance: status, version (key, number, sha256), subject, tasks and its history in words."""
    instance = instance_service.get_instance(db.session, current_user, instance_id)
    shown = {"xml": diagram.version_xml(db.session, instance.version_id),
             "marks": diagram.instance_marks(instance)}  # its own version, its own state
    events = instance_service.instance_events(db.session, instance.id)
    entries = timeline_service.viewed_timeline(db.session, current_user, instance, events, now())
    dynamic = dynamic_choices(db.session)
    timeline = [(e, changes(e, dynamic)) for e in entries]
    files = timeline_service.attachment_names(db.session, (i for _, rows in timeline for r in rows for i in r["ids"]))
    return render_template(
        "instances/detail.html", instance=instance, actions=ACTIONS, diagram=shown, files=files,
        tasks=instance_service.instance_tasks(db.session, instance.id), timeline=timeline)
