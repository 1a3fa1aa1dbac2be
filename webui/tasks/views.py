"""待办: the inbox (filters, sort, pages, claim, the processes the user may start), the task page (form +
application + history), bulk actions, and starting a process its owner declared startable."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.assignment import queries as assignment_queries
from engine.core import inbox_filters
from engine.core.errors import ValidationFailed
from engine.core.forms import task_form
from engine.core.inbox import InboxFilter
from engine.evaluation import queries as evaluation_queries
from engine.platform import policy, roles
from engine.tasks import services as task_service
from engine.tasks import starts
from engine.tasks.task_view import task_view
from webui.auth import requires
from webui.extensions import db
from webui.forms_render import display_rows, form_context, read_submission
from webui.tasks import bulk
from webui.tasks import inbox as inbox_page
from webui.timeutil import now

bp = Blueprint("tasks", __name__, template_folder="templates")


def _filter_from_args(args) -> InboxFilter:
    """The inbox filter of these arguments, leniently (a bad sort or size falls back to the default)."""
    return inbox_filters.parse(args, strict=False).flt


def _safe_next(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.route("/")
@bp.route("/tasks")
@login_required
def inbox():
    """The user's open tasks: search, filters, sortable columns, page size, saved filters, counts, bulk lists."""
    at = now()
    state = inbox_page.page_state(request.args, at)  # everything in the URL (webui/tasks/inbox.py)
    counts = state["page"].counts
    return render_template(
        "tasks/inbox.html", at=at, counts=counts, **state,
        process_options=list(dict.fromkeys((s[0], s[1]) for s in counts["steps"])),
        step_options=list(dict.fromkeys((s[2], s[3]) for s in counts["steps"])),
        units=roles.unit_choices(db.session), bulk=bulk.bar_context(state["flt"], at, state["page"].items, state["args"]),
        starts=starts.startable(db.session, current_user))


def _render_start(option, values=None, errors=None, status=200):
    ctx = form_context(option.form, task_service.dynamic_choices(db.session, option.form), values, errors) \
        if option.form else {"errors": errors or {}, "fields": []}
    return render_template("tasks/start.html", option=option, ctx=ctx), status


@bp.route("/start/<process_key>", methods=["GET", "POST"])
@login_required
def start(process_key: str):
    """Start a process whose start event declares the user's role (404 undeclared, 403 other roles, 422 bad input)."""
    option = starts.start_option(db.session, current_user, process_key)
    if request.method == "GET":
        return _render_start(option)
    raw, files = read_submission(option.form, request.form, request.files) if option.form else ({}, {})
    try:
        instance = starts.start(db.session, current_user, process_key, raw, files, now())
    except ValidationFailed as exc:
        return _render_start(option, raw, exc.errors, status=422)
    flash(f"已发起：{instance.subject}", "success")
    return redirect(url_for("instances.detail", instance_id=instance.id))  # the starter may follow it there


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: int):
    """Claim a task (认领)."""
    task_service.claim(db.session, task_id, current_user, now())
    flash("已认领该任务。", "success")
    return redirect(_safe_next(url_for("tasks.inbox")))


@bp.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
@login_required
def unclaim(task_id: int):
    """Release a claim (取消认领)."""
    task_service.unclaim(db.session, task_id, current_user, now())
    flash("已取消认领。", "info")
    return redirect(_safe_next(url_for("tasks.inbox")))


@bp.route("/tasks/bulk-approve", methods=["POST"])
@requires(policy.BULK_APPROVE)
def bulk_approve():
    """局领导批量批准 (leader_approval tasks: ticked or all matching the filter); per-item results by name."""
    return bulk.run("leader_approval", "批量批准结果", _filter_from_args, {"decision": "approve"})


@bp.route("/tasks/bulk-document", methods=["POST"])
@requires(policy.BULK_RECORD_DOCUMENT)
def bulk_document():
    """人才开发中心批量登记发文文号 (record_document tasks); per-item results by name."""
    return bulk.run("record_document", "批量登记发文文号结果", _filter_from_args)


def _render_task(task_id: int, values=None, errors=None, lock_version=None, status=200):
    # A refused submission is shown again without a new recorded view of personal data (seen_at None).
    view = task_view(db.session, task_id, current_user, now() if status == 200 else None)
    values = (view.context.get("prefill") or {}) | (values or {})
    history = [(step, display_rows(step.form, step.values, view.dynamic)) for step in view.history]
    return render_template(
        "tasks/show.html", task=view.task, view=view, history=history,
        ctx=form_context(view.form, view.dynamic, values, errors, view.attachments),
        attachments_by_id={a.id: a for a in view.attachments},
        lock_version=lock_version if lock_version is not None else view.lock_version, at=now(),
        context_template=f"{view.task.process_key}/_task_context.html",
        history_link=view.instance_visible, follow_up=view.follow_up_on,
    ), status


def _lock() -> int | None:
    value = request.form.get("lock_version", "")
    return int(value) if value.strip().isdigit() else None


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def show(task_id: int):
    """Show a task with its form; POST completes it (409 stale/double, 422 invalid input)."""
    task = task_service.get_task(db.session, task_id, current_user)
    if request.method == "GET":
        return _render_task(task_id)
    raw, files = read_submission(task_form(db.session, task), request.form, request.files)
    try:
        task_service.complete(db.session, task_id, current_user, raw, files, now(), _lock())
    except ValidationFailed as exc:
        return _render_task(task_id, raw, exc.errors, _lock(), status=422)
    flash(f"已办理：{task.name}", "success")
    return redirect(_after_completion(task))


# Where a completed task returns to, per process: the page of the business object it belongs to.
RETURN_TO = {
    "assignment": (assignment_queries.request_id_for_instance, "assignment.detail", "request_id"),
    "annual_evaluation": (evaluation_queries.evaluation_id_for_instance, "evaluation.evaluation", "evaluation_id"),
}


def _after_completion(task) -> str:
    lookup, endpoint, arg = RETURN_TO.get(task.process_key, (None, None, None))
    object_id = lookup(db.session, task.instance_id) if lookup else None
    return url_for(endpoint, **{arg: object_id}) if object_id else url_for("tasks.inbox")
