"""JSON API of the assignment capability under /api/v1: create a request, show it with its draw record,
verify a draw. Same services, same sealing as the pages."""

from flask import Blueprint, jsonify

from engine.assignment import draw_views, queries, services
from engine.core.jsonsafe import json_safe
from engine.platform import policy
from webui.api.auth import add_auth_challenge, api_requires, api_user, authenticate_request, json_body
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("api_assignment", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)
bp.after_request(add_auth_challenge)


def _usage_dict(v) -> dict | None:
    if v.usage is None:
        return None
    usage = {k: getattr(v.usage, k) for k in ("completion", "professional_level", "attitude", "commitment_compliance")}
    return usage | {"comment": v.usage.comment if v.notes else None}


def _engagement_dict(v) -> dict:
    e, notes = v.row, v.notes  # sealed viewers get no free text: it may name or describe the expert (Art 13)
    return {"id": e.id, "expert_id": e.expert_id if v.name else None, "name": v.name, "unit": v.unit,
            "external": e.external_expert_id is not None, "method": e.method, "round": e.round, "role": e.role,
            "status": e.status, "standby": e.status == "drawn" and e.asked_at is None,
            "decline_reason": e.decline_reason if notes else None, "decline_justified": e.decline_justified,
            "conflict_declared": e.conflict_declared, "cancel_reason": e.cancel_reason if notes else None,
            "confirmed_at": json_safe(e.confirmed_at), "ended_at": json_safe(e.ended_at), "usage": _usage_dict(v)}


def _draw_dict(draw: dict | None) -> dict | None:
    if draw is None:
        return None
    out = {k: v for k, v in draw.items() if k != "names"}
    out["created_at"] = json_safe(draw["created_at"])
    return out


def _page_dict(page) -> dict:
    return {"request": json_safe(queries.request_facts(page.request)), "access": page.access, "unit_name": page.unit_name,
            "engagements": [_engagement_dict(v) for v in page.engagements], "draw": _draw_dict(page.draw),
            "exclusions": page.exclusions, "open_tasks": [t.id for t in page.open_tasks]}


@bp.post("/requests")
@api_requires(policy.START_ASSIGNMENT)
def create_request():
    """A using unit requests experts; a random request is drawn at once (201 with the request and draw)."""
    created = services.create_request(db.session, api_user(), json_body(), now())
    return jsonify(_page_dict(queries.request_page(db.session, api_user(), created.id))), 201


@bp.get("/requests/<int:request_id>")
def show_request(request_id: int):
    """A request with its draw record, exclusions and experts (names sealed by role)."""
    return jsonify(_page_dict(queries.request_page(db.session, api_user(), request_id)))


@bp.get("/draws/<int:draw_id>/verify")
def verify(draw_id: int):
    """Recompute a draw from its record: match / mismatch with the differences (sealed viewers: counts only)."""
    return jsonify(draw_views.verify_view(db.session, api_user(), draw_id))


@bp.get("/draws/<int:draw_id>/export")
def export(draw_id: int):
    """The draw record with its audit anchors (docs/draw-record.md), for those who may see the names."""
    return jsonify(draw_views.export_view(db.session, api_user(), draw_id))
