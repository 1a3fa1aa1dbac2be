"""JSON API of 审计检索 under /api/v1: the same search, filters and checks as the page (engine.tasks.search)."""

from flask import Blueprint, jsonify, request

from engine.platform import policy
from engine.tasks import search
from webui.api.auth import add_auth_challenge, api_requires, api_user, authenticate_request
from webui.extensions import db

bp = Blueprint("api_audit", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)
bp.after_request(add_auth_challenge)


def _item(row: dict) -> dict:
    return row | {"at": row["at"].isoformat()}


@bp.get("/audit/events")
@api_requires(policy.SEARCH_AUDIT)
def audit_events():
    """One page of audit events matching the filters, with the total and the counts per action."""
    criteria = search.parse(request.args)  # ValidationFailed → 422 JSON with the fields' Chinese messages
    found = search.search(db.session, api_user(), criteria)
    return jsonify({"items": [_item(r) for r in found["rows"]], "total": found["total"], "page": found["page"],
                    "per_page": criteria.per_page, "by_action": found["by_action"]})
