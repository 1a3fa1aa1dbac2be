"""POST /api/v1/tasks/bulk: one decision for many tasks (ids, or all matching a filter the server re-evaluates
with the caller's visibility, capped), each its own unit of work; per-item results by name. Same service as the
inbox's bulk bar (engine.tasks.bulk)."""

from flask import Blueprint, jsonify

from engine.core import inbox_filters
from engine.core.errors import ValidationFailed
from engine.core.inbox import InboxFilter
from engine.tasks import bulk as bulk_service
from webui.api.auth import add_auth_challenge, api_user, authenticate_request, json_body
from webui.extensions import db
from webui.security import MAX_ID
from webui.timeutil import now

bp = Blueprint("api_bulk", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)
bp.after_request(add_auth_challenge)

FILTER_KEYS = {"process_key", "bpmn_id", "unit_id", "overdue", "claimed", "sort", "q", "follow_up"}


def _ids(value) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ID
                                              for v in value):
        raise ValidationFailed({"task_ids": "task_ids 应为任务 id（正整数）的数组"})
    return value


def _text(raw: dict, name: str) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationFailed({f"filter.{name}": f"{name} 应为字符串"})
    return value or None


def _filter(raw) -> InboxFilter:
    """The JSON filter read by the inbox's own parser (the same criteria, sorts and messages as GET /tasks)."""
    if not isinstance(raw, dict) or set(raw) - FILTER_KEYS:
        raise ValidationFailed({"filter": f"filter 应为对象，可含：{'、'.join(sorted(FILTER_KEYS))}"})
    unit_id = raw.get("unit_id")
    if unit_id is not None and (not isinstance(unit_id, int) or isinstance(unit_id, bool) or not 0 < unit_id <= MAX_ID):
        raise ValidationFailed({"filter.unit_id": "unit_id 应为单位 id（正整数）"})
    if not all(value is None or isinstance(value, str | bool | int) for value in raw.values()):
        raise ValidationFailed({"filter": "filter 的取值应为字符串、数字或布尔值"})
    args = {key: "1" if value is True else "" if value is None or value is False else str(value)
            for key, value in raw.items()}
    return inbox_filters.parse(args, strict=True).flt


def _values(body: dict) -> dict:
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise ValidationFailed({"data": "data 应为 JSON 对象"})
    shared = {k: body[k] for k in ("decision", "comment") if k in body}
    if not all(isinstance(v, str) for v in shared.values()):
        raise ValidationFailed({"decision": "decision 与 comment 应为字符串"})
    return {"comment": ""} | data | shared


@bp.post("/tasks/bulk")
def bulk_tasks():
    """One decision (+ optional shared comment) for the given task ids or all tasks matching a filter."""
    body = json_body()
    form_key = body.get("form_key")
    if not isinstance(form_key, str) or not form_key:
        raise ValidationFailed({"form_key": "form_key 必填（leader_approval 或 record_document）"})
    if ("task_ids" in body) == ("filter" in body):
        raise ValidationFailed({"task_ids": "task_ids 与 filter 须且只能给出其一"})
    ids = _ids(body["task_ids"]) if "task_ids" in body else None
    flt = _filter(body["filter"]) if "filter" in body else None
    results = bulk_service.bulk_decide(db.session, api_user(), form_key, _values(body), now(), task_ids=ids, flt=flt)
    return jsonify(done=sum(r.ok for r in results), failed=sum(not r.ok for r in results),
                   items=[{"task_id": r.task_id, "ok": r.ok, "message": r.message, "subject": r.subject or None,
                           "step": r.step or None} for r in results])
