"""待办日报: once a day each reviewer (policy.DIGEST_ROLES) with an e-mail address who has not turned it off on
我的账号 gets one mail of their open tasks — the overdue ones and those new in the last 24 hours — with links to
the inbox's filtered views and to each task (at most MAX_LISTED, then a count); nothing to report, no mail.

Exactly once per reviewer per local day: the JobRun (reviewer_digest, "<date>:<user id>") is claimed in the unit
of work that queues the mail (engine.core.jobruns), so a second run, another worker or a restart sends nothing
again. The mail lists what the reviewer's own inbox shows, nothing more (no sealed names, Art 13).
"""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from engine.core import jobruns
from engine.core.clock import local_date
from engine.core.contributions import Contributions
from engine.core.errors import Conflict
from engine.core.inbox import visible_to
from engine.core.models import HumanTask
from engine.core.status import TaskState
from engine.core.uow import unit_of_work
from engine.platform import policy
from engine.platform.models import User, UserRole
from engine.platform.notifications import mail_to, smtp_settings
from engine.platform.settings import LOCAL_TZ

exports = Contributions()  # installed by engine.bootstrap

JOB = "reviewer_digest"
SEND_HOUR = 8  # local time: the first run at or after 08:00 Asia/Shanghai sends the day's digests
MAX_LISTED = 20
NEW_WITHIN = timedelta(days=1)


def reviewers(session) -> list[int]:
    """Active reviewers with an e-mail address who have not turned the digest off."""
    return list(session.scalars(
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role_code.in_(policy.DIGEST_ROLES), User.active, User.digest_opt_out.is_(False),
               User.email.is_not(None), User.email != "").distinct().order_by(User.id)))


def _section(session, user, where, order, limit: int) -> tuple[int, list[HumanTask]]:
    query = select(HumanTask).where(HumanTask.state == TaskState.OPEN, visible_to(user), where)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(*order).limit(limit))) if limit > 0 else []
    return count, rows


def content(session, user, now: datetime) -> dict:
    """The user's overdue and new open tasks: counts and the first ones to list (overdue first)."""
    overdue, overdue_rows = _section(session, user, HumanTask.due_at < now, (HumanTask.due_at, HumanTask.id),
                                     MAX_LISTED)
    new, new_rows = _section(session, user, HumanTask.created_at >= now - NEW_WITHIN,
                             (HumanTask.created_at.desc(), HumanTask.id.desc()), MAX_LISTED - len(overdue_rows))
    return {"overdue": overdue, "overdue_rows": overdue_rows, "new": new, "new_rows": new_rows}


def _line(task: HumanTask, base: str, now: datetime) -> str:
    due = ""
    if task.due_at is not None:
        late = (now - task.due_at).days
        due = f"（期限 {local_date(task.due_at).isoformat()}" + (f"，已逾期 {late} 天）" if late > 0 else "）")
    return f"· {task.subject} — {task.name}{due}\n  {base}/tasks/{task.id}"


def _block(title: str, count: int, rows: list[HumanTask], view: str, base: str, now: datetime) -> list[str]:
    if not count:
        return []
    lines = [f"【{title}】{count} 件（全部：{base}{view}）", *(_line(t, base, now) for t in rows)]
    if count > len(rows):
        lines.append(f"另有 {count - len(rows)} 件未列出，请在待办中查看。")
    return [*lines, ""]


def render(user, found: dict, now: datetime, base: str) -> tuple[str, str]:
    """(subject, body) of one reviewer's digest."""
    at = now.astimezone(LOCAL_TZ)
    subject = f"【待办日报】逾期 {found['overdue']} 件，新待办 {found['new']} 件（{at:%Y-%m-%d}）"
    lines = [f"{user.display_name}，您好：", f"截至 {at:%Y-%m-%d %H:%M}，您的待办情况如下。", "",
             *_block("逾期待办", found["overdue"], found["overdue_rows"], "/tasks?overdue=1&sort=due", base, now),
             *_block("近24小时新待办", found["new"], found["new_rows"], "/tasks?sort=-created", base, now),
             f"不需要每日待办日报的，可在“我的账号”中关闭：{base}/account"]
    return subject, "\n".join(lines)


def send_one(session, user_id: int, now: datetime) -> bool:
    """Queue one reviewer's digest for today unless it was done already (one unit of work); True if queued."""
    key = f"{local_date(now).isoformat()}:{user_id}"
    try:
        with unit_of_work(session):
            if jobruns.claim(session, JOB, key, now) is None:
                return False
            user = session.get(User, user_id)
            found = content(session, user, now)
            if found["overdue"] or found["new"]:
                subject, body = render(user, found, now, smtp_settings().base_url)
                mail_to(session, user.display_name, user.email, subject, body, now)
            jobruns.finish(session, JOB, key, now, {"overdue": found["overdue"], "new": found["new"]})
    except Conflict:  # another worker claimed it first
        return False
    return bool(found["overdue"] or found["new"])


@exports.scheduled(JOB, "cron", minute=5)
def digest_job(session, now: datetime) -> dict:
    """Hourly: from 08:00 local time, send each reviewer's digest of the day once (later runs skip them)."""
    if now.astimezone(LOCAL_TZ).hour < SEND_HOUR:
        return {"sent": 0, "early": True}
    return {"sent": sum(send_one(session, user_id, now) for user_id in reviewers(session)), "early": False}
