"""JSON API of the reviewer's inbox settings under /api/v1: the cheap count the pages poll, private follow-up
dates, and the saved filters (list with counts, create, rename, delete; owner-only). Same services as the inbox
page; a filter created here is checked strictly by the inbox's parser (a bad criterion is a 422, not dropped)."""

from urllib.parse import urlencode

from flask import Blueprint, jsonify, request

from engine.core import inbox_filters
from engine.core.errors import ValidationFailed
from engine.tasks import inbox_prefs
from webui.api.auth import add_auth_challenge, api_user, authenticate_request, json_body, kept_after_commit
from webui.api.params import body_text
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


def _filter_dict(saved) -> dict:
    return {"id": saved.id, "name": saved.name, "query": saved.query}


def _query_of(body: dict) -> str:
    """The filter's criteria: `query` (the inbox's query string, as GET /filters returns it) or `filter` (an
    object of the same keys), not both."""
    criteria = body.get("filter")
    if criteria is None:
        return body_text(body, "query")
    if "query" in body:
        raise ValidationFailed({"query": "query 与 filter 只能提供其一"})
    if not isinstance(criteria, dict) or not all(isinstance(v, str | int) for v in criteria.values()):
        raise ValidationFailed({"filter": "filter 应为“条件名: 字符串或整数”的 JSON 对象"})
    return urlencode({str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in criteria.items()})


@bp.post("/filters")
def create_filter():
    """Save a filter of mine: a name and the criteria, checked by the inbox's parser (same limits as the page)."""
    body = json_body()
    name, query = body_text(body, "name"), _query_of(body)
    with kept_after_commit():
        saved = inbox_prefs.create_filter(db.session, api_user(), name, query, now(), strict=True)
    return jsonify(_filter_dict(saved)), 201


@bp.patch("/filters/<int:filter_id>")
def rename_filter(filter_id: int):
    """Rename one of my filters (JSON {"name": ...}; another user's → 404)."""
    name = body_text(json_body(), "name")
    with kept_after_commit():
        saved = inbox_prefs.rename_filter(db.session, api_user(), filter_id, name)
    return jsonify(_filter_dict(saved))


@bp.delete("/filters/<int:filter_id>")
def delete_filter(filter_id: int):
    """Delete one of my filters (another user's → 404)."""
    name = inbox_prefs.delete_filter(db.session, api_user(), filter_id)
    return jsonify(id=filter_id, name=name, deleted=True)
