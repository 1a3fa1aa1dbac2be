"""Check a stored draw (Art 13) against everything that vouches for it, and export it for outsiders.

verify_draw replays the record (rules.draw.verify), then holds it to the audit chain: every round must have its
`draw_round` anchor, each anchor must hash the record as it stood after its round, and each anchor event must
itself be intact in the chain (its own hash, its link to the event before and the event after; with
`full_chain`, every event from the first anchor to the chain's tail). A forger who rewrites the record, the
engagements and the anchors' data therefore breaks the chain. export_draw gives the record with its anchor
events in the format docs/draw-record.md specifies, which tools/verify_draw.py checks without this code.
"""

from sqlalchemy import select

from engine.assignment import exclusions
from engine.assignment.models import DrawRecordRow, WorkRequest
from engine.core import audit, checkpoints
from engine.core.errors import NotFound
from engine.core.models import AuditEvent
from engine.experts.models import Engagement
from rules import draw as draw_rules
from rules.draw_record import INPUTS_HASHED, record_sha256

EXPORT_FORMAT = "expertpool-draw-record"
EXPORT_VERSION = 1


def _row(session, draw_id: int) -> tuple[DrawRecordRow, WorkRequest]:
    row = session.get(DrawRecordRow, draw_id)
    if row is None:
        raise NotFound("抽取记录不存在")
    return row, session.get(WorkRequest, row.request_id)


def anchors(session, row: DrawRecordRow, request: WorkRequest) -> list[AuditEvent]:
    """The draw's `draw_round` audit events, oldest first."""
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.instance_id == request.instance_id, AuditEvent.action == "draw_round").order_by(AuditEvent.id))
    return [e for e in events if (e.data_after or {}).get("draw_id") == row.id]


def _link_problem(session, event: AuditEvent, full_chain: bool) -> str | None:
    """Why the anchor event is not intact in the chain, or None."""
    if full_chain:
        last = None
    else:
        last = session.scalar(select(AuditEvent.id).where(AuditEvent.id > event.id).order_by(AuditEvent.id)
                              .limit(1)) or event.id
    broken = audit.chain_break(session, event.id, last)
    if broken is None:
        return None
    where = "存证事件本身" if broken == event.id else f"其后的第 {broken} 号事件"
    return f"审计日志在第 {event.id} 号存证事件处不完整：{where}的哈希值与链不符（存证或日志被改写）"


def _anchor_problems(session, row: DrawRecordRow, request: WorkRequest, full_chain: bool) -> list[str]:
    """Every round anchored, each anchor hashing the record as it stood then, each anchor intact in the chain."""
    events = anchors(session, row, request)
    if not events:
        return ["审计日志中没有该抽取记录的存证"]
    rounds = row.record.get("rounds") or []
    by_round = {(e.data_after or {}).get("round"): e for e in events}
    problems = [f"审计日志存证了第 {n} 轮，但抽取记录中没有该轮" for n in by_round if not 1 <= (n or 0) <= len(rounds)]
    for n in range(1, len(rounds) + 1):
        event = by_round.get(n)
        if event is None:
            problems.append(f"第 {n} 轮在审计日志中没有存证")
            continue
        if event.data_after.get("record_sha256") != record_sha256(dict(row.record, rounds=rounds[:n])):
            problems.append(f"第 {n} 轮：抽取记录与审计日志存证的哈希值不一致（记录在存证后被修改）")
    if full_chain:  # one walk from the first anchor to the tail covers every later anchor too
        return problems + [p for p in (_link_problem(session, events[0], True),) if p]
    return problems + [p for e in events if (p := _link_problem(session, e, False))]


def _row_problems(row: DrawRecordRow) -> list[str]:
    problems = []
    if row.candidates_sha256 != row.record.get("candidates_sha256"):
        problems.append("抽取记录表中的候选名单哈希与记录内容不一致")
    if row.seed_hex != row.record.get("seed_hex"):
        problems.append("抽取记录表中的种子与记录内容不一致")
    return problems


