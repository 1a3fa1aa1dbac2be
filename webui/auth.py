"""Login/logout (Flask-Login + Flask-WTF) and the role guard used by every view."""

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.services import accounts
from engine.services.accounts import LoginFailed, authenticate
from webui.extensions import db, login_manager
from webui.timeutil import now

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"


@login_manager.user_loader
def load_user(user_id: str):
    """Flask-Login: the active user for a session id."""
    return accounts.load_user(db.session, int(user_id))


def roles_required(*roles: str):
    """Allow the view only to users holding one of `roles` (403 otherwise)."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=60)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200)])


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect to another host after login.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("tasks.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on success go to the inbox (or a safe `next`)."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(db.session, form.username.data, form.password.data, now())
        except LoginFailed as exc:
            flash(exc.message, "danger")
            return render_template("auth/login.html", form=form), 401
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session."""
    logout_user()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))
