"""我的账号: change my password, see my open sessions and API tokens and end them."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from engine.core.errors import ValidationFailed
from engine.platform import credentials, notifications, policy, sessions
from webui.auth import SESSION_KEY, wall_clock
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("account", __name__, url_prefix="/account", template_folder="templates")


def _page(errors: dict | None = None, status: int = 200):
    at = wall_clock()
    current = sessions.digest(session.get(SESSION_KEY) or "")
    return render_template("auth/account.html", errors=errors or {}, current=current,
                           sessions=sessions.open_sessions(db.session, current_user, at),
                           tokens=sessions.open_tokens(db.session, current_user, now()),
                           digest_offered=bool(current_user.roles & set(policy.DIGEST_ROLES))), status


@bp.get("")
@login_required
def index():
    """My account: password form, open sessions and tokens."""
    return _page()


@bp.post("/password")
@login_required
def change_password():
    """Change my password; my other sessions and all my API tokens end."""
    form = request.form
    try:
        ended = credentials.change_own_password(
            db.session, current_user, form.get("current_password", ""), form.get("new_password", ""),
            form.get("confirm_password", ""), wall_clock(), keep_session=session.get(SESSION_KEY))
    except ValidationFailed as exc:
        flash(exc.message, "danger")
        return _page(exc.errors, 422)
    flash(f"密码已修改，其他 {ended} 个登录会话/令牌已失效。", "success")
    return redirect(url_for("account.index"))


def _revoked(revoke, object_id: int, message: str):
    revoke(db.session, current_user, object_id, wall_clock())
    flash(message, "success")
    return redirect(url_for("account.index"))


@bp.post("/sessions/<int:session_id>/revoke")
@login_required
def revoke_session(session_id: int):
    """End one of my sessions (e.g. on a computer I left logged in)."""
    return _revoked(sessions.revoke_session, session_id, "该登录会话已结束。")


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of my API tokens."""
    return _revoked(sessions.revoke_token, token_id, "该 API 令牌已撤销。")


@bp.post("/digest")
@login_required
def digest():
    """Receive the daily 待办日报 e-mail or not (reviewers)."""
    choice = request.form.get("digest")
    if choice not in ("on", "off"):
        flash("请选择开启或关闭每日待办日报。", "danger")
        return _page({"digest": "请选择开启或关闭"}, 422)
    wanted = choice == "on"
    notifications.set_digest(db.session, current_user.id, wanted)
    flash("已开启每日待办日报邮件。" if wanted else "已关闭每日待办日报邮件。", "success")
    return redirect(url_for("account.index"))
