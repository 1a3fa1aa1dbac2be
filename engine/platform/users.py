"""Creating staff and applicant accounts (the first administrator from the CLI, later ones by an admin):
one checked path for every way an account comes into being."""

import re
from datetime import datetime

from sqlalchemy import func, select

from engine.core import audit
from engine.core.errors import NotFound, ValidationFailed
from engine.core.uow import unit_of_work
from engine.platform.credentials import checked_hash
from engine.platform.models import Role, Unit, User, UserRole

USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{2,59}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def by_username(session, username: str) -> User:
    """The account with this username (NotFound otherwise)."""
    user = session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def _problems(session, username: str, display_name: str, roles, unit_code, email) -> dict[str, str]:
    errors = {}
    if not USERNAME.fullmatch(username or ""):
        errors["username"] = "用户名为 3–60 位字母、数字、下划线、点或连字符，以字母开头"
    elif session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        errors["username"] = "该用户名已被使用"
    if not (display_name or "").strip() or len(display_name) > 60:
        errors["display_name"] = "请填写姓名（60 字以内）"
    known = set(session.scalars(select(Role.code)))
    unknown = sorted(set(roles) - known)
    if unknown:
        errors["roles"] = "未知角色：" + "、".join(unknown)
    if unit_code and session.scalar(select(Unit.id).where(Unit.code == unit_code)) is None:
        errors["unit"] = f"未知单位：{unit_code}"
    if email and not EMAIL.fullmatch(email):
        errors["email"] = "电子邮箱格式不正确"
    return errors


def create_user(session, actor: User | None, now: datetime, *, username: str, display_name: str, password: str,
                roles=(), unit_code: str | None = None, email: str | None = None, phone: str | None = None) -> User:
    """Create an active account with roles and a unit; every problem is reported at once, nothing is saved."""
    with unit_of_work(session):
        errors = _problems(session, username, display_name, roles, unit_code, email)
        try:
            password_hash = checked_hash(password, username or "")
        except ValidationFailed as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationFailed(errors)
        unit = session.scalar(select(Unit).where(Unit.code == unit_code)) if unit_code else None
        user = User(username=username, display_name=display_name.strip(), password_hash=password_hash,
                    email=email or None, phone=phone or None, unit_id=unit.id if unit else None, created_at=now)
        user.role_links = [UserRole(role_code=code) for code in sorted(set(roles))]
        session.add(user)
        session.flush()
        audit.record(session, "user_created", actor, now,
                     after={"user": username, "roles": sorted(set(roles)), "unit": unit_code})
    return user
