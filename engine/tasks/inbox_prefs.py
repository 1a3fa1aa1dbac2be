"""A reviewer's own inbox settings (units of work): saved filters (name + the inbox query string) and private
follow-up dates on tasks. Only the owner sees or changes them: another user's filter is a 404."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select

from engine.core import inbox_filters
from engine.core.errors import NotFound, ValidationFailed
from engine.core.models import SavedFilter, TaskFollowUp
from engine.core.uow import unit_of_work
from engine.tasks.services import get_task

MAX_FILTERS = 20
MAX_NAME = 30
MAX_FOLLOW_UP_DAYS = 3 * 366
# Query arguments a saved filter keeps (the page number is not a criterion).
KEPT = ("q", "process", "step", "unit", "claimed", "overdue", "follow_up", "sort", "per_page")
# What a strict (API) filter may name: the kept criteria, the inbox parser's aliases, and the page number, which
# the inbox accepts and a saved filter drops (so a copied /tasks query string is accepted as it is).
KNOWN = frozenset(KEPT) | frozenset(inbox_filters.ALIASES.values()) | {"page"}
MAX_QUERY = 1000  # SavedFilter.query's column
TOO_LONG = f"筛选条件过长（保存后不能超过 {MAX_QUERY} 个字符）"


@dataclass(frozen=True)
class FilterEntry:
    """A saved filter as the sidebar shows it: with the number of open tasks it matches now."""

    id: int
    name: str
    query: str
    count: int


def canonical_query(raw: str) -> str:
    """The inbox query string a filter stores: only known criteria, bad values dropped, in a fixed order."""
    args = dict(parse_qsl((raw or "").lstrip("?"), keep_blank_values=False))
    parsed = inbox_filters.parse(args, strict=False)
    values = {
        "q": parsed.flt.q, "process": parsed.flt.process_key or "", "step": parsed.flt.bpmn_id or "",
        "unit": str(parsed.flt.unit_id or ""), "claimed": parsed.flt.claimed or "",
        "overdue": "1" if parsed.flt.overdue else "", "follow_up": parsed.flt.follow_up or "",
        "sort": parsed.flt.sort if parsed.flt.sort != "created" else "",
        "per_page": str(parsed.per_page) if parsed.per_page != inbox_filters.DEFAULT_PAGE_SIZE else "",
    }
    return urlencode([(k, values[k]) for k in KEPT if values[k]])


def query_problems(raw: str) -> dict[str, str]:
    """Strict (API) check of a filter's query string with the inbox's own parser: {criterion: Chinese message}
    for each unknown criterion or bad value; empty when it is good."""
    if len(raw or "") > 4 * MAX_QUERY:  # before parsing: an answer never lists thousands of junk keys
        return {"query": TOO_LONG}
    pairs = parse_qsl((raw or "").lstrip("?"), keep_blank_values=False)
    problems = {key[:30]: f"未知的筛选条件“{key[:30]}”，可用：{'、'.join(KEPT)}" for key, _ in pairs if key not in KNOWN}
    try:
        inbox_filters.parse(dict(pairs), strict=True)
    except ValidationFailed as exc:
        problems |= exc.errors
    return problems


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ValidationFailed({"name": "请填写筛选名称"})
    if len(cleaned) > MAX_NAME:
        raise ValidationFailed({"name": f"筛选名称不能超过 {MAX_NAME} 个字"})
    if not cleaned.isprintable():
        raise ValidationFailed({"name": "筛选名称不能含有控制字符"})
    return cleaned


def _owned(session, user, filter_id: int) -> SavedFilter:
    found = session.get(SavedFilter, filter_id)
    if found is None or found.user_id != user.id:
        raise NotFound("该筛选不存在")
    return found


def _name_taken(session, user, name: str, except_id: int | None = None) -> bool:
    query = select(SavedFilter.id).where(SavedFilter.user_id == user.id, SavedFilter.name == name)
    if except_id is not None:
        query = query.where(SavedFilter.id != except_id)
    return session.scalar(query.limit(1)) is not None


def create_filter(session, user, name: str, raw_query: str, now: datetime, *, strict: bool = False) -> SavedFilter:
    """Save the inbox's current criteria under a name (unique per user, at most MAX_FILTERS). The page's query is
    cleaned (bad values dropped, as the inbox shows them); strict (API): a bad one is refused with the name's."""
    with unit_of_work(session):
        problems = query_problems(raw_query) if strict else {}
        try:
            cleaned = _clean_name(name)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.errors | problems) from None
        if problems:
            raise ValidationFailed(problems)
        mine = session.scalar(select(func.count()).select_from(SavedFilter).where(SavedFilter.user_id == user.id))
        if mine >= MAX_FILTERS:
            raise ValidationFailed({"name": f"最多只能保存 {MAX_FILTERS} 个筛选，请先删除不用的"})
        if _name_taken(session, user, cleaned):
            raise ValidationFailed({"name": f"已有名为“{cleaned}”的筛选"})
        query = canonical_query(raw_query)
        if len(query) > MAX_QUERY:  # a long step or process key: refused, not cut off or a database error
            raise ValidationFailed({"query": TOO_LONG})
        saved = SavedFilter(user_id=user.id, name=cleaned, query=query, created_at=now)
        session.add(saved)
    return saved


