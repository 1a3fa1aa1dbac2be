"""Retention: the oldest audit events move to a signed archive file; the chain stays verifiable across it.

The archive holds a prefix of the chain (every event up to the last one older than the cut-off) with their
hashes, signed with the checkpoint key (engine.core.checkpoints). The move itself is an audit event
(`audit_archived`: last archived id and hash, events archived in total, the file's sha256), so the remaining
chain starts from a recorded hash instead of the genesis, and `verify` links archive files and database.
This is the one place the application removes events, and only after they are written and signed.
"""

import base64
import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from engine.core import audit, checkpoints
from engine.core.contributions import Contributions
from engine.core.errors import ServiceError
from engine.core.models import AuditEvent

FORMAT = "expertpool-audit-archive"

exports = Contributions()


def _canonical(document: dict) -> bytes:
    unsigned = {k: v for k, v in document.items() if k not in ("signature", "public_key")}
    return json.dumps(unsigned, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _event_dict(event: AuditEvent) -> dict:
    return {"id": event.id, **audit.hashed_fields(event), "prev_hash": event.prev_hash, "hash": event.hash}


def archive(session, actor, now: datetime, before: datetime, key_file, out_file) -> dict:
    """Move every event up to the last one older than `before` into a signed file; return the archive mark."""
    last = session.scalar(select(AuditEvent.id).where(AuditEvent.at < before).order_by(AuditEvent.id.desc()).limit(1))
    if last is None:
        raise ServiceError(f"没有早于 {before.isoformat()} 的审计事件，无需归档")
    if audit.chain_break(session, 0, last) is not None:
        raise ServiceError("审计哈希链在待归档范围内校验失败，拒绝归档（请先调查）")
    out_file = Path(out_file)
    if out_file.exists():
        raise ServiceError(f"归档文件已存在：{out_file}（不会覆盖）")
    events = [_event_dict(e) for e in session.scalars(select(AuditEvent).where(AuditEvent.id <= last)
                                                       .order_by(AuditEvent.id))]
    total = audit.last_archive_mark(session).get("archived_total", 0) + len(events)
    document = {"format": FORMAT, "format_version": 1, "first_prev_hash": events[0]["prev_hash"],
                "last_id": last, "last_hash": events[-1]["hash"], "count": len(events), "archived_total": total,
                "archived_at": now.isoformat(), "events": events}
    key = checkpoints.load_private(key_file)
    document["signature"] = base64.b64encode(key.sign(_canonical(document))).decode("ascii")
    document["public_key"] = checkpoints.raw_hex(key.public_key())
    data = json.dumps(document, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_bytes(data)
    mark = {"last_id": last, "last_hash": events[-1]["hash"], "count": len(events), "archived_total": total,
            "file_sha256": hashlib.sha256(data).hexdigest(), "file": out_file.name}
    audit.record(session, audit.ARCHIVED, actor, now, after=mark)
    session.execute(delete(AuditEvent).where(AuditEvent.id <= last))  # the one sanctioned removal: signed first
    session.commit()
    return mark


def read(path) -> dict:
    """An archive file's document (ServiceError when it is not one)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ServiceError(f"无法读取归档文件 {path}：{exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ServiceError(f"{path} 不是审计日志归档文件")
    return document


def _chain_problems(document: dict, public, prev: str) -> list[str]:
    name = f"归档（至第 {document.get('last_id')} 号事件）"
    try:
        public.verify(base64.b64decode(document.get("signature") or ""), _canonical(document))
    except Exception:  # noqa: BLE001 (InvalidSignature or a malformed signature: both mean "not signed by us")
        return [f"{name}：签名无效（归档文件被修改，或公钥不符）"]
    if document["first_prev_hash"] != prev:
        return [f"{name}：与前一段审计日志不衔接"]
    for event in document["events"]:
        fields = {k: v for k, v in event.items() if k not in ("id", "prev_hash", "hash")}
        if event["prev_hash"] != prev or event["hash"] != audit.event_hash(prev, fields):
            return [f"{name}：第 {event['id']} 号事件的哈希值与其内容不符"]
        prev = event["hash"]
    return [] if prev == document["last_hash"] else [f"{name}：末尾哈希与记录不符"]


def verify(session, documents: list[dict], public) -> list[str]:
    """Archives (oldest first) and the database chain verify together: each archive signed and intact, each
    linked to the one before, the last one to the database's first remaining event."""
    prev, problems = audit.GENESIS, []
    for document in sorted(documents, key=lambda d: d.get("last_id", 0)):
        problems += _chain_problems(document, public, prev)
        prev = document.get("last_hash")
    first = session.scalar(select(AuditEvent).order_by(AuditEvent.id).limit(1))
    if documents and first is not None and first.prev_hash != prev:
        problems.append(f"数据库中第一个事件（第 {first.id} 号）不接在最后一个归档之后（归档缺失或日志被改写）")
    return problems


def archived_events(documents: list[dict]) -> dict[int, tuple[str, int]]:
    """Archived event id → (its hash, its position in the whole chain, 1-based)."""
    out, position = {}, 0
    for document in sorted(documents, key=lambda d: d.get("last_id", 0)):
        for event in document["events"]:
            position += 1
            out[event["id"]] = (event["hash"], position)
    return out


def default_file(now: datetime) -> Path:
    """Where an archive goes when no path is given: beside the checkpoint log."""
    return Path(checkpoints.SETTINGS["log_file"]).parent / f"audit-archive-{now:%Y%m%dT%H%M%S}.json"


@exports.scheduled("audit_retention", "cron", hour=3, minute=30)
def scheduled_retention(session, now: datetime) -> dict | None:
    """Nightly, when EXPERTPOOL_AUDIT_RETENTION_DAYS is set: archive the events older than the retention."""
    days, key_file = checkpoints.SETTINGS.get("retention_days"), checkpoints.SETTINGS["key_file"]
    if not days or not key_file or not checkpoints.SETTINGS["log_file"]:
        return None
    before = now - timedelta(days=int(days))
    if session.scalar(select(AuditEvent.id).where(AuditEvent.at < before).limit(1)) is None:
        return None
    return archive(session, None, now, before, key_file, default_file(now))
