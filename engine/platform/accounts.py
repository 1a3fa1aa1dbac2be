"""Accounts: login with lock-out, browser sessions held on the server, API tokens."""

import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from engine.core import audit
from engine.core.errors import Forbidden, ServiceError
from engine.core.uow import unit_of_work
from engine.platform import sessions
from engine.platform.models import ApiToken, User
from engine.platform.passwords import check_password, hash_password

MAX_FAILURES = 5
LOCK_MINUTES = 15
TOKEN_HOURS = 12
FAILED = f"用户名或密码错误；连续失败 {MAX_FAILURES} 次账号将临时锁定 {LOCK_MINUTES} 分钟"


class LoginFailed(ServiceError):
    """Wrong credentials or a locked account (401)."""

    status = 401
    code = "login_failed"


def authenticate(session, username: str, password: str, now: datetime) -> User:
    """Check credentials; 5 failures lock the account for 15 minutes."""
    with unit_of_work(session):
        return _checked_user(session, username, password, now)


def log_in(session, username: str, password: str, now: datetime, ip: str | None = None,
           user_agent: str | None = None, session_clock: datetime | None = None) -> tuple[User, str]:
    """Check credentials and open a server-side browser session (its lifetime counted from `session_clock`,
    default `now`); returns the user and the cookie's raw id."""
    with unit_of_work(session):
        user = _checked_user(session, username, password, now)
        return user, sessions.start(session, user, session_clock or now, ip, user_agent)


def _checked_user(session, username: str, password: str, now: datetime) -> User:
    # One message and one password hash for every failure (unknown, inactive, locked, wrong password), so
    # neither the answer nor its timing tells whether an account exists.
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    usable = user is not None and user.active
    matches = check_password(user.password_hash if usable else _dummy_hash(), password or "")
    if not usable:
        raise LoginFailed(FAILED)
    if user.locked_until and user.locked_until > now:
        raise LoginFailed(FAILED)
    if not matches:
        _count_failure(session, user, now)
        audit.record(session, "login_failed", user, now)
        session.commit()
        raise LoginFailed(FAILED)
    user.failed_logins, user.locked_until = 0, None
    audit.record(session, "login", user, now)
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def _count_failure(session, user: User, now: datetime) -> None:
    # Atomic increment (not read-modify-write): 25 parallel wrong passwords count 25 and lock the account.
    failures = session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins).execution_options(synchronize_session=False)).scalar_one()
    if failures >= MAX_FAILURES:
        session.execute(update(User).where(User.id == user.id, User.failed_logins >= MAX_FAILURES)
                        .values(locked_until=now + timedelta(minutes=LOCK_MINUTES), failed_logins=0)
                        .execution_options(synchronize_session=False))


def load_user(session, user_id: int) -> User | None:
    """The active user with their roles in one query (the per-request login loader)."""
    user = session.get(User, user_id, options=[joinedload(User.role_links)])
    return user if user is not None and user.active else None


def issue_token(session, user: User, now: datetime) -> tuple[str, datetime]:
    """Create a bearer token; only its hash is stored. Returns (token, expiry)."""
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=TOKEN_HOURS)
    with unit_of_work(session):
        session.add(ApiToken(user_id=user.id, token_hash=sessions.digest(token), created_at=now, expires_at=expires))
    return token, expires


def user_for_token(session, token: str, now: datetime) -> User:
    """The active user a valid token belongs to, or Forbidden-like LoginFailed.

    One read per request (the token with its user and roles) and no write: a token has no last-used stamp.
    """
    found = session.execute(
        select(ApiToken.revoked, ApiToken.expires_at, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == sessions.digest(token or "")).options(joinedload(User.role_links))
    ).unique().first()
    if found is None or found.revoked or found.expires_at <= now:
        raise LoginFailed("令牌无效或已过期")
    if not found.User.active:
        raise Forbidden("账号已停用")
    return found.User
