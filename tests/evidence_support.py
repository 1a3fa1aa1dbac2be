"""Helpers for the evidence tests: a signing key in tmp, and the forger who rewrites the database consistently."""

from sqlalchemy import select, update

from engine.assignment.models import DrawRecordRow
from engine.core import audit, checkpoints
from engine.core.models import AuditEvent
from engine.experts.models import Engagement
from rules import draw as draw_rules
from rules.draw_record import record_sha256
from tests.assignment_support import create, make_pool


def signing_key(tmp_path, monkeypatch=None):
    """A fresh Ed25519 key and a checkpoint log path in tmp; configured for the engine when monkeypatch is given."""
    key_file, log_file = tmp_path / "keys" / "audit.key", tmp_path / "audit-checkpoints.jsonl"
    checkpoints.generate_key(key_file)
    if monkeypatch is not None:
        monkeypatch.setitem(checkpoints.SETTINGS, "key_file", str(key_file))
        monkeypatch.setitem(checkpoints.SETTINGS, "log_file", str(log_file))
    return key_file, log_file


def drawn_request(session, users):
    """A random request drawn through the assignment service (its draw_round anchors are in the chain)."""
    make_pool(session, 4)
    request = create(session, users["using_unit"])
    return request, session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request.id))


def recompute_chain(session, edits: dict[int, dict] | None = None) -> None:
    """What a forger with database access does: apply `edits` (event id → column values) in SQL and recompute
    every event's prev_hash and hash from the genesis, so the chain is consistent again."""
    edits = edits or {}
    prev = audit.GENESIS
    for event_id in session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all():
        event = session.get(AuditEvent, event_id)
        fields = audit.hashed_fields(event) | edits.get(event_id, {})
        new_hash = audit.event_hash(prev, fields)
        session.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(
            **edits.get(event_id, {}), prev_hash=prev, hash=new_hash))
        prev = new_hash
    session.commit()
    session.expire_all()


def rewrite_draw(session, row: DrawRecordRow) -> None:
    """Rewrite a draw with another seed: record, engagements and anchors changed, the whole chain recomputed."""
    stored = draw_rules.DrawRecord.from_dict(row.record)
    record = draw_rules.new_draw(stored.candidates, bytes([1]) * 32, stored.rounds[0].wanted, stored.entity_of,
                                 stored.rounds[0].screened)
    moved = dict(zip(stored.drawn(), record.drawn(), strict=False))
    for engagement in session.scalars(select(Engagement).where(Engagement.request_id == row.request_id)):
        engagement.expert_id = moved.get(engagement.expert_id, engagement.expert_id)
    row.record, row.seed_hex = record.to_dict(), record.seed_hex
    session.commit()
    edits = {}
    for event in session.scalars(select(AuditEvent).where(AuditEvent.action == "draw_round")):
        if (event.data_after or {}).get("draw_id") != row.id:
            continue
        r = row.record["rounds"][event.data_after["round"] - 1]
        edits[event.id] = {"data_after": event.data_after | {
            "picked": r["picked"], "seed_hex": record.seed_hex, "inputs_sha256": r.get("inputs_sha256"),
            "record_sha256": record_sha256(dict(row.record, rounds=row.record["rounds"][:r["round"]]))}}
    recompute_chain(session, edits)
