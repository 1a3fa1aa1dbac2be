"""流程记录: process instances for oversight roles, each with its version, tasks and full event history."""

import json

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from engine.core.models import INSTANCE_STATUSES
from engine.deploy import diagram
from engine.platform import policy
from engine.tasks import instances as instance_service
from webui.auth import requires
from webui.extensions import db

bp = Blueprint("instances", __name__, template_folder="templates")
ACTIONS = {
    "instance_started": "发起流程", "task_completed": "办理任务", "task_claimed": "认领任务",
    "task_unclaimed": "取消认领", "instance_completed": "流程结束",
    "timer_fired": "定时触发", "instance_migrated": "迁移版本", "instance_stepped": "重新推进",
    "incident_opened": "登记故障", "incident_resolved": "故障已处理", "instance_repaired": "修复实例",
}


@bp.app_template_filter("pretty_json")
def pretty_json(value) -> str:
    """Indented JSON for audit data (Chinese kept readable)."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


@bp.route("/instances")
@requires(policy.VIEW_INSTANCES)
def index():
    """Recent instances (oversight roles), filtered by process and status."""
    process_key = request.args.get("process") or None
    status = request.args.get("status") if request.args.get("status") in INSTANCE_STATUSES else None
    rows = instance_service.list_instances(db.session, current_user, process_key=process_key, status=status)
    return render_template("instances/index.html", rows=rows, process_key=process_key or "", status=status or "")


@bp.route("/instances/<int:instance_id>")
@login_required
def detail(instance_id: int):
    """One instance: status, version (key, number, sha256), subject, tasks and every audit event."""
    instance = instance_service.get_instance(db.session, current_user, instance_id)
    shown = {"xml": diagram.version_xml(db.session, instance.version_id),
             "marks": diagram.instance_marks(instance)}  # its own version, its own state
    return render_template(
        "instances/detail.html", instance=instance, actions=ACTIONS, diagram=shown,
        tasks=instance_service.instance_tasks(db.session, instance.id),
        events=instance_service.instance_events(db.session, instance.id))
