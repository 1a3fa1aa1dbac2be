"""The expert list as an export (入库名单): the rows the list search finds, masked as the list shows them."""

from dataclasses import replace
from datetime import datetime

from engine.core import audit
from engine.core.errors import ValidationFailed
from engine.experts.models import EXPERT_STATUSES
from engine.experts.queries import ExpertSearch, expert_public_dict, search_experts
from engine.platform.privacy import sees_pii, view_event

EXPORT_LIMIT = 20000
HEADER = ("编号", "姓名", "工作单位", "职称", "专家组", "擅长专业", "联系电话", "状态", "聘期至")
POSITIONS = {"leader": "（组长）", "deputy": "（副组长）"}


def _groups(groups: list[dict]) -> str:
    return "、".join(g["name"] + POSITIONS.get(g["position"], "") for g in groups)


def _cells(e: dict) -> list:
    """One expert as the list's row shows it (the same masking: expert_public_dict)."""
    return [e["id"], e["name"], e["unit_name"], e["title"] or "", _groups(e["groups"]), e["specialties"] or "",
            e["phone"] or "", EXPERT_STATUSES.get(e["status"], e["status"]), e["term_end"] or ""]


def export_rows(session, viewer, search: ExpertSearch, now: datetime, fmt: str) -> tuple[tuple, list[list]]:
    """(header, rows) of every expert the search finds (all pages) and an audit event of the export; a file that
    prints others' phones in full is also a recorded view of them (caller commits both)."""
    everything = replace(search, page=1, per_page=EXPORT_LIMIT + 1)
    experts, total = search_experts(session, viewer, everything)  # refuses roles that may not see the list
    if total > EXPORT_LIMIT:
        raise ValidationFailed({"export": f"结果超过 {EXPORT_LIMIT} 人，请缩小检索范围后再导出"})
    unmasked = sees_pii(session, viewer)
    rows = [_cells(expert_public_dict(session, viewer, e, unmasked)) for e in experts]
    if unmasked:  # the file's one personal-data column is the phone
        view_event(session, viewer, now, f"专家库导出（{fmt.upper()}）",
                   [("expert", e.id, e.name) for e in experts if e.user_id != viewer.id and e.phone], ["phone"])
    audit.record(session, "experts_exported", viewer, now, after={
        "format": fmt, "rows": len(rows), "expert_ids": [r[0] for r in rows][:1000],
        "filters": {k: v for k, v in {"q": search.q, "group": search.group, "specialty": search.specialty,
                                      "status": search.status}.items() if v}})
    return HEADER, rows
