"""Server-side login sessions and API tokens: start, look up, list, and end them (logout, revocation, and
after a password change or reset)."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from engine.core import audit
from engine.core.errors import NotFound
from engine.core.uow import unit_of_work
from engine.platform.models import ApiToken, User, UserSession

SESSION_HOURS = 12  # a browser login lasts one working day at most


def digest(token: str) -> str:
    """The sha256 stored for a session id or token (the raw value is never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session, user: User, now: datetime, ip: str | None = None, user_agent: str | None = None) -> str:
    """Record a new browser login for `user` (in the caller's unit of work); returns the cookie's raw id."""
    raw = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=digest(raw), created_at=now,
                            expires_at=now + timedelta(hours=SESSION_HOURS), ip=(ip or "")[:45] or None,
                            user_agent=(user_agent or "")[:200] or None))
    return raw


def session_user(session, user_id: int, raw: str | None, now: datetime) -> User | None:
    """The active user of the open, unexpired session behind a cookie, roles loaded, in one query (every
    request asks); None after logout, revocation, expiry or deactivation."""
    if not raw:
        return None
    return session.execute(
        select(User).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == digest(raw), UserSession.user_id == user_id,
               UserSession.ended_at.is_(None), UserSession.expires_at > now, User.active.is_(True))
        .options(joinedload(User.role_links))).unique().scalar_one_or_none()


def end(session, raw: str | None, now: datetime) -> None:
    """Logout: end the session behind this cookie for good."""
    with unit_of_work(session):
        if raw:
            session.execute(update(UserSession).where(UserSession.token_hash == digest(raw),
                                                      UserSession.ended_at.is_(None)).values(ended_at=now))


def end_all(session, user: User, now: datetime, keep: str | None = None) -> int:
    """End every session and token of `user` except the session `keep` (caller's unit of work); returns how many."""
    ended = session.execute(update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None),
        UserSession.token_hash != digest(keep or "")).values(ended_at=now)).rowcount
    revoked = session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
                              .values(revoked=True)).rowcount
    return ended + revoked


def open_sessions(session, user: User, now: datetime) -> list[UserSession]:
    """The user's browser logins still open, newest first."""
    return list(session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None), UserSession.expires_at > now)
        .order_by(UserSession.created_at.desc(), UserSession.id.desc())))


def open_tokens(session, user: User, now: datetime) -> list[ApiToken]:
    """The user's API tokens still valid, newest first."""
    return list(session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked.is_(False), ApiToken.expires_at > now)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_session(session, user: User, session_id: int, now: datetime) -> None:
    """End one of the user's own sessions (another user's is not found)."""
    with unit_of_work(session):
        row = session.get(UserSession, session_id)
        if row is None or row.user_id != user.id or row.ended_at is not None:
            raise NotFound("会话不存在或已结束")
        row.ended_at = now
        audit.record(session, "session_revoked", user, now, after={"session_id": row.id})


def revoke_token(session, user: User, token_id: int, now: datetime) -> None:
    """Revoke one of the user's own API tokens (another user's is not found)."""
    with unit_of_work(session):
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != user.id or row.revoked:
            raise NotFound("令牌不存在或已撤销")
        row.revoked = True
        audit.record(session, "token_revoked", user, now, after={"token_id": row.id})