def _engagement_problems(session, row: DrawRecordRow) -> list[str]:
    drawn = set(draw_rules.DrawRecord.from_dict(row.record).drawn()) if row.record.get("rounds") else set()
    random_ids = set(session.scalars(select(Engagement.expert_id).where(
        Engagement.request_id == row.request_id, Engagement.method == "random", Engagement.expert_id.is_not(None))))
    extra = sorted(random_ids - drawn)
    return [f"专家 {extra} 以随机方式选派，但不在抽取记录的抽中名单中"] if extra else []


def _exclusion_problems(session, row: DrawRecordRow) -> list[str]:
    """"draw-2": each round's screened pairs are the stored exclusions (id, code) of that round."""
    if row.record.get("rules_version") not in INPUTS_HASHED:
        return []
    stored = exclusions.screened_by_round(session, row.request_id)
    return [f"第 {r['round']} 轮的排除记录与抽取记录中的 screened 不一致（排除记录被修改）"
            for r in row.record["rounds"] if {tuple(p) for p in r.get("screened", ())} != stored.get(r["round"], set())]


def _coverage(session, row: DrawRecordRow, request: WorkRequest) -> tuple[dict | None, list[str]]:
    """The earliest signed checkpoint after the draw's last anchor, held to the database (None: no checkpoint yet).

    A forger who rewrites the record, its anchors and the whole chain after them keeps the chain consistent,
    but cannot re-sign the checkpoint: the event it signed no longer has the signed hash.
    """
    events, entries = anchors(session, row, request), checkpoints.configured_entries()
    public = checkpoints.configured_public_key()
    if not events or not entries or public is None:
        return None, []
    entry = checkpoints.covering(entries, events[-1].id)
    if entry is None:
        return {"covered": False, "latest_event_id": entries[-1].get("event_id")}, []
    problems = checkpoints.entry_problems(session, entry, public)
    if not problems and audit.chain_break(session, events[0].id, entry["event_id"]) is not None:
        problems = [f"存证事件至第 {entry['event_id']} 号签名检查点之间的审计日志与哈希链不符"]
    coverage = {"covered": not problems, "event_id": entry["event_id"], "at": entry.get("at")}
    return coverage, [f"签名检查点不认可该抽取的存证：{p}" for p in problems]


def verify_draw(session, draw_id: int, full_chain: bool = False) -> dict:
    """Recompute a stored draw and hold it to its audit anchors, the chain, its exclusions and the engagements."""
    row, request = _row(session, draw_id)
    result = draw_rules.verify(row.record)
    problems = list(result.problems) + _row_problems(row) + _anchor_problems(session, row, request, full_chain)
    if result.match:  # the engagements can only be compared with a record that parses and replays
        problems += _engagement_problems(session, row) + _exclusion_problems(session, row)
    coverage, coverage_problems = _coverage(session, row, request)
    problems += coverage_problems
    return {"draw_id": row.id, "request_id": row.request_id, "match": not problems, "problems": problems,
            "checkpoint": coverage,
            "candidates": len(row.record.get("candidates", [])), "candidates_sha256": row.candidates_sha256,
            "seed_hex": row.seed_hex, "rules_version": row.rules_version, "rounds": row.rounds}


def _anchor_dict(event: AuditEvent) -> dict:
    """An anchor event as the outsider recomputes its hash: the hashed fields, prev_hash and hash."""
    return {"id": event.id, **audit.hashed_fields(event), "prev_hash": event.prev_hash, "hash": event.hash}


def export_draw(session, draw_id: int) -> dict:
    """The draw record with its anchor events, as tools/verify_draw.py reads it (docs/draw-record.md)."""
    row, request = _row(session, draw_id)
    return {"format": EXPORT_FORMAT, "format_version": EXPORT_VERSION, "draw_id": row.id,
            "request_id": row.request_id, "record": row.record, "record_sha256": record_sha256(row.record),
            "anchors": [_anchor_dict(e) for e in anchors(session, row, request)]}
