"""Auditor search over audit events and the instances they belong to: filters, counts, paging, sorting, export.

Who may search (policy.SEARCH_AUDIT) is a subset of who sees drawn names (policy.SEE_DRAWN_NAMES): a search by
expert, actor or free text over every event would otherwise tell a viewer who sees requests sealed which experts
were drawn (Art 13). The check below refuses anyone else, whatever the route says.
"""

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select

from engine.core import audit
from engine.core.errors import Forbidden, ValidationFailed
from engine.core.models import AuditEvent, ProcessInstance, ProcessVersion
from engine.core.status import InstanceStatus
from engine.experts.models import Engagement, Expert
from engine.platform import policy
from engine.platform.models import Unit
from engine.platform.settings import LOCAL_TZ

PER_PAGE = 50
PAGE_SIZES = (10, 20, 50, 100)
EXPORT_LIMIT = 20000  # an export larger than this is refused: narrow the search first
SORTS = {"at": AuditEvent.id, "actor": AuditEvent.actor_name, "action": AuditEvent.action,
         "process": ProcessInstance.process_key}
COLUMNS = ("事件编号", "时间", "操作人", "操作", "流程", "版本", "步骤", "实例", "实例主题", "单位", "实例状态")


@dataclass
class EventSearch:
    """The filters, sort and page of one search (every field optional)."""

    expert_id: int | None = None
    unit_id: int | None = None
    process_key: str = ""
    version: int | None = None
    actor: str = ""
    step: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    outcome: str = ""
    q: str = ""
    sort: str = "at"
    descending: bool = True
    page: int = 1
    per_page: int = PER_PAGE

    def as_dict(self) -> dict:
        """JSON-safe filters (for the export's audit event)."""
        skip = {"page", "per_page"}
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)
                if f.name not in skip and getattr(self, f.name) not in (None, "")}


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def parse(args) -> EventSearch:
    """Filters from request arguments (a mapping of strings); bad values → ValidationFailed with Chinese messages."""
    errors, values = {}, {}
    for name in ("expert_id", "unit_id", "version", "page"):
        raw = (args.get(name) or "").strip()
        if raw:
            if not raw.isdigit() or int(raw) < 1:
                errors[name] = "请填写正整数"
            else:
                values[name] = int(raw)
    for name in ("date_from", "date_to"):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                values[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = "日期格式应为 YYYY-MM-DD"
    _check_choices(args, errors, values)
    for name in ("process_key", "actor", "step", "action", "q"):
        values[name] = (args.get(name) or "").strip()[:100]
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        errors["date_to"] = "截止日期不能早于起始日期"
    if errors:
        raise ValidationFailed(errors)
    return EventSearch(**values)


def _check_choices(args, errors: dict, values: dict) -> None:
    outcome, sort = (args.get("outcome") or "").strip(), (args.get("sort") or "at").strip()
    size = (args.get("per_page") or "").strip()
    if size and size not in {str(n) for n in PAGE_SIZES}:
        errors["per_page"] = "每页条数只能是 " + "、".join(map(str, PAGE_SIZES))
    elif size:
        values["per_page"] = int(size)
    if outcome and outcome not in {s.value for s in InstanceStatus}:
        errors["outcome"] = "未知的实例状态"
    if sort not in SORTS:
        errors["sort"] = "未知的排序方式"
    values.update(outcome=outcome, sort=sort if sort in SORTS else "at",
                  descending=(args.get("order") or "desc").strip() != "asc")


def check_viewer(viewer) -> None:
    if not policy.allows(viewer, policy.SEARCH_AUDIT):
        raise Forbidden("您无权检索审计记录")


def _expert_clause(session, expert_id: int):
    """Events about one expert: their own actions, instances named after them, requests that engaged them."""
    expert = session.get(Expert, expert_id)
    if expert is None:
        raise ValidationFailed({"expert_id": "专家不存在"})
    requests = session.scalars(select(Engagement.request_id).where(Engagement.expert_id == expert_id)).all()
    # the procedures name an expert's instances "姓名 — 事项" (admission, renewal, exit) or "事项 — 姓名" (evaluation)
    clauses = [ProcessInstance.subject.startswith(f"{expert.name} — ", autoescape=True),
               ProcessInstance.subject.endswith(f" — {expert.name}", autoescape=True),
               ProcessInstance.business_key.in_([f"REQ-{r}" for r in requests])]  # assignment's business key
    if expert.user_id is not None:
        clauses.append(AuditEvent.actor_id == expert.user_id)
    return or_(*clauses)


def _local_start(day: date) -> datetime:
    """The instant a local (Asia/Shanghai) day begins."""
    return datetime.combine(day, time.min, LOCAL_TZ)


def _text(column, value: str):
    return column.contains(value, autoescape=True)


def _where(session, s: EventSearch) -> list:
    """The SQL conditions of the filters that are set (each built only when its filter is set)."""
    conditions = [
        (s.unit_id, lambda: ProcessInstance.unit_id == s.unit_id),
        (s.process_key, lambda: ProcessInstance.process_key == s.process_key),
        (s.version, lambda: ProcessVersion.version == s.version),
        (s.action, lambda: AuditEvent.action == s.action),
        (s.outcome, lambda: ProcessInstance.status == s.outcome),
        (s.date_from, lambda: AuditEvent.at >= _local_start(s.date_from)),
        (s.date_to, lambda: AuditEvent.at < _local_start(s.date_to + timedelta(days=1))),
        (s.actor, lambda: _text(AuditEvent.actor_name, s.actor)),
        (s.step, lambda: or_(_text(AuditEvent.bpmn_id, s.step), _text(AuditEvent.task_name, s.step))),
        (s.q, lambda: or_(*(_text(column, s.q) for column in (
            AuditEvent.actor_name, AuditEvent.task_name, ProcessInstance.subject, ProcessVersion.name)))),
        (s.expert_id, lambda: _expert_clause(session, s.expert_id)),
    ]
    return [build() for active, build in conditions if active]


def matching_events(session, s: EventSearch):
    """The select of (event, instance, version, unit) rows matching the filters, unordered."""
    query = (select(AuditEvent, ProcessInstance, ProcessVersion, Unit)
             .outerjoin(ProcessInstance, ProcessInstance.id == AuditEvent.instance_id)
             .outerjoin(ProcessVersion, ProcessVersion.id == AuditEvent.version_id)
             .outerjoin(Unit, Unit.id == ProcessInstance.unit_id))
    return query.where(*_where(session, s))


def _ordered(query, s: EventSearch):
    column = SORTS[s.sort]
    primary = column.desc() if s.descending else column.asc()
    tie = AuditEvent.id.desc() if s.descending else AuditEvent.id.asc()
    return query.order_by(primary, tie)


def search(session, viewer, s: EventSearch) -> dict:
    """One page of matching events (newest first by default) with the total and the counts per action."""
    check_viewer(viewer)
    query = matching_events(session, s)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    by_action = query.with_only_columns(AuditEvent.action, func.count()).group_by(AuditEvent.action)
    page = max(1, s.page)
    rows = session.execute(_ordered(query, s).offset((page - 1) * s.per_page).limit(s.per_page)).all()
    return {"rows": [_row(*r) for r in rows], "total": total, "page": page,
            "pages": max(1, (total + s.per_page - 1) // s.per_page),
            "by_action": dict(sorted(session.execute(by_action).all()))}


def _row(event: AuditEvent, instance, version, unit) -> dict:
    return {"id": event.id, "at": event.at, "actor": event.actor_name, "action": event.action,
            "process_key": instance.process_key if instance else "", "process": version.name if version else "",
            "version": version.version if version else None, "step": event.task_name or event.bpmn_id or "",
            "instance_id": event.instance_id, "subject": instance.subject if instance else "",
            "unit": unit.name if unit else "", "status": instance.status if instance else ""}


def export_rows(session, viewer, s: EventSearch, now: datetime, fmt: str) -> list[dict]:
    """Every row the search finds, in its order, and an audit event saying who exported what (caller commits)."""
    check_viewer(viewer)
    query = matching_events(session, s)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    if total > EXPORT_LIMIT:
        raise ValidationFailed({"export": f"结果超过 {EXPORT_LIMIT} 条，请缩小检索范围后再导出"})
    rows = [_row(*r) for r in session.execute(_ordered(query, s)).all()]
    audit.record(session, "audit_search_exported", viewer, now,
                 after={"format": fmt, "filters": s.as_dict(), "rows": len(rows),
                        "event_ids": [r["id"] for r in rows][:1000]})
    return rows


def table(rows: list[dict]) -> list[list]:
    """The export's cells, one list per row, in COLUMNS order (local time and labels, as the page shows them)."""
    labels = InstanceStatus.labels()
    return [[r["id"], r["at"].astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"), r["actor"], r["action"],
             r["process"], r["version"] or "", r["step"], r["instance_id"] or "", r["subject"], r["unit"],
             labels.get(r["status"], r["status"])] for r in rows]
