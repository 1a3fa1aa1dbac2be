"""Inbox search, follow-up filter, sort and page size on top of `inbox.inbox_query` (one parser for page and API).

Every criterion is a column of the inbox row (inbox_index fills them) or the user's own follow-up date (a
correlated lookup on task_follow_up's primary key), so no workflow is loaded and nothing joins a procedure.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select, true, union_all

from engine.core import inbox
from engine.core.errors import ValidationFailed
from engine.core.inbox_index import escape_like, id_hash, looks_like_id_number, normalize
from engine.core.models import HumanTask, TaskFollowUp
from engine.core.status import TaskState
from engine.platform.settings import LOCAL_TZ

PAGE_SIZES = (20, 50, 100)
DEFAULT_PAGE_SIZE = 50
MAX_Q = 100
SORT_LABELS = {"subject": "事项", "step": "环节", "unit": "单位", "created": "创建时间", "due": "办理期限",
               "follow_up": "跟进日期"}
SORTS = tuple(SORT_LABELS) + tuple(f"-{key}" for key in SORT_LABELS)
FOLLOW_UPS = {"set": "已设跟进日期", "due": "待跟进（今日及以前）", "today": "今日跟进"}
CLAIMED = ("mine", "unclaimed")
# The inbox page's parameter names; the API's older names are accepted as aliases.
ALIASES = {"process": "process_key", "step": "bpmn_id", "unit": "unit_id"}


@dataclass
class InboxRequest:
    """A parsed inbox request: the filter, the page and its size, and what was corrected (lenient parse)."""

    flt: inbox.InboxFilter
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    notices: list[str] = field(default_factory=list)


def _arg(args, name: str) -> str:
    value = (args.get(name) or "").strip()
    alias = next((a for a, n in ALIASES.items() if n == name), None)
    return value or (args.get(alias) or "").strip() if alias else value


def _positive(raw: str, name: str, label: str, errors: dict) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1 or int(raw) > 2**31 - 1:
        errors[name] = f"{label}应为正整数"
        return None
    return int(raw)


def _choice(raw: str, name: str, allowed, message: str, errors: dict) -> str | None:
    if raw and raw not in allowed:
        errors[name] = message
        return None
    return raw or None


def parse(args, *, strict: bool) -> InboxRequest:
    """Filters, sort and page from request arguments. Strict (API): a bad value → ValidationFailed (422);
    lenient (page): the default instead, with a Chinese notice saying so."""
    errors: dict[str, str] = {}
    sort = _choice(_arg(args, "sort"), "sort", SORTS, f"未知的排序方式，可选：{'、'.join(SORTS)}", errors)
    per_page = _choice(_arg(args, "per_page"), "per_page", tuple(map(str, PAGE_SIZES)),
                       f"每页条数只能是 {'、'.join(map(str, PAGE_SIZES))}", errors)
    flt = inbox.InboxFilter(
        process_key=_arg(args, "process_key") or None, bpmn_id=_arg(args, "bpmn_id") or None,
        unit_id=_positive(_arg(args, "unit_id"), "unit_id", "单位", errors),
        overdue=_arg(args, "overdue").lower() in ("1", "true", "yes", "on"),
        claimed=_choice(_arg(args, "claimed"), "claimed", CLAIMED, f"claimed 只能取 {'、'.join(CLAIMED)}", errors),
        sort=sort or "created", q=normalize(_arg(args, "q"))[:MAX_Q],
        follow_up=_choice(_arg(args, "follow_up"), "follow_up", tuple(FOLLOW_UPS),
                          f"跟进筛选只能取 {'、'.join(FOLLOW_UPS)}", errors),
    )
    page = _positive(_arg(args, "page"), "page", "页码", errors) or 1
    if errors and strict:
        raise ValidationFailed(errors)
    return InboxRequest(flt, page, int(per_page or DEFAULT_PAGE_SIZE), [_notice(k, v) for k, v in errors.items()])


def _notice(name: str, message: str) -> str:
    fallback = {"sort": "已按创建时间排序", "per_page": f"已按每页 {DEFAULT_PAGE_SIZE} 条显示"}.get(name, "已忽略该条件")
    return f"{message}；{fallback}。"


def text_condition(q: str):
    """Every term of the query is in the row's search text; a full ID number matches its keyed hash."""
    if looks_like_id_number(q):
        return or_(HumanTask.id_number_hash == id_hash(q), HumanTask.search_text.like(f"%{q}%"))
    return and_(*(HumanTask.search_text.like(f"%{escape_like(t)}%", escape="\\") for t in q.split()))


def follow_up_of(user):
    """The user's follow-up date of the row in hand (a correlated lookup by primary key)."""
    return (select(TaskFollowUp.follow_up_on)
            .where(TaskFollowUp.task_id == HumanTask.id, TaskFollowUp.user_id == user.id)
            .scalar_subquery())


def today(now: datetime) -> date:
    """The local calendar day of an instant (follow-up dates are local days)."""
    return now.astimezone(LOCAL_TZ).date()


def _follow_up_condition(user, kind: str, now: datetime):
    mine = follow_up_of(user)
    return {"set": mine.is_not(None), "due": mine <= today(now), "today": mine == today(now)}[kind]


