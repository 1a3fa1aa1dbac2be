"""JSON API of 我的通知 under /api/v1: my notifications (newest first, paged, unread count) and marking them read.
Same service as the /notifications page (engine.platform.notifications); only the caller's own rows."""

from flask import Blueprint, jsonify

from engine.core.errors import ValidationFailed
from engine.platform import notifications as notify
from engine.tasks.views import iso
from webui.api.auth import add_auth_challenge, api_user, authenticate_request, json_body
from webui.api.params import MAX_PER_PAGE, flag_arg, page_args
from webui.extensions import db
from webui.security import MAX_ID
from webui.timeutil import now

bp = Blueprint("api_notifications", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)
bp.after_request(add_auth_challenge)


def note_dict(note) -> dict:
    """One notification as the API shows it (link: a path of this site, e.g. /tasks/for/<instance>)."""
    return {"id": note.id, "subject": note.subject, "body": note.body, "link": note.link,
            "created_at": iso(note.created_at), "read_at": iso(note.read_at), "read": note.read_at is not None}


def _ids(body: dict) -> list[int] | None:
    """`{"ids": [...]}` → those ids; `{"all": true}` → None (every unread one); anything else → 422."""
    ids, everything = body.get("ids"), body.get("all")
    if everything is not None and everything is not True:
        raise ValidationFailed({"all": "all 只能为 true"})
    if (ids is None) == (everything is None):
        raise ValidationFailed({"ids": "请提供要标为已读的通知 ids（数组），或 all: true 标记全部（二者取一）"})
    if everything:
        return None
    if not isinstance(ids, list) or not ids or len(ids) > MAX_PER_PAGE:
        raise ValidationFailed({"ids": f"ids 应为 1 到 {MAX_PER_PAGE} 个通知 id 的数组"})
    if any(isinstance(i, bool) or not isinstance(i, int) or not 1 <= i <= MAX_ID for i in ids):
        raise ValidationFailed({"ids": "ids 中的每一项都应为正整数的通知 id"})
    return ids


@bp.get("/notifications")
def list_notifications():
    """My notifications, newest first (`unread=1`: only the unread ones), with the unread count."""
    page, per_page = page_args()
    found = notify.page_for(db.session, api_user().id, page, per_page, unread_only=flag_arg("unread"))
    return jsonify(items=[note_dict(n) for n in found.items], total=found.total, page=page, per_page=per_page,
                   unread=found.unread)


@bp.post("/notifications/read")
def mark_read():
    """Mark the given ids of mine read, or all of them; any id not mine → 404 and nothing is marked."""
    ids = _ids(json_body())
    marked, unread = notify.mark_many(db.session, api_user().id, ids, now())
    return jsonify(marked=marked, unread=unread)
