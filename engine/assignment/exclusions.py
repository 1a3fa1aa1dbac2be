"""A draw's stored exclusions (who was screened out of a round and why): one compact row per round.

A round over 10,000 experts excludes ~1,400; they are stored as one `DrawExclusionRound` row whose `items`
lists each distinct (code, reason, article) once and every excluded expert as [expert id, index of its text],
in screening order (by expert id, then EXCLUSION_CODES order). What verification holds to the record is the
(expert id, code) pairs per round, exactly as before (docs/draw-record.md: `screened`).
"""

from sqlalchemy import insert, select

from engine.assignment.models import DrawExclusionRound
from rules.recusal import Exclusion


def pack(exclusions) -> dict:
    """The `items` of one round: distinct texts once, then [expert id, text index] per exclusion."""
    texts: dict[tuple[str, str, str], int] = {}
    rows = [[e.expert_id, texts.setdefault((e.code, e.reason, e.article), len(texts))] for e in exclusions]
    return {"texts": [list(t) for t in texts], "rows": rows}


def unpack(items: dict) -> list[Exclusion]:
    """The exclusions of one round, in the stored order."""
    texts = [tuple(t) for t in items.get("texts", ())]
    return [Exclusion(expert_id, *texts[k]) for expert_id, k in items.get("rows", ())]


def store(session, request_id: int, round_no: int, exclusions) -> None:
    """Store a round's exclusions as one row (none when the round excluded nobody)."""
    exclusions = list(exclusions)
    if exclusions:
        session.execute(insert(DrawExclusionRound), [{
            "request_id": request_id, "round": round_no, "count": len(exclusions), "items": pack(exclusions),
            "expert_ids": "," + ",".join(str(e.expert_id) for e in exclusions) + ","}])


def of_request(session, request_id: int) -> list[tuple[int, Exclusion]]:
    """(round, exclusion) of a request's draw, by round, then expert id (a round's own order kept)."""
    found = []
    for round_no, items in session.execute(select(DrawExclusionRound.round, DrawExclusionRound.items).where(
            DrawExclusionRound.request_id == request_id).order_by(DrawExclusionRound.round)):
        found += sorted(((round_no, e) for e in unpack(items)), key=lambda pair: pair[1].expert_id)
    return found


def screened_by_round(session, request_id: int) -> dict[int, set[tuple[int, str]]]:
    """round → the stored (expert id, code) pairs: what verification compares with the record's `screened`."""
    stored: dict[int, set[tuple[int, str]]] = {}
    for round_no, exclusion in of_request(session, request_id):
        stored.setdefault(round_no, set()).add((exclusion.expert_id, exclusion.code))
    return stored


def of_expert(session, expert_id: int) -> list[tuple[int, int, Exclusion]]:
    """(request id, round, exclusion) of every round that excluded the expert, oldest first."""
    rounds = session.execute(select(DrawExclusionRound.request_id, DrawExclusionRound.round, DrawExclusionRound.items)
                             .where(DrawExclusionRound.expert_ids.contains(f",{int(expert_id)},"))
                             .order_by(DrawExclusionRound.id))
    return [(request_id, round_no, e) for request_id, round_no, items in rounds
            for e in unpack(items) if e.expert_id == expert_id]
