"""The inbox's search state (free text, sort, page size, saved filters, follow-up dates) and the routes that
change a reviewer's own inbox settings. Every criterion lives in the URL, so a link is the whole view."""

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_login import current_user, login_required

from engine.core import inbox_filters
from engine.core.errors import ValidationFailed
from engine.tasks import inbox_prefs
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("inbox", __name__, template_folder="templates")
def page_state(args, at) -> dict:
    """What the inbox page shows for these arguments: the page of rows, the parsed filter, the sort and size
    choices, the user's saved filters and follow-up counts; bad sort/size → the default and a notice."""
    parsed = inbox_filters.parse(args, strict=False)
    rows = inbox_filters.page(db.session, current_user, parsed.flt, at, parsed.page, parsed.per_page)
    quick = inbox_filters.follow_up_counts(db.session, current_user, at)  # the sidebar's 待跟进 / 今日跟进
    keep = {k: v for k, v in args.items() if k not in ("page",) and v}
    return {"page": rows, "flt": parsed.flt, "per_page": parsed.per_page, "notices": parsed.notices,
            "args": keep, "sort_args": {k: v for k, v in keep.items() if k != "sort"},
            "sort_labels": inbox_filters.SORT_LABELS, "page_sizes": inbox_filters.PAGE_SIZES,
            "follow_up_labels": inbox_filters.FOLLOW_UPS, "quick_counts": quick,
            "saved_filters": inbox_prefs.filters_with_counts(db.session, current_user, at),
            "follow_ups": inbox_filters.follow_ups(db.session, current_user, [t.id for t in rows.items]),
            "current_query": inbox_prefs.canonical_query(request.query_string.decode("utf-8", "replace")),
            "today": inbox_filters.today(at)}


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


def _refused(exc: ValidationFailed) -> None:
    flash("；".join(exc.errors.values()) or exc.message, "danger")


@bp.get("/tasks/count")
@login_required
def count():
    """The counts the nav badge polls (JSON): open tasks, overdue, follow-ups due."""
    return jsonify(inbox_filters.badge_counts(db.session, current_user, now()))


@bp.post("/tasks/filters")
@login_required
def create_filter():
    """Save the inbox's current criteria under a name (保存筛选)."""
    query = request.form.get("query", "")
    try:
        saved = inbox_prefs.create_filter(db.session, current_user, request.form.get("name", ""), query, now())
    except ValidationFailed as exc:
        _refused(exc)
        return redirect(url_for("tasks.inbox") + ("?" + inbox_prefs.canonical_query(query) if query else ""))
    flash(f"已保存筛选：{saved.name}", "success")
    return redirect(url_for("tasks.inbox") + (f"?{saved.query}" if saved.query else ""))


@bp.post("/tasks/filters/<int:filter_id>/rename")
@login_required
def rename_filter(filter_id: int):
    """Rename one of my saved filters (404 for anyone else's)."""
    try:
        saved = inbox_prefs.rename_filter(db.session, current_user, filter_id, request.form.get("name", ""))
    except ValidationFailed as exc:
        _refused(exc)
    else:
        flash(f"筛选已改名为：{saved.name}", "success")
    return redirect(_back(url_for("tasks.inbox")))


@bp.post("/tasks/filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int):
    """Delete one of my saved filters (404 for anyone else's)."""
    name = inbox_prefs.delete_filter(db.session, current_user, filter_id)
    flash(f"已删除筛选：{name}", "info")
    return redirect(_back(url_for("tasks.inbox")))


@bp.post("/tasks/<int:task_id>/follow-up")
@login_required
def follow_up(task_id: int):
    """Set my private follow-up date on a task, or clear it (empty date or the 清除 button)."""
    raw = "" if request.form.get("clear") else request.form.get("follow_up_on", "").strip()
    try:
        if raw:
            value = inbox_prefs.set_follow_up(db.session, current_user, task_id, raw, now())
            flash(f"已设置跟进日期：{value.isoformat()}", "success")
        else:
            inbox_prefs.clear_follow_up(db.session, current_user, task_id)
            flash("已清除跟进日期。", "info")
    except ValidationFailed as exc:
        _refused(exc)
    return redirect(_back(url_for("tasks.show", task_id=task_id)))
