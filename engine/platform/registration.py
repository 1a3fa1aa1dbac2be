"""Public registration of applicants (Art 6 公开征集) with e-mail verification, and the forgotten-password
reset, both by a one-time code sent through the outbox. Neither answer tells whether an account exists: a
taken username or address gets the same reply, and the mail goes to the address's owner instead."""

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select

from engine.core import audit
from engine.core.errors import ValidationFailed
from engine.core.uow import unit_of_work
from engine.platform import credentials, notifications, sessions
from engine.platform.models import EmailCode, User, UserRole
from engine.platform.policy import APPLICANT
from engine.platform.users import EMAIL, USERNAME
from rules import identity

log = logging.getLogger(__name__)
CODE_MINUTES = 30
MAX_TRIES = 5
UNVERIFIED_HOURS = 24  # an unverified registration holds its username this long
PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")
CODE_FAILED = "验证码不正确或已失效，请重新获取"


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _problems(form: dict, today) -> dict[str, str]:
    errors = {}
    if not USERNAME.fullmatch(form.get("username", "")):
        errors["username"] = "用户名为 3–60 位字母、数字、下划线、点或连字符，以字母开头"
    if not 2 <= len(form.get("display_name", "").strip()) <= 30:
        errors["display_name"] = "请填写真实姓名"
    number = identity.normalize(form.get("id_number"))
    found = identity.identity_problems(number, identity.embedded_birth_date(number), today)  # GB 11643, ≥ 18
    if found:
        errors["id_number"] = found.get("id_number") or found["birth_date"]
    if not PHONE.fullmatch(form.get("phone", "").strip()):
        errors["phone"] = "请填写正确的手机或固定电话号码"
    if not EMAIL.fullmatch(form.get("email", "").strip()):
        errors["email"] = "请填写正确的电子邮箱"
    if form.get("password") != form.get("confirm_password"):
        errors["confirm_password"] = "两次输入的密码不一致"
    return errors


def _mail_code(session, user: User, purpose: str, now: datetime) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(EmailCode(user_id=user.id, purpose=purpose, code_hash=_digest(code), created_at=now,
                          expires_at=now + timedelta(minutes=CODE_MINUTES), attempts=0))
    what = "注册验证码" if purpose == "register" else "重设密码验证码"
    notifications.mail_to(session, user.display_name, user.email, f"专家库{what}",
                          f"您的{what}为 {code}，{CODE_MINUTES} 分钟内有效。如非本人操作，请忽略本邮件。", now)
    if not notifications.smtp_settings().host:  # the demo has no mail server: the code shows in the log
        log.warning("未配置邮件服务器（演示）：%s 的%s为 %s", user.username, what, code)


def _purge_stale(session, now: datetime) -> None:
    # An unverified registration older than a day frees its username and address (it never did anything).
    stale = select(User.id).where(User.active.is_(False), User.created_at < now - timedelta(hours=UNVERIFIED_HOURS),
                                  User.id.in_(select(EmailCode.user_id).where(EmailCode.purpose == "register")),
                                  User.id.not_in(select(EmailCode.user_id).where(EmailCode.used_at.is_not(None))))
    session.execute(delete(User).where(User.id.in_(stale)).execution_options(synchronize_session=False))


def register(session, form: dict, now: datetime) -> str:
    """Register an applicant (inactive until the mailed code is entered); returns the username to verify."""
    with unit_of_work(session):
        errors = _problems(form, now.date())
        username, email = form.get("username", "").strip(), form.get("email", "").strip()
        try:
            password_hash = credentials.checked_hash(form.get("password", ""), username)
        except ValidationFailed as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationFailed(errors)
        _purge_stale(session, now)
        taken = session.scalar(select(User).where(or_(func.lower(User.username) == username.lower(),
                                                      func.lower(User.email) == email.lower())))
        if taken is not None:  # same reply; the address's owner is told instead
            notifications.mail_to(session, form["display_name"], email, "专家库注册提醒",
                                  "有人使用您的电子邮箱或您填写的用户名申请注册专家库账号，但该用户名或邮箱已被使用。"
                                  "如是您本人，请直接登录或使用“忘记密码”；否则请忽略本邮件。", now)
            return username
        user = User(username=username, display_name=form["display_name"].strip(), email=email,
                    phone=form["phone"].strip(), id_number=identity.normalize(form["id_number"]),
                    password_hash=password_hash, active=False, created_at=now)
        user.role_links = [UserRole(role_code=APPLICANT)]
        session.add(user)
        session.flush()
        _mail_code(session, user, "register", now)
        audit.record(session, "user_registered", user, now, after={"user": username})
    return username


def _use_code(session, username: str, purpose: str, code: str, now: datetime) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    row = session.scalar(select(EmailCode).where(
        EmailCode.user_id == (user.id if user else -1), EmailCode.purpose == purpose, EmailCode.used_at.is_(None),
        EmailCode.expires_at > now).order_by(EmailCode.id.desc())) if user else None
    if row is None or row.attempts >= MAX_TRIES:
        raise ValidationFailed({"code": CODE_FAILED})
    if row.code_hash != _digest((code or "").strip()):
        row.attempts += 1
        session.commit()  # a wrong try counts even though the request fails
        raise ValidationFailed({"code": CODE_FAILED})
    row.used_at = now
    return user


def verify_email(session, username: str, code: str, now: datetime) -> User:
    """Enter the mailed code: the address is proven and the applicant's account becomes active."""
    with unit_of_work(session):
        user = _use_code(session, username, "register", code, now)
        user.active = True
        audit.record(session, "email_verified", user, now, after={"user": user.username})
    return user


def request_reset(session, login: str, now: datetime) -> None:
    """忘记密码: mail a code to the account's address (the reply is the same whether it exists or not)."""
    with unit_of_work(session):
        key = (login or "").strip().lower()
        user = session.scalar(select(User).where(User.active.is_(True), User.email.is_not(None), or_(
            func.lower(User.username) == key, func.lower(User.email) == key)))
        if user is not None:
            _mail_code(session, user, "reset", now)


def reset_with_code(session, username: str, code: str, password: str, confirm: str, now: datetime) -> None:
    """Set a new password with the mailed code; every session and token of the account ends."""
    with unit_of_work(session):
        if password != confirm:
            raise ValidationFailed({"confirm_password": "两次输入的密码不一致"})
        user = session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
        # the policy first (no code spent on a weak password), hashed once
        new_hash = credentials.checked_hash(password, user.username if user else (username or ""), "new_password")
        user = _use_code(session, username, "reset", code, now)
        user.password_hash = new_hash
        user.failed_logins, user.locked_until = 0, None
        sessions.end_all(session, user, now)
        audit.record(session, "password_reset", user, now, after={"user": user.username, "by": "email_code"})