def rename_filter(session, user, filter_id: int, name: str) -> SavedFilter:
    """Rename one of the user's filters."""
    with unit_of_work(session):
        saved = _owned(session, user, filter_id)
        cleaned = _clean_name(name)
        if _name_taken(session, user, cleaned, except_id=saved.id):
            raise ValidationFailed({"name": f"已有名为“{cleaned}”的筛选"})
        saved.name = cleaned
    return saved


def delete_filter(session, user, filter_id: int) -> str:
    """Delete one of the user's filters; returns its name."""
    with unit_of_work(session):
        saved = _owned(session, user, filter_id)
        name = saved.name
        session.delete(saved)
    return name


def filters_with_counts(session, user, now: datetime) -> list[FilterEntry]:
    """The user's saved filters in name order, each with its live count (one counting query for all)."""
    saved = session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id)
                            .order_by(SavedFilter.name)).all()
    parsed = {f.id: inbox_filters.parse(dict(parse_qsl(f.query)), strict=False).flt for f in saved}
    counts = inbox_filters.count_each(session, user, parsed, now)
    return [FilterEntry(f.id, f.name, f.query, counts[f.id]) for f in saved]


def parse_follow_up(raw, today: date) -> date:
    """A follow-up date from ISO text: today or later, within three years."""
    try:
        value = date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise ValidationFailed({"follow_up_on": "跟进日期格式应为 YYYY-MM-DD"}) from None
    if value < today:
        raise ValidationFailed({"follow_up_on": "跟进日期不能早于今天"})
    if value > today + timedelta(days=MAX_FOLLOW_UP_DAYS):
        raise ValidationFailed({"follow_up_on": "跟进日期不能晚于三年以后"})
    return value


def set_follow_up(session, user, task_id: int, raw_date, now: datetime) -> date:
    """Set (or move) the user's private follow-up date on a task they may act on."""
    with unit_of_work(session):
        get_task(session, task_id, user)
        value = parse_follow_up(raw_date, inbox_filters.today(now))
        row = session.get(TaskFollowUp, (user.id, task_id))
        if row is None:
            session.add(TaskFollowUp(user_id=user.id, task_id=task_id, follow_up_on=value))
        else:
            row.follow_up_on = value
    return value


def clear_follow_up(session, user, task_id: int) -> bool:
    """Remove the user's follow-up date on a task; False when there was none."""
    with unit_of_work(session):
        get_task(session, task_id, user)
        row = session.get(TaskFollowUp, (user.id, task_id))
        if row is not None:
            session.delete(row)
    return row is not None


def follow_up_on(session, user, task_id: int) -> date | None:
    """The user's follow-up date on a task, if any."""
    row = session.get(TaskFollowUp, (user.id, task_id))
    return row.follow_up_on if row else None
