"""JSON API of the reviewer's inbox settings under /api/v1: the cheap count the pages poll, private follow-up
dates, and the saved filters with their counts. Same services as the inbox page."""

from flask import Blueprint, jsonify, request

from engine.core import inbox_filters
from engine.tasks import inbox_prefs
from webui.api.auth import add_auth_challenge, api_user, authenticate_request
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("api_inbox", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)
bp.after_request(add_auth_challenge)


@bp.get("/tasks/count")
def task_count():
    """My open tasks, overdue ones and those whose follow-up date has come (no list, one query)."""
    return jsonify(inbox_filters.badge_counts(db.session, api_user(), now()))


@bp.put("/tasks/<int:task_id>/follow-up")
def set_follow_up(task_id: int):
    """Set my private follow-up date on a task (JSON {"follow_up_on": "YYYY-MM-DD"})."""
    body = request.get_json(silent=True)
    raw = body.get("follow_up_on") if isinstance(body, dict) else None
    value = inbox_prefs.set_follow_up(db.session, api_user(), task_id, raw, now())
    return jsonify(task_id=task_id, follow_up_on=value.isoformat())


@bp.delete("/tasks/<int:task_id>/follow-up")
def clear_follow_up(task_id: int):
    """Remove my follow-up date from a task."""
    removed = inbox_prefs.clear_follow_up(db.session, api_user(), task_id)
    return jsonify(task_id=task_id, follow_up_on=None, removed=removed)


@bp.get("/filters")
def list_filters():
    """My saved inbox filters with their live counts (the query is the inbox's query string)."""
    entries = inbox_prefs.filters_with_counts(db.session, api_user(), now())
    return jsonify(items=[{"id": e.id, "name": e.name, "query": e.query, "count": e.count} for e in entries])
