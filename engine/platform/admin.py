"""Account and unit administration (系统管理员): search, edit roles/unit/contact, deactivate (never delete),
reset a password, unlock; units. Every change is audited with before → after; the last active administrator
can neither be deactivated nor lose the role; a stale edit form is refused (nothing is silently overwritten)."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from engine.core import audit, inbox_index
from engine.core.errors import Conflict, NotFound, ValidationFailed
from engine.core.models import AuditEvent
from engine.core.uow import unit_of_work
from engine.platform import credentials, sessions
from engine.platform.models import UNIT_KINDS, Role, Unit, User, UserRole
from engine.platform.policy import ADMIN
from engine.platform.privacy import has_pii, record_view
from engine.platform.users import EMAIL

PER_PAGE = 50
LOG_ACTIONS = ("user_created", "user_updated", "user_activated", "user_deactivated", "password_reset",
               "password_changed", "account_unlocked", "unit_saved", "session_revoked", "token_revoked",
               "user_registered", "email_verified", "delegation_granted", "delegation_revoked")


@dataclass(frozen=True)
class UserSearch:
    """Criteria of the user list."""

    q: str = ""
    role: str = ""
    unit_id: int | None = None
    active: bool | None = None


def search(session, criteria: UserSearch, page: int = 1):
    """(users of the page, total) matching the criteria, by username."""
    query = select(User)
    if criteria.q:
        like = f"%{criteria.q.strip()}%"
        query = query.where(or_(User.username.ilike(like), User.display_name.ilike(like), User.email.ilike(like)))
    if criteria.role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role_code == criteria.role)))
    if criteria.unit_id:
        query = query.where(User.unit_id == criteria.unit_id)
    if criteria.active is not None:
        query = query.where(User.active.is_(criteria.active))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(User.username).limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE))
    return list(rows), total


def get_user(session, user_id: int) -> User:
    """One account (NotFound otherwise)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    return user


def _subject(user: User) -> tuple[str, int, str]:
    return ("user", user.id, f"{user.display_name}（{user.username}）")  # the username tells namesakes apart


def shown_user(session, viewer: User, user_id: int, now: datetime) -> User:
    """One account for its edit page; the form shows its phone and e-mail in full (to edit them), so showing
    someone else's is a recorded view (engine/platform/privacy)."""
    user = get_user(session, user_id)
    if user.id != viewer.id:
        record_view(session, viewer, now, "系统管理：账号", [_subject(user)],
                    has_pii({"phone": user.phone, "email": user.email}))
    return user


def _snapshot(user: User) -> dict:
    unit = user.unit.code if user.unit else None
    return {"display_name": user.display_name, "email": user.email, "phone": user.phone, "unit": unit,
            "roles": sorted(user.roles), "active": bool(user.active)}


