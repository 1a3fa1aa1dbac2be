"""Login/logout (Flask-Login + Flask-WTF) and the capability guard used by every view (engine.platform.policy)."""

from datetime import UTC, datetime
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.platform import accounts, policy, sessions
from engine.platform.accounts import LoginFailed
from webui.extensions import db, login_manager
from webui.security import safe_next
from webui.timeutil import now

bp = Blueprint("auth", __name__, template_folder="templates")
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"


SESSION_KEY = "sid"  # the cookie holds the server-side session's random id, checked on every request


@login_manager.user_loader
def load_user(user_id: str):
    """Flask-Login: the active user of a live server-side session (None after logout, revocation or expiry)."""
    return sessions.session_user(db.session, int(user_id), session.get(SESSION_KEY), wall_clock())


def wall_clock() -> datetime:
    """Session lifetimes run on the real clock (a security bound), not the pinned business time of tests."""
    return datetime.now(UTC)


def requires(capability: policy.Capability):
    """Allow the view only to logged-in users holding `capability` (login page first, 403 otherwise).

    The capability is kept on the view (`view.capability`) so the route matrix test can read it.
    """

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not policy.allows(current_user, capability):
                abort(403)
            return view(*args, **kwargs)

        wrapper.capability = capability
        return wrapper

    return decorate


@bp.app_context_processor
def _capabilities() -> dict:
    """Templates ask `can("VIEW_INSTANCES")` instead of naming roles."""
    return {"can": lambda name: policy.allows(current_user, policy.capability(name))}


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=60, message="用户名不超过60个字符")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200, message="密码不超过200个字符")])


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on success go to the inbox (or a safe `next`)."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user, sid = accounts.log_in(db.session, form.username.data, form.password.data, now(),
                                        request.remote_addr, request.user_agent.string, wall_clock())
        except LoginFailed as exc:
            flash(exc.message, "danger")
            return render_template("auth/login.html", form=form), 401
        session.clear()  # a fresh session for the new login (no fixation)
        session[SESSION_KEY] = sid
        login_user(user)
        return redirect(safe_next(request.args.get("next"), url_for("tasks.inbox")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session, on the server too (a saved copy of the cookie no longer works)."""
    sessions.end(db.session, session.pop(SESSION_KEY, None), wall_clock())
    logout_user()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))
