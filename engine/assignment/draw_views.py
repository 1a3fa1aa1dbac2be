"""The draw record as each viewer may see it (Art 13 sealing): the page's summary, verification, the export.

The seed, the candidates' hash, the pool size and the verification's problems (which name expert ids) are
sealed with the drawn names: anyone holding them and the expert list can rebuild the candidate list and
recover the names. Only "full" viewers (engine.assignment.access) get them, and the export.
"""

from sqlalchemy import select

from engine.assignment import draws, verification
from engine.assignment.access import access
from engine.assignment.models import DrawRecordRow, WorkRequest
from engine.core.errors import Forbidden, NotFound
from engine.experts.models import Expert


def draw_summary(session, request: WorkRequest, level: str) -> dict | None:
    """The draw record for the page: the whole record for "full" viewers; for the others only that a draw took
    place. The seed, the candidates' hash and the pool size are sealed with the names: with the expert list they
    rebuild the candidate list and so the drawn names (Art 13)."""
    row = draws.draw_row(session, request.id)
    if row is None:
        return None
    summary = {"id": row.id, "rules_version": row.rules_version, "recusal_version": row.recusal_version,
               "rounds": row.rounds, "created_at": row.created_at, "sealed": level != "full"}
    if level == "full":
        summary |= {"pool_size": row.pool_size, "candidates": len(row.record.get("candidates", [])),
                    "candidates_sha256": row.candidates_sha256, "seed_hex": row.seed_hex, "record": row.record,
                    "names": dict(session.execute(select(Expert.id, Expert.name).where(
                        Expert.id.in_({i for r in row.record["rounds"] for i in r["picked"]}))).all())}
    return summary


def _level(session, viewer, draw_id: int) -> str:
    """The viewer's access level to the draw's request; 404 unknown draw, 403 not allowed."""
    row = session.get(DrawRecordRow, draw_id)
    if row is None:
        raise NotFound("抽取记录不存在")
    return access(session, viewer, session.get(WorkRequest, row.request_id))


SEALED_VERIFY_KEYS = ("draw_id", "request_id", "match", "rules_version", "rounds", "checkpoint")


def verify_view(session, viewer, draw_id: int) -> dict:
    """The draw's verification for a viewer: every problem, hash and seed for "full" viewers; for the others
    only whether it matches and how many problems there are (problems name expert ids)."""
    level = _level(session, viewer, draw_id)
    result = verification.verify_draw(session, draw_id)
    if level == "full":
        return result | {"sealed": False}
    return {k: result[k] for k in SEALED_VERIFY_KEYS} | {"problem_count": len(result["problems"]), "sealed": True}


def export_view(session, viewer, draw_id: int) -> dict:
    """The draw record export (docs/draw-record.md) for those who may see the names; 403 for the others."""
    if _level(session, viewer, draw_id) != "full":
        raise Forbidden("抽取记录（含种子与候选名单）仅申请单位、人才开发中心和审计人员可以下载（第十三条：抽中名单密封）")
    return verification.export_draw(session, draw_id)
