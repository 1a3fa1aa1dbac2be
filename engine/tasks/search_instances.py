"""审计检索 by instance: the process instances the matching events belong to, with how many events matched.

The same filters as the event search (engine.tasks.search); an instance is found when at least one of its events
matches (so "actor", "step", "action" and dates mean: an instance where that happened)."""

from datetime import datetime

from sqlalchemy import func, select

from engine.core import audit
from engine.core.errors import ValidationFailed
from engine.core.models import AuditEvent, ProcessInstance, ProcessVersion
from engine.core.status import InstanceStatus
from engine.platform.models import Unit
from engine.platform.settings import LOCAL_TZ
from engine.tasks import search

COLUMNS = ("实例", "流程", "版本", "实例主题", "单位", "实例状态", "发起时间", "最近事件时间", "匹配事件数")


def _query(session, s: search.EventSearch):
    matched = (search.matching_events(session, s).where(AuditEvent.instance_id.is_not(None))
               .with_only_columns(AuditEvent.instance_id, func.count(AuditEvent.id).label("n"),
                                  func.max(AuditEvent.id).label("last_id"), func.max(AuditEvent.at).label("last_at"))
               .group_by(AuditEvent.instance_id).subquery())
    query = (select(ProcessInstance, ProcessVersion, Unit, matched.c.n, matched.c.last_at)
             .join(matched, matched.c.instance_id == ProcessInstance.id)
             .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
             .outerjoin(Unit, Unit.id == ProcessInstance.unit_id))
    # "process" sorts by process; every other choice by the instance's latest matching event
    column = ProcessInstance.process_key if s.sort == "process" else matched.c.last_id
    tie = ProcessInstance.id.desc() if s.descending else ProcessInstance.id.asc()
    return query.order_by(column.desc() if s.descending else column.asc(), tie), matched


def _row(instance, version, unit, matched: int, last_at) -> dict:
    return {"id": instance.id, "process": version.name, "process_key": instance.process_key,
            "version": version.version, "subject": instance.subject, "unit": unit.name if unit else "",
            "status": instance.status, "started_at": instance.started_at, "last_at": last_at, "matched": matched}


def search_instances(session, viewer, s: search.EventSearch) -> dict:
    """One page of the instances with matching events, the total of instances and of matching events."""
    search.check_viewer(viewer)
    query, matched = _query(session, s)
    total = session.scalar(select(func.count()).select_from(matched))
    page = max(1, s.page)
    rows = session.execute(query.offset((page - 1) * s.per_page).limit(s.per_page)).all()
    return {"rows": [_row(*r) for r in rows], "total": total, "page": page,
            "pages": max(1, (total + s.per_page - 1) // s.per_page),
            "events": session.scalar(select(func.coalesce(func.sum(matched.c.n), 0)))}


def export_rows(session, viewer, s: search.EventSearch, now: datetime, fmt: str) -> list[dict]:
    """Every instance the search finds, in its order, and the export's audit event (caller commits)."""
    search.check_viewer(viewer)
    query, matched = _query(session, s)
    if session.scalar(select(func.count()).select_from(matched)) > search.EXPORT_LIMIT:
        raise ValidationFailed({"export": f"结果超过 {search.EXPORT_LIMIT} 条，请缩小检索范围后再导出"})
    rows = [_row(*r) for r in session.execute(query).all()]
    audit.record(session, "audit_search_exported", viewer, now, after={
        "format": fmt, "view": "instances", "filters": s.as_dict(), "rows": len(rows),
        "instance_ids": [r["id"] for r in rows][:1000]})
    return rows


def _local(at) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def table(rows: list[dict]) -> list[list]:
    """The export's cells in COLUMNS order, as the page shows them."""
    labels = InstanceStatus.labels()
    return [[r["id"], r["process"], r["version"], r["subject"], r["unit"], labels.get(r["status"], r["status"]),
             _local(r["started_at"]), _local(r["last_at"]), r["matched"]] for r in rows]