def conditions(user, flt: inbox.InboxFilter, now: datetime) -> list:
    """The search's own predicates (free text, follow-up) beyond what inbox_query applies."""
    found = []
    if flt.q:
        found.append(text_condition(flt.q))
    if flt.follow_up:
        found.append(_follow_up_condition(user, flt.follow_up, now))
    return found


def predicate(user, flt: inbox.InboxFilter, now: datetime):
    """The whole filter as one predicate over visible open rows (for counting saved filters in one query)."""
    parts = [HumanTask.process_key == flt.process_key if flt.process_key else None,
             HumanTask.bpmn_id == flt.bpmn_id if flt.bpmn_id else None,
             HumanTask.unit_id == flt.unit_id if flt.unit_id else None,
             HumanTask.due_at < now if flt.overdue else None,
             {"mine": HumanTask.claimed_by == user.id, "unclaimed": HumanTask.claimed_by.is_(None)}.get(flt.claimed)]
    return and_(true(), *(p for p in parts if p is not None), *conditions(user, flt, now))


def _order(user, sort: str):
    key = sort.lstrip("-")
    column = {"subject": HumanTask.subject, "step": HumanTask.name, "unit": HumanTask.unit_name,
              "created": HumanTask.created_at, "due": HumanTask.due_at, "follow_up": follow_up_of(user)}[key]
    return (column.desc() if sort.startswith("-") else column.asc()).nulls_last()


def search(user, flt: inbox.InboxFilter, now: datetime):
    """inbox_query plus the free text, the follow-up filter and any sort of SORTS (ties by creation, id)."""
    query = inbox.inbox_query(user, flt, now).where(*conditions(user, flt, now))
    sort = flt.sort if flt.sort in SORTS else "created"
    return query.order_by(None).order_by(_order(user, sort), HumanTask.created_at, HumanTask.id)


def page(session, user, flt: inbox.InboxFilter, now: datetime, number: int, per_page: int) -> inbox.InboxPage:
    """A page of the search with the header counts: index range scans per visibility part (inbox.inbox_page)
    for the sorts the indexes serve; the other sorts (step, unit, follow-up, descending) order all matches."""
    if flt.sort in inbox.SORT_COLUMNS:
        return inbox.inbox_page(session, user, flt, now, number, per_page, conditions(user, flt, now))
    query, number = search(user, flt, now), max(1, number)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(session.scalars(query.offset((number - 1) * per_page).limit(per_page)))
    return inbox.InboxPage(items=items, total=total, page=number, per_page=per_page,
                           counts=inbox.inbox_counts(session, user, now))


def _sum_parts(session, user, *columns) -> list[int]:
    """Aggregates over the user's visible open tasks: one row per visibility part (each an index scan), summed."""
    parts = inbox.visible_parts(user, (), *columns)
    rows = session.execute(union_all(*parts) if len(parts) > 1 else parts[0]).all()
    return [sum(row[i] or 0 for row in rows) for i in range(len(columns))]


def count(session, user, flt: inbox.InboxFilter, now: datetime) -> int:
    """How many of the user's open tasks match the whole filter: a count per visibility part (index scans), summed."""
    clauses = [*inbox.filter_clauses(user, flt, now), *conditions(user, flt, now)]
    return sum(session.scalars(union_all(*inbox.visible_parts(user, clauses, func.count()))))


def count_each(session, user, filters: dict, now: datetime) -> dict:
    """{key: open visible tasks matching filters[key]} in one query (the saved filters' sidebar counts)."""
    if not filters:
        return {}
    keys = list(filters)
    counts = _sum_parts(session, user, *(func.count().filter(predicate(user, filters[k], now)) for k in keys))
    return dict(zip(keys, counts, strict=True))


def follow_ups(session, user, task_ids) -> dict[int, date]:
    """The user's follow-up dates of these tasks."""
    ids = list(task_ids)
    if not ids:
        return {}
    return dict(session.execute(select(TaskFollowUp.task_id, TaskFollowUp.follow_up_on).where(
        TaskFollowUp.user_id == user.id, TaskFollowUp.task_id.in_(ids))).all())


def follow_up_counts(session, user, now: datetime) -> dict:
    """The sidebar's 待跟进 (today or earlier) and 今日跟进 counts: from the user's own few follow-up rows, joined to
    those of their tasks still open and visible (not a correlated lookup for every visible task)."""
    day = today(now)
    due, due_today = session.execute(
        select(func.count().filter(TaskFollowUp.follow_up_on <= day), func.count().filter(TaskFollowUp.follow_up_on == day))
        .select_from(TaskFollowUp).join(HumanTask, HumanTask.id == TaskFollowUp.task_id)
        .where(TaskFollowUp.user_id == user.id, HumanTask.state == TaskState.OPEN, inbox.visible_to(user))
    ).one()
    return {"due": due, "today": due_today}


def badge_counts(session, user, now: datetime) -> dict:
    """The cheap counts the pages poll: open tasks, overdue ones, and those whose follow-up date has come."""
    total, overdue = _sum_parts(session, user, func.count(), func.count().filter(HumanTask.due_at < now))
    return {"total": total, "overdue": overdue, "follow_up_due": follow_up_counts(session, user, now)["due"]}
