"""The verifiable draw (Art 13) on the database: screen, freeze, rank, store, redraw (verification.py checks it).

rules.recusal decides who may be drawn and why not; rules.draw ranks by HMAC-SHA256(seed, "round:id").
This module only loads inputs, stores the record and its exclusions, and anchors a hash of every stored
record in the hash-chained audit log, so a record edited in place no longer verifies.
"""

import os
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from engine.assignment import exclusions as stored_exclusions
from engine.assignment import snapshot
from engine.assignment.models import DrawRecordRow, WorkRequest
from engine.assignment.profiles import known_codes, load_profiles, screen_request
from engine.assignment.verification import verify_draw  # noqa: F401  (its earlier home: callers import it here)
from engine.core import audit
from engine.experts.models import Engagement
from engine.experts.status import EngagementStatus
from rules import draw as draw_rules
from rules.draw_record import record_sha256
from rules.recusal import RECUSAL_RULES_VERSION, Exclusion, legal_entity_keys

NO_LONGER_ENGAGED = (EngagementStatus.CANCELLED, EngagementStatus.RELEASED)
ART_13 = "第十三条"


def _seed(rng: Callable[[int], bytes] | None) -> bytes:
    """A new draw seed from the host context's random source (production: os.urandom)."""
    return draw_rules.new_seed(rng or os.urandom)


def draw_row(session, request_id: int) -> DrawRecordRow | None:
    """The request's draw record row, if it was ever drawn."""
    return session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request_id))


def _store_exclusions(session, request_id: int, exclusions, round_no: int) -> None:
    stored_exclusions.store(session, request_id, round_no, exclusions)  # one compact row per round


def _anchor(session, row: DrawRecordRow, ctx_actor, now: datetime, instance) -> None:
    """Anchor the record as it stands after a round in the audit chain (docs/draw-record.md, "anchors")."""
    last = row.record["rounds"][-1] if row.record["rounds"] else {}
    audit.record(session, "draw_round", ctx_actor, now, instance=instance, after={
        "request_id": row.request_id, "draw_id": row.id, "round": last.get("round"),
        "picked": last.get("picked", []), "candidates_sha256": row.candidates_sha256,
        "seed_hex": row.seed_hex, "rules_version": row.rules_version,
        "inputs_sha256": last.get("inputs_sha256", ""), "record_sha256": record_sha256(row.record)})


def _screened(exclusions) -> list[tuple[int, str]]:
    """The (expert id, code) pairs a round records and hashes for its stored exclusions."""
    return [(e.expert_id, e.code) for e in exclusions]


def _engaged_elsewhere(session, request: WorkRequest) -> set[int]:
    """Pool experts already engaged in this request outside the draw (designated ones)."""
    return set(session.scalars(select(Engagement.expert_id).where(
        Engagement.request_id == request.id, Engagement.expert_id.is_not(None),
        Engagement.status.not_in(NO_LONGER_ENGAGED))))


def first_draw(session, request: WorkRequest, wanted: int, actor, now: datetime, instance, rng=None) -> list[int]:
    """Screen the group, freeze the candidates, draw round 1 (seeded from `rng`, else os.urandom); returns
    the picked ids in rank order."""
    profiles, known = snapshot.group_profiles(session, request.group_code, request.start_date, request.end_date)
    eligible, exclusions = screen_request(session, profiles, request, now, known)
    engaged = _engaged_elsewhere(session, request)
    eligible = [i for i in eligible if i not in engaged]
    in_group = {p.id for p in profiles}
    exclusions = list(exclusions) + [_engaged_exclusion(i) for i in sorted(engaged & in_group)]
    keep = set(eligible)
    entity_of = legal_entity_keys((p for p in profiles if p.id in keep), known)
    record = draw_rules.new_draw(eligible, _seed(rng), max(wanted, 1), entity_of, _screened(exclusions))
    data = record.to_dict()
    row = DrawRecordRow(request_id=request.id, record=data, candidates_sha256=record.candidates_sha256,
                        seed_hex=record.seed_hex, rules_version=record.rules_version,
                        recusal_version=RECUSAL_RULES_VERSION, pool_size=len(profiles), rounds=1,
                        created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    _store_exclusions(session, request.id, exclusions, 1)
    _anchor(session, row, actor, now, instance)
    return list(record.rounds[-1].picked)


def _engaged_exclusion(expert_id: int) -> Exclusion:
    return Exclusion(expert_id, "engaged_in_request", "已由本申请以指定方式选派", ART_13)


def remaining_candidates(session, request: WorkRequest, row: DrawRecordRow, now: datetime):
    """(ids still drawable, ids to exclude this round, exclusions to store) for the next round."""
    record = draw_rules.DrawRecord.from_dict(row.record)
    gone = set(session.scalars(select(Engagement.expert_id).where(
        Engagement.request_id == request.id, Engagement.status.in_(NO_LONGER_ENGAGED),
        Engagement.expert_id.is_not(None))))
    left = sorted(set(record.candidates) - set(record.drawn()) - set(record.excluded()) - gone)
    profiles = snapshot.profiles_of(session, left, request.group_code, request.start_date, request.end_date)
    still, exclusions = screen_request(session, profiles, request, now)  # status, term, dates may change
    engaged = _engaged_elsewhere(session, request) & set(left)
    taken = _designated_entities(session, request, record)
    same_entity = {i for i in still if i not in engaged and record.entity_of.get(i) in taken}
    exclusions = list(exclusions) + [_engaged_exclusion(i) for i in sorted(engaged)] + [
        Exclusion(i, "same_entity", "与本申请已指定选派的专家属同一法人单位（同一申请每个法人单位限一名）", ART_13)
        for i in sorted(same_entity)]
    blocked = (set(left) - set(still)) | engaged | same_entity
    return sorted(set(left) - blocked), sorted(blocked | (gone & set(record.drawn()))), exclusions


def _designated_entities(session, request: WorkRequest, record) -> set[str]:
    """Legal entities of pool experts engaged by designation (one expert per entity still applies)."""
    ids = _engaged_elsewhere(session, request) - set(record.drawn())
    if not ids:
        return set()
    profiles = load_profiles(session, sorted(ids), request.group_code)
    return set(legal_entity_keys(profiles, known_codes(session)).values())


def next_round(session, request: WorkRequest, wanted: int, actor, now: datetime, instance, rng=None) -> list[int]:
    """Draw round+1 over the remaining candidates (same seed); [] without a round when none remain."""
    row = draw_row(session, request.id)
    if row is None:  # never drawn (designated first): a first draw, seeded from `rng`
        return first_draw(session, request, wanted, actor, now, instance, rng)
    available, exclude, exclusions = remaining_candidates(session, request, row, now)
    if not available:
        return []
    record = draw_rules.redraw(draw_rules.DrawRecord.from_dict(row.record), max(wanted, 1), exclude,
                               _screened(exclusions))
    row.record, row.rounds, row.updated_at = record.to_dict(), len(record.rounds), now
    round_no = len(record.rounds)
    _store_exclusions(session, request.id, exclusions, round_no)
    session.flush()
    _anchor(session, row, actor, now, instance)
    return list(record.rounds[-1].picked)
