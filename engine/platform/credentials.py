"""Passwords as people change them: the policy (rules/passwords.py), a user's own change, an administrator's
reset and unlock. Changing or resetting a password ends the user's other sessions and API tokens."""

from datetime import datetime

from engine.core import audit
from engine.core.errors import ValidationFailed
from engine.core.uow import unit_of_work
from engine.platform import sessions
from engine.platform.models import User
from engine.platform.passwords import check_password, hash_password
from rules.passwords import password_problems


def checked_hash(password: str, username: str, field: str = "password") -> str:
    """The hash of a new password that meets the policy; ValidationFailed (on `field`) otherwise."""
    problems = password_problems(password or "", username)
    if problems:
        raise ValidationFailed({field: "；".join(problems)})
    return hash_password(password)


def change_own_password(session, user: User, current: str, new: str, confirm: str, now: datetime,
                        keep_session: str | None = None) -> int:
    """The user changes their password; every other session and token ends. Returns how many ended."""
    with unit_of_work(session):
        if not check_password(user.password_hash, current or ""):
            raise ValidationFailed({"current_password": "当前密码不正确"})
        if new != confirm:
            raise ValidationFailed({"confirm_password": "两次输入的新密码不一致"})
        if check_password(user.password_hash, new or ""):
            raise ValidationFailed({"new_password": "新密码不能与当前密码相同"})
        user.password_hash = checked_hash(new, user.username, "new_password")
        ended = sessions.end_all(session, user, now, keep=keep_session)
        audit.record(session, "password_changed", user, now, after={"sessions_ended": ended})
    return ended


def reset_password(session, actor: User | None, user: User, new: str, now: datetime) -> int:
    """An administrator (or the CLI, actor None) sets a user's password: unlocks, ends every session/token."""
    with unit_of_work(session):
        user.password_hash = checked_hash(new, user.username)
        user.failed_logins, user.locked_until = 0, None
        ended = sessions.end_all(session, user, now)
        audit.record(session, "password_reset", actor, now,
                     after={"user": user.username, "sessions_ended": ended})
    return ended


def unlock(session, actor: User | None, user: User, now: datetime) -> None:
    """Lift a lock-out (an administrator, or the CLI with actor None)."""
    with unit_of_work(session):
        user.failed_logins, user.locked_until = 0, None
        audit.record(session, "account_unlocked", actor, now, after={"user": user.username})
