"""Doors open without login: the open 征集公告 (Art 6, 8), public registration of applicants with e-mail
verification, and the forgotten-password reset by a mailed code. Throttled (webui/throttle.py)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.admission import calls
from engine.core.errors import ValidationFailed
from engine.platform import registration
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("register", __name__, template_folder="templates")
SENT = "如信息无误，验证码已发送至您填写的电子邮箱，{minutes} 分钟内有效。"


@bp.get("/calls/open")
def open_calls():
    """The calls open now: their text and window, and the way in (申请入库 → register or apply)."""
    return render_template("auth/open_calls.html", calls=calls.list_calls(db.session, open_at=now()),
                           logged_in=current_user.is_authenticated)


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Register as an applicant; the account is active once the mailed code is entered."""
    form, errors = request.form, {}
    if request.method == "POST":
        try:
            username = registration.register(db.session, form.to_dict(), now())
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            flash(SENT.format(minutes=registration.CODE_MINUTES), "info")
            return redirect(url_for("register.verify", u=username))
    return render_template("auth/register.html", form=form, errors=errors), 422 if errors else 200


@bp.route("/register/verify", methods=["GET", "POST"])
def verify():
    """Enter the mailed code to activate the account."""
    errors = {}
    if request.method == "POST":
        try:
            registration.verify_email(db.session, request.form.get("username", ""), request.form.get("code", ""), now())
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            flash("邮箱已验证，账号已启用。请登录后填写《专家入库推荐表》。", "success")
            return redirect(url_for("auth.login", next=url_for("admission.new")))
    return render_template("auth/verify.html", username=request.values.get("username") or request.args.get("u", ""),
                           errors=errors), 422 if errors else 200


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot():
    """Ask for a reset code by username or e-mail (the same reply whether the account exists or not)."""
    if request.method == "POST":
        login = request.form.get("username", "")
        registration.request_reset(db.session, login, now())
        flash(SENT.format(minutes=registration.CODE_MINUTES), "info")
        return redirect(url_for("register.reset", u=login if "@" not in login else ""))
    return render_template("auth/forgot.html")


@bp.route("/password/reset", methods=["GET", "POST"])
def reset():
    """Set a new password with the mailed code; every session and token of the account ends."""
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            registration.reset_with_code(db.session, form.get("username", ""), form.get("code", ""),
                                         form.get("new_password", ""), form.get("confirm_password", ""), now())
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            flash("密码已重设，请用新密码登录。", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", username=form.get("username") or request.args.get("u", ""),
                           errors=errors), 422 if errors else 200
