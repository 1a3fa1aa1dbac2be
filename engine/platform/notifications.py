"""Notifications: in-app rows plus an e-mail outbox sent by smtplib (at-least-once, never lost).

`notify` writes in the caller's transaction, so a rolled-back action sends nothing. `send_outbox` leases
each mail before sending (a crash leaves the lease to expire and the mail is retried), records failures
and retries them with a capped back-off. SMTP settings come from the environment, never Flask config.
"""

import logging
import os
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import urlencode

from sqlalchemy import func, or_, select, update

from engine.core.contributions import Contributions
from engine.core.errors import NotFound
from engine.core.uow import unit_of_work
from engine.platform.models import Notification, OutboxMail, User

exports = Contributions()  # installed by engine.bootstrap

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # a mail being sent is hidden from other senders this long
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes; an empty host disables sending (mail stays queued)."""

    host: str = ""
    port: int = 25
    sender: str = "expertpool@localhost"
    base_url: str = ""


def smtp_settings() -> SmtpSettings:
    """EXPERTPOOL_SMTP_HOST / _PORT / _MAIL_FROM and EXPERTPOOL_BASE_URL (links in mails)."""
    return SmtpSettings(
        host=os.environ.get("EXPERTPOOL_SMTP_HOST", "").strip(),
        port=int(os.environ.get("EXPERTPOOL_SMTP_PORT", "25") or 25),
        sender=os.environ.get("EXPERTPOOL_MAIL_FROM", "expertpool@localhost"),
        base_url=os.environ.get("EXPERTPOOL_BASE_URL", "").rstrip("/"),
    )


def _mail_body(body: str, link: str | None, base_url: str) -> str:
    if not link:
        return body
    return f"{body}\n\n办理/查看：{base_url}{link}" if base_url else f"{body}\n\n请登录专家库系统查看：{link}"


def _address(user) -> str:
    try:
        return formataddr((user.display_name, user.email))
    except UnicodeError:  # an internationalized address: queue it bare, the SMTP server decides
        return user.email


def task_link(instance_id: int | None, case: str) -> str:
    """A link to the recipient's own open task on an instance (webui: /tasks/for/<id>, after login), falling
    back to the case page `case` when they have nothing (left) to do there."""
    if instance_id is None:
        return case
    return f"/tasks/for/{int(instance_id)}?{urlencode({'case': case})}"


MAIL_QUEUED = "mail_queued"  # session.info flag: the web layer sends right after commit only when set


def notify(session, user_ids: Iterable[int], subject: str, body: str, now: datetime,
           link: str | None = None) -> list[Notification]:
    """Queue an in-app notification for each user and an e-mail for those with an address (no commit)."""
    ids = sorted({int(i) for i in user_ids if i is not None})
    if not ids:
        return []
    base_url = smtp_settings().base_url
    created = []
    for user in session.scalars(select(User).where(User.id.in_(ids), User.active)):
        note = Notification(user_id=user.id, subject=subject[:200], body=body, link=link, created_at=now)
        session.add(note)
        created.append(note)
        if user.email:
            session.add(OutboxMail(to_address=_address(user), subject=subject[:200],
                                   body=_mail_body(body, link, base_url), created_at=now, attempts=0))
            session.info[MAIL_QUEUED] = True
    return created


def mail_to(session, name: str, address: str, subject: str, body: str, now: datetime) -> None:
    """Queue one e-mail to an address that is not (yet) an active user's — e.g. a registration code (no commit)."""
    try:
        to = formataddr((name, address))
    except UnicodeError:
        to = address
    session.add(OutboxMail(to_address=to, subject=subject[:200], body=body, created_at=now, attempts=0))
    session.info[MAIL_QUEUED] = True


def _due(now: datetime):
    return or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now)


