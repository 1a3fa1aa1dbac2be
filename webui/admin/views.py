"""系统管理 (admin): accounts, units, the role list with what each role may do, and the account log
(auditors read it too). Thin views: validate, call engine.platform.admin, render/redirect."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from engine.core.errors import ValidationFailed
from engine.platform import admin, policy, users
from engine.platform.models import UNIT_KINDS, Role
from webui.auth import requires
from webui.extensions import db
from webui.timeutil import now

bp = Blueprint("administration", __name__, url_prefix="/admin", template_folder="templates")
ACCOUNT_ACTIONS = {"user_created": "新建账号", "user_updated": "修改账号", "user_activated": "启用账号",
                   "user_deactivated": "停用账号", "password_reset": "重设密码", "password_changed": "本人修改密码",
                   "account_unlocked": "解除锁定", "unit_saved": "保存单位", "session_revoked": "结束登录会话",
                   "token_revoked": "撤销 API 令牌", "user_registered": "公众注册", "email_verified": "验证邮箱",
                   "delegation_granted": "领导授权（第十三条）", "delegation_revoked": "撤销领导授权"}


def _roles():
    return list(db.session.scalars(select(Role).where(Role.code != policy.SYSTEM).order_by(Role.code)))


def _user_values(form) -> dict:
    return {"display_name": form.get("display_name", ""), "email": form.get("email", "").strip(),
            "phone": form.get("phone", "").strip(), "unit": form.get("unit", ""), "roles": form.getlist("roles")}


@bp.get("/users")
@requires(policy.ADMINISTER)
def users_index():
    """Search accounts by name, role, unit and state."""
    args = request.args
    active = {"1": True, "0": False}.get(args.get("active", ""))
    criteria = admin.UserSearch(q=args.get("q", "").strip(), role=args.get("role", ""),
                                unit_id=args.get("unit", type=int), active=active)
    page = max(1, args.get("page", 1, type=int) or 1)
    rows, total = admin.search(db.session, criteria, page)
    return render_template("admin/users.html", rows=rows, total=total, page=page, per_page=admin.PER_PAGE,
                           criteria=criteria, roles=_roles(), units=admin.units(db.session), at=now())


@bp.route("/users/new", methods=["GET", "POST"])
@requires(policy.ADMINISTER)
def new_user():
    """Create a staff account with roles and a unit."""
    values, errors = {}, {}
    if request.method == "POST":
        values = _user_values(request.form) | {"username": request.form.get("username", "").strip()}
        try:
            user = users.create_user(db.session, current_user, now(), username=values["username"],
                                     display_name=values["display_name"], password=request.form.get("password", ""),
                                     roles=values["roles"], unit_code=values["unit"] or None,
                                     email=values["email"] or None, phone=values["phone"] or None)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            flash(f"已创建账号 {user.username}。请将初始密码另行告知本人，并提醒其登录后修改。", "success")
            return redirect(url_for("administration.edit_user", user_id=user.id))
    return render_template("admin/user_new.html", values=values, errors=errors, roles=_roles(),
                           units=admin.units(db.session)), 422 if errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(policy.ADMINISTER)
def edit_user(user_id: int):
    """Edit name, contact, unit and roles (refused when someone changed the account meanwhile)."""
    errors = {}
    if request.method == "POST":
        try:
            admin.update_user(db.session, current_user, user_id, _user_values(request.form),
                              request.form.get("fingerprint", ""), now())
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            flash("账号已保存。", "success")
            return redirect(url_for("administration.edit_user", user_id=user_id))
    # A refused edit shows the form again (not a new showing); a GET is a recorded view of the contact data.
    user = admin.get_user(db.session, user_id) if errors else admin.shown_user(db.session, current_user, user_id,
                                                                                 now())
    return render_template("admin/user_edit.html", user=user, errors=errors, roles=_roles(),
                           units=admin.units(db.session), fingerprint=admin.fingerprint(user),
                           at=now()), 422 if errors else 200


@bp.post("/users/<int:user_id>/active")
@requires(policy.ADMINISTER)
def set_active(user_id: int):
    """Deactivate (its sessions end; the account stays in history) or reactivate."""
    user = admin.set_active(db.session, current_user, user_id, request.form.get("active") == "1", now())
    flash(f"账号 {user.username} 已{'启用' if user.active else '停用'}。", "success")
    return redirect(url_for("administration.edit_user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@requires(policy.ADMINISTER)
def reset_password(user_id: int):
    """Set a new password for the user; their sessions and tokens end."""
    try:
        ended = admin.reset_password(db.session, current_user, user_id, request.form.get("password", ""), now())
    except ValidationFailed as exc:
        flash("；".join(exc.errors.values()), "danger")
        return redirect(url_for("administration.edit_user", user_id=user_id)), 303
    flash(f"密码已重设，{ended} 个登录会话/令牌已失效。请将新密码另行告知本人。", "success")
    return redirect(url_for("administration.edit_user", user_id=user_id))


@bp.post("/users/<int:user_id>/unlock")
@requires(policy.ADMINISTER)
def unlock(user_id: int):
    """Lift a lock-out."""
    admin.unlock(db.session, current_user, user_id, now())
    flash("已解除锁定。", "success")
    return redirect(url_for("administration.edit_user", user_id=user_id))


@bp.route("/units", methods=["GET", "POST"])
@requires(policy.ADMINISTER)
def units():
    """The units (设区市局, 平潭, 省局处室/直属单位, …); add one or rename one."""
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            admin.save_unit(db.session, current_user, now(), code=form.get("code", ""), name=form.get("name", ""),
                            kind=form.get("kind", ""), unit_id=form.get("unit_id", type=int))
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            flash("单位已保存。", "success")
            return redirect(url_for("administration.units"))
    return render_template("admin/units.html", units=admin.units(db.session), kinds=UNIT_KINDS, errors=errors,
                           form=form), 422 if errors else 200


@bp.get("/roles")
@requires(policy.ADMINISTER)
def roles():
    """Every role and what it may do (engine/platform/policy.py, the one place that says so)."""
    holders = {role: [c for c in policy.CAPABILITIES.values() if role in c.roles] for role in policy.ROLES}
    return render_template("admin/roles.html", roles=_roles(), holders=holders)


@bp.get("/log")
@requires(policy.VIEW_ACCOUNT_LOG)
def account_log():
    """The account and unit changes (who changed what, before → after), newest first."""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = admin.account_events(db.session, current_user, page, now())
    return render_template("admin/log.html", rows=rows, total=total, page=page, per_page=admin.PER_PAGE,
                           ACCOUNT_ACTIONS=ACCOUNT_ACTIONS)