def fingerprint(user: User) -> str:
    """A digest of what the edit form shows; the form sends it back so a concurrent change is detected."""
    return hashlib.sha256(json.dumps(_snapshot(user), sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _other_active_admins(session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).join(UserRole).where(
        UserRole.role_code == ADMIN, User.active.is_(True), User.id != user.id))


def _guard_last_admin(session, user: User, keeps_admin: bool, stays_active: bool) -> None:
    if ADMIN in user.roles and user.active and not (keeps_admin and stays_active) \
            and not _other_active_admins(session, user):
        raise Conflict("这是最后一个启用的系统管理员账号：不能停用或取消其管理员角色。请先为他人授予管理员角色。")


def _edit_problems(session, values: dict) -> dict[str, str]:
    errors = {}
    if not (values.get("display_name") or "").strip() or len(values["display_name"]) > 60:
        errors["display_name"] = "请填写姓名（60 字以内）"
    if values.get("email") and not EMAIL.fullmatch(values["email"]):
        errors["email"] = "电子邮箱格式不正确"
    unknown = sorted(set(values.get("roles") or ()) - set(session.scalars(select(Role.code))))
    if unknown:
        errors["roles"] = "未知角色：" + "、".join(unknown)
    if values.get("unit") and session.scalar(select(Unit.id).where(Unit.code == values["unit"])) is None:
        errors["unit"] = "未知单位"
    return errors


def update_user(session, actor: User, user_id: int, values: dict, seen: str, now: datetime) -> User:
    """Change name, contact, unit and roles of an account as the form shows them (`seen`: its fingerprint)."""
    with unit_of_work(session):
        user = get_user(session, user_id)
        if seen != fingerprint(user):
            raise Conflict("该账号已被他人修改，请刷新页面后重新编辑。")
        errors = _edit_problems(session, values)
        if errors:
            raise ValidationFailed(errors)
        roles = set(values.get("roles") or ())
        _guard_last_admin(session, user, ADMIN in roles, True)
        before = _snapshot(user)
        unit = session.scalar(select(Unit).where(Unit.code == values["unit"])) if values.get("unit") else None
        user.display_name, user.unit_id = values["display_name"].strip(), unit.id if unit else None
        user.email, user.phone = values.get("email") or None, values.get("phone") or None
        user.role_links = [link for link in user.role_links if link.role_code in roles] + [
            UserRole(role_code=code) for code in sorted(roles - user.roles)]
        session.flush()
        session.refresh(user)
        audit.record(session, "user_updated", actor, now, before=before,
                     after=_snapshot(user) | {"user": user.username})  # whose account: the log names them
    return user


def set_active(session, actor: User, user_id: int, active: bool, now: datetime) -> User:
    """Deactivate (sessions and tokens end; never deleted: history keeps the name) or reactivate an account."""
    with unit_of_work(session):
        user = get_user(session, user_id)
        if not active:
            if user.id == actor.id:
                raise Conflict("不能停用自己的账号。")
            _guard_last_admin(session, user, True, False)
            sessions.end_all(session, user, now)
        before = _snapshot(user)
        user.active = active
        audit.record(session, "user_activated" if active else "user_deactivated", actor, now,
                     before=before, after=_snapshot(user) | {"user": user.username})
    return user


def reset_password(session, actor: User, user_id: int, password: str, now: datetime) -> int:
    """An administrator sets a new password (told to the user out of band); their sessions and tokens end."""
    return credentials.reset_password(session, actor, get_user(session, user_id), password, now)


def unlock(session, actor: User, user_id: int, now: datetime) -> None:
    """Lift a lock-out after failed logins."""
    credentials.unlock(session, actor, get_user(session, user_id), now)


def units(session) -> list[Unit]:
    """Every unit, by kind then code."""
    return list(session.scalars(select(Unit).order_by(Unit.kind, Unit.code)))


def save_unit(session, actor: User, now: datetime, *, code: str, name: str, kind: str,
              unit_id: int | None = None) -> Unit:
    """Create a unit, or rename / re-kind one (its code never changes: other records name it)."""
    with unit_of_work(session):
        errors = {}
        name, code = (name or "").strip(), (code or "").strip()
        if not name or len(name) > 100:
            errors["name"] = "请填写单位名称（100 字以内）"
        elif session.scalar(select(Unit.id).where(Unit.name == name, Unit.id != (unit_id or 0))):
            errors["name"] = "已有同名单位"
        if kind not in UNIT_KINDS:
            errors["kind"] = "请选择单位类别"
        unit = session.get(Unit, unit_id) if unit_id else None
        if unit_id and unit is None:
            raise NotFound("单位不存在")
        if unit is None and (not code or len(code) > 40 or session.scalar(select(Unit.id).where(Unit.code == code))):
            errors["code"] = "请填写未被使用的单位代码（40 字以内）"
        if errors:
            raise ValidationFailed(errors)
        before = {"name": unit.name, "kind": unit.kind} if unit else None
        if unit is None:
            unit = Unit(code=code, name=name, kind=kind)
            session.add(unit)
        unit.name, unit.kind = name, kind
        session.flush()
        if before and before["name"] != name:
            inbox_index.refresh_found_by(session, before["name"])  # its requests' open tasks: the new name
        audit.record(session, "unit_saved", actor, now, before=before,
                     after={"code": unit.code, "name": name, "kind": kind})
    return unit


def account_events(session, viewer: User, page: int, now: datetime):
    """The account log: (audit events of account and unit changes on the page, total), newest first. Its before →
    after shows phones and e-mails in full; a page showing someone else's is one recorded view."""
    where = AuditEvent.action.in_(LOG_ACTIONS)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(where))
    rows = list(session.scalars(select(AuditEvent).where(where).order_by(AuditEvent.id.desc())
                                .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)))
    subjects, fields = _log_disclosure(session, viewer, rows)
    record_view(session, viewer, now, "账号管理日志", subjects, fields)
    return rows, total


def _log_disclosure(session, viewer: User, rows: list[AuditEvent]) -> tuple[list, set]:
    """(whose contact data the log page shows, which fields), the viewer's own left out."""
    shown = [(e, has_pii(e.data_before) + has_pii(e.data_after)) for e in rows]
    shown = [(e, f) for e, f in shown if f]
    names = {(e.data_after or {}).get("user") for e, _ in shown} - {None}
    people = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))} if names else {}
    subjects, fields = {}, set()
    for event, found in shown:
        after = event.data_after or {}
        person = people.get(after.get("user"))
        if person is not None and person.id == viewer.id:
            continue
        # An event written before the log named the account: only the name its snapshot holds.
        key = ("user", person.id, _subject(person)[2]) if person else ("user", None, after.get("display_name") or "")
        subjects[key] = True
        fields.update(found)
    return list(subjects), fields