def _lease(session, now: datetime, limit: int) -> list[OutboxMail]:
    """Take up to `limit` due mails and hide them from other senders for LEASE (committed)."""
    query = select(OutboxMail).where(OutboxMail.sent_at.is_(None), _due(now)).order_by(OutboxMail.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    mails = list(session.scalars(query))
    for mail in mails:
        mail.attempts = (mail.attempts or 0) + 1
        mail.next_attempt_at = now + LEASE
    session.commit()
    return mails


def _failed(mail: OutboxMail, now: datetime, exc: Exception) -> None:
    mail.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    mail.next_attempt_at = now + min(timedelta(minutes=2 ** min(mail.attempts, 10)), MAX_BACKOFF)


def _message(mail: OutboxMail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, mail.to_address, mail.subject
    msg.set_content(mail.body)
    return msg


def send_outbox(session, host: str, port: int, now: datetime, limit: int = 100,
                sender: str = "expertpool@localhost", timeout: float = 10) -> int:
    """Send due queued mails through the SMTP server; returns how many were sent (commits per mail)."""
    if not host:
        return 0
    mails = _lease(session, now, limit)
    if not mails:
        return 0
    try:
        smtp = smtplib.SMTP(host, int(port), timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        for mail in mails:
            _failed(mail, now, exc)
        session.commit()
        log.warning("SMTP %s:%s unreachable: %s", host, port, exc)
        return 0
    sent = 0
    with smtp:
        for mail in mails:
            try:
                smtp.send_message(_message(mail, sender))
                mail.sent_at, mail.last_error, mail.next_attempt_at = now, None, None
                sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                _failed(mail, now, exc)
            session.commit()  # per mail: a later crash never re-sends the ones already marked
    return sent


@exports.scheduled("send_outbox", "interval", minutes=1)
def send_outbox_job(session, now: datetime) -> int:
    """Every minute: send the outbox when EXPERTPOOL_SMTP_HOST is configured (otherwise mail waits)."""
    cfg = smtp_settings()
    return send_outbox(session, cfg.host, cfg.port, now, sender=cfg.sender) if cfg.host else 0


def unread_count(session, user_id: int) -> int:
    """How many in-app notifications the user has not read."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def recent(session, user_id: int, limit: int = 50) -> list[Notification]:
    """The user's latest notifications, newest first."""
    return list(session.scalars(select(Notification).where(Notification.user_id == user_id)
                                .order_by(Notification.id.desc()).limit(limit)))


@dataclass(frozen=True)
class NotificationPage:
    """One page of a user's notifications (newest first), how many match in all and how many are unread."""

    items: list[Notification]
    total: int
    unread: int


def page_for(session, user_id: int, page: int, per_page: int, unread_only: bool = False) -> NotificationPage:
    """A page of the user's own notifications, newest first; only the unread ones on request (the API's list)."""
    mine = [Notification.user_id == user_id] + ([Notification.read_at.is_(None)] if unread_only else [])
    total = session.scalar(select(func.count()).select_from(Notification).where(*mine)) or 0
    items = list(session.scalars(select(Notification).where(*mine).order_by(Notification.id.desc())
                                 .offset((page - 1) * per_page).limit(per_page)))
    return NotificationPage(items, total, total if unread_only else unread_count(session, user_id))


def mark_many(session, user_id: int, note_ids: Iterable[int] | None, now: datetime) -> tuple[int, int]:
    """Mark the given notifications of the user read, or all of them when `note_ids` is None (one unit of work);
    returns (marked now, still unread). An id that is missing or another user's → NotFound and nothing changes;
    one of the user's already read stays as it was (marking again is harmless)."""
    with unit_of_work(session):
        mine = [Notification.user_id == user_id, Notification.read_at.is_(None)]
        if note_ids is not None:
            ids = sorted(set(note_ids))
            owned = set(session.scalars(select(Notification.id).where(
                Notification.id.in_(ids), Notification.user_id == user_id)))
            missing = [i for i in ids if i not in owned]
            if missing:  # another user's id is answered like a missing one: its existence is not theirs to know
                raise NotFound("通知不存在：" + "、".join(map(str, missing[:10])))
            mine.append(Notification.id.in_(ids))
        marked = session.execute(update(Notification).where(*mine).values(read_at=now)).rowcount or 0
        unread = unread_count(session, user_id)
    return marked, unread


def mark_all_read(session, user_id: int, now: datetime) -> int:
    """Mark every unread notification of the user as read (one unit of work); returns how many."""
    with unit_of_work(session):
        result = session.execute(update(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now))
    return result.rowcount or 0


def mark_read(session, user_id: int, note_id: int, now: datetime) -> bool:
    """Mark one of the user's own notifications read (one unit of work); False when it is not theirs."""
    with unit_of_work(session):
        result = session.execute(update(Notification).where(
            Notification.id == note_id, Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=now))
    return bool(result.rowcount)


def set_digest(session, user_id: int, wanted: bool) -> None:
    """我的账号: receive the daily 待办日报 e-mail or not (one unit of work)."""
    with unit_of_work(session):
        user = session.get(User, user_id)
        user.digest_opt_out = not wanted
