"""Append-only, hash-chained audit events (DESIGN §6): each event's hash covers the previous hash."""

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from engine.core.db import begin_write
from engine.core.errors import Conflict
from engine.core.models import AuditEvent

GENESIS = "0" * 64
ARCHIVED = "audit_archived"  # retention moved the chain's oldest events to a signed file (engine.core.audit_archive)


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, fields: dict) -> str:
    """sha256 over the previous hash and the event's canonical JSON."""
    return hashlib.sha256((prev_hash + _canonical(fields)).encode("utf-8")).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict:
    return {
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "instance_id": event.instance_id,
        "version_id": event.version_id,
        "task_guid": event.task_guid,
        "bpmn_id": event.bpmn_id,
        "task_name": event.task_name,
        "data_before": event.data_before,
        "data_after": event.data_after,
    }


def hashed_fields(event: AuditEvent) -> dict:
    """What an event's hash covers (with its prev_hash), as JSON-safe values: exports show it to outsiders."""
    return _hashed_fields(event)


def _serialize_chain(session) -> None:
    # Two writers must not both extend the same tail. PostgreSQL: a transaction-scoped advisory lock.
    # SQLite: the database write lock, taken before the tail is read (pysqlite would otherwise read the
    # tail outside any transaction, and two writers could chain onto the same event: a fork).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727274)"))
    else:
        begin_write(session)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_pending(session, transaction):
    # Events of a transaction that rolled back are dropped with it (inner transactions of flushes ignored).
    if transaction.parent is None:
        session.info.pop("audit_pending", None)


@sa_event.listens_for(Session, "before_flush")
def _refuse_rewrites(session, flush_context, instances):
    """The application never changes or removes a written event (only appends): a flush that would is refused."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise Conflict("审计日志只能追加，不能修改或删除已记录的事件")


@sa_event.listens_for(Session, "before_commit")
def _chain_pending(session):
    """Chain this transaction's events onto the tail right before commit, under the chain lock.

    Writers take the chain lock only for this last moment, not for their whole unit of work, so a
    writer never waits on the chain while holding row locks another writer needs (no deadlock with
    the instance-row-first lock order) and writers do not queue behind each other's engine steps.
    """
    pending = session.info.pop("audit_pending", None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.flush()  # the unit of work's own rows first, outside the lock: it covers the tail and the append
    _serialize_chain(session)  # (SQLite: the write lock is held since the unit of work began; one flush at commit)
    with session.no_autoflush:
        prev = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar() or GENESIS
    for event in pending:
        event.prev_hash = prev
        event.hash = prev = event_hash(prev, _hashed_fields(event))
    session.add_all(pending)


def record(session, action: str, actor, now: datetime, *, instance=None, task=None, before=None, after=None):
    """Append one event to the caller's transaction; it is chained and written when that commits."""
    event = AuditEvent(
        at=now.astimezone(UTC),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "display_name", None) or "系统",
        action=action,
        instance_id=getattr(instance, "id", None),
        version_id=getattr(instance, "version_id", None),
        task_guid=getattr(task, "task_guid", None),
        bpmn_id=getattr(task, "bpmn_id", None),
        task_name=getattr(task, "name", None),
        data_before=before,
        data_after=after,
    )
    session.info.setdefault("audit_pending", []).append(event)
    return event


def last_archive_mark(session) -> dict:
    """The latest `audit_archived` event's data ({} when nothing was ever archived)."""
    return session.scalar(select(AuditEvent.data_after).where(AuditEvent.action == ARCHIVED)
                          .order_by(AuditEvent.id.desc()).limit(1)) or {}


def chain_base(session) -> str:
    """The hash the database's first event links to: the genesis, or the last event moved to an archive."""
    return last_archive_mark(session).get("last_hash") or GENESIS


def archived_before(session, event_id: int) -> int:
    """How many events before `event_id` were moved to archives (to count a checkpoint's prefix)."""
    mark = last_archive_mark(session)
    return mark.get("archived_total", 0) if mark.get("last_id", 0) < event_id else 0


def archived_through(session) -> int:
    """The id of the last event moved to an archive (0: none)."""
    return last_archive_mark(session).get("last_id", 0)


def verify_chain(session) -> int | None:
    """Recompute the whole chain; return the id of the first tampered event, or None when intact."""
    return chain_break(session, 0)


def chain_break(session, first_id: int, last_id: int | None = None) -> int | None:
    """Recompute the chain from event `first_id` (linked to the event before it) through `last_id` (default: the
    tail); return the id of the first event whose prev_hash or hash does not recompute, or None when intact."""
    prev = session.scalar(select(AuditEvent.hash).where(AuditEvent.id < first_id)
                          .order_by(AuditEvent.id.desc()).limit(1)) or chain_base(session)
    query = select(AuditEvent).where(AuditEvent.id >= first_id)
    if last_id is not None:
        query = query.where(AuditEvent.id <= last_id)
    for event in session.scalars(query.order_by(AuditEvent.id)).yield_per(500):
        if event.prev_hash != prev or event.hash != event_hash(prev, _hashed_fields(event)):
            return event.id
        prev = event.hash
    return None
