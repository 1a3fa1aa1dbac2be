"""待办: the inbox (filters, sort, pages, claim, the processes the user may start), the task page (form +
application + history), bulk actions, and starting a process its owner declared startable."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.admission import queries as ui_queries
from engine.assignment import queries as assignment_queries
from engine.core.errors import ValidationFailed
from engine.core.forms import load_form, task_form
from engine.core.hooks import context_for
from engine.core.inbox import SORTS, InboxFilter, inbox_page
from engine.core.models import ProcessInstance
from engine.evaluation import queries as evaluation_queries
from engine.experts.privacy import mask_fields, sees_pii
from engine.platform import policy
from engine.tasks import instances, starts
from engine.tasks import services as task_service
from webui.auth import requires
from webui.extensions import db
from webui.forms_render import display_rows, event_values, form_context, read_submission
from webui.timeutil import now

bp = Blueprint("tasks", __name__, template_folder="templates")
PER_PAGE = 50
SORT_LABELS = {"created": "创建时间（早→晚）", "-created": "创建时间（晚→早）", "due": "办理期限", "subject": "事项名称"}


def _filter_from_args(args) -> InboxFilter:
    sort = args.get("sort", "created")
    claimed = args.get("claimed")
    return InboxFilter(
        process_key=args.get("process") or None, bpmn_id=args.get("step") or None,
        unit_id=args.get("unit", type=int), overdue=args.get("overdue") == "1",
        claimed=claimed if claimed in ("mine", "unclaimed") else None,
        sort=sort if sort in SORTS else "created",
    )


def _safe_next(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


def _bulk_lists(at) -> dict:
    return {key: ui_queries.bulk_candidates(db.session, current_user, key, at)
            for key, capability in policy.BULK_FORMS.items() if policy.allows(current_user, capability)}


@bp.route("/")
@bp.route("/tasks")
@login_required
def inbox():
    """The user's open tasks with counts, filters, sort, 50 per page and bulk lists."""
    flt, at = _filter_from_args(request.args), now()
    page = inbox_page(db.session, current_user, flt, at, request.args.get("page", 1, type=int) or 1, PER_PAGE)
    args = {k: v for k, v in request.args.items() if k != "page"}
    counts = page.counts
    return render_template(
        "tasks/inbox.html", page=page, flt=flt, at=at, args=args, sort_labels=SORT_LABELS, counts=counts,
        process_options=list(dict.fromkeys((s[0], s[1]) for s in counts["steps"])),
        step_options=list(dict.fromkeys((s[2], s[3]) for s in counts["steps"])),
        units=ui_queries.unit_choices(db.session), bulk=_bulk_lists(at),
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


def _task_ids() -> list[int]:
    return [int(v) for v in request.form.getlist("task_ids") if v.strip().isdigit()]


def _bulk(form_key: str, values: dict, title: str):
    ids = _task_ids()
    if not ids:
        flash("请至少勾选一项待办。", "warning")
        return redirect(url_for("tasks.inbox"))
    results = task_service.bulk_complete(db.session, ids, current_user, values, now(), allowed_form=form_key)
    return render_template("tasks/bulk_result.html", results=results, title=title,
                           done=sum(r.ok for r in results), failed=sum(not r.ok for r in results))


@bp.route("/tasks/bulk-approve", methods=["POST"])
@requires(policy.BULK_APPROVE)
def bulk_approve():
    """局领导批量批准 (leader_approval tasks); per-item results."""
    comment = request.form.get("comment", "")
    return _bulk("leader_approval", {"decision": "approve", "comment": comment}, "批量批准结果")


@bp.route("/tasks/bulk-document", methods=["POST"])
@requires(policy.BULK_RECORD_DOCUMENT)
def bulk_document():
    """人才开发中心批量登记发文文号 (record_document tasks); per-item results."""
    values = {k: request.form.get(k, "") for k in ("doc_no", "doc_date", "comment")}
    return _bulk("record_document", values, "批量登记发文文号结果")


def _application_rows(app, dynamic: dict, opened: bool) -> list[dict]:
    # The unmasked view is recorded when the page is opened; a refused submission changes nothing (no event).
    shown = ui_queries.shown_form(db.session, current_user, app, "任务办理", now()) if opened \
        else ui_queries.visible_form(db.session, current_user, app)
    return display_rows(load_form("application"), shown, dynamic)


def _render_task(task, values=None, errors=None, lock_version=None, status=200):
    page = ui_queries.task_page(db.session, task, current_user)
    form = task_form(db.session, task)
    app = page.application
    if task.form_key == "application" and app is not None:  # correction: start from the current 推荐表
        values = {**app.form, "response": ""} | (values or {})
    app_rows = _application_rows(app, page.dynamic, opened=status == 200) if app else []
    masked = not sees_pii(db.session, current_user)  # earlier steps' contact data (e.g. 续聘确认) masked likewise
    history = [(e, display_rows(page.forms_by_step.get(e.bpmn_id),
                                mask_fields(event_values(e)) if masked else event_values(e), page.dynamic))
               for e in page.history]
    return render_template(
        "tasks/show.html", task=task, page=page, app=app, app_rows=app_rows, history=history,
        ctx=form_context(form, page.dynamic, values, errors, page.attachments),
        attachments_by_id={a.id: a for a in page.attachments},
        lock_version=lock_version if lock_version is not None else page.lock_version, at=now(),
        extra=context_for(db.session, task, current_user), extra_template=f"{task.process_key}/_task_context.html",
        history_link=instances.can_view_instance(db.session, current_user,
                                                 db.session.get(ProcessInstance, task.instance_id)),
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
        return _render_task(task)
    raw, files = read_submission(task_form(db.session, task), request.form, request.files)
    try:
        task_service.complete(db.session, task_id, current_user, raw, files, now(), _lock())
    except ValidationFailed as exc:
        task = task_service.get_task(db.session, task_id, current_user)
        return _render_task(task, raw, exc.errors, _lock(), status=422)
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
