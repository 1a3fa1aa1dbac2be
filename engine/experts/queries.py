"""Expert list and detail with PII masking (DESIGN §3); unmasked views are audited (engine/platform/privacy)."""

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from engine.core import inbox
from engine.core.errors import Forbidden, NotFound
from engine.experts.models import Expert, ExpertGroup, GroupMembership
from engine.platform import policy
from engine.platform.policy import is_overseer
from engine.platform.privacy import has_pii, mask_id_number, mask_phone, record_view, sees_pii
from engine.platform.settings import LOCAL_TZ


@dataclass
class ExpertSearch:
    """Expert list filters."""

    q: str = ""
    group: str = ""
    specialty: str = ""
    status: str = ""
    page: int = 1
    per_page: int = 50


def _check_list_access(viewer) -> None:
    if not policy.allows(viewer, policy.VIEW_EXPERTS):
        raise Forbidden("您无权查看专家库")


def search_experts(session, viewer, s: ExpertSearch) -> tuple[list[Expert], int]:
    """Page of experts matching name/unit, group, specialty and status; returns (rows, total)."""
    _check_list_access(viewer)
    query = select(Expert)
    if s.q:
        like = f"%{s.q.strip()}%"
        query = query.where(or_(Expert.name.like(like), Expert.unit_name.like(like)))
    if s.specialty:
        query = query.where(Expert.specialties.like(f"%{s.specialty.strip()}%"))
    if s.status:
        query = query.where(Expert.status == s.status)
    if s.group:
        query = query.where(Expert.id.in_(
            select(GroupMembership.expert_id).join(ExpertGroup).where(ExpertGroup.code == s.group)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, s.page)
    rows = session.scalars(query.order_by(Expert.id).offset((page - 1) * s.per_page).limit(s.per_page)).all()
    return list(rows), total


def get_expert(session, viewer, expert_id: int) -> Expert:
    """One expert: staff roles, or the expert themself."""
    expert = session.get(Expert, expert_id)
    if expert is None:
        raise NotFound("专家不存在")
    if expert.user_id != viewer.id:
        _check_list_access(viewer)
    return expert


def expert_public_dict(session, viewer, expert: Expert, viewer_sees_pii: bool | None = None) -> dict:
    """JSON-safe view of an expert with PII masked unless the viewer may see it.

    A list passes `viewer_sees_pii` (sees_pii() asked once per request, not once per row).
    """
    if viewer_sees_pii is None:
        viewer_sees_pii = sees_pii(session, viewer)
    show = expert.user_id == viewer.id or viewer_sees_pii
    return {
        "id": expert.id, "name": expert.name, "gender": expert.gender, "unit_name": expert.unit_name,
        "title": expert.title, "title_level": expert.title_level, "rank_level": expert.rank_level,
        "specialties": expert.specialties, "status": expert.status,
        "groups": [{"code": m.group.code, "name": m.group.name, "position": m.position} for m in expert.memberships],
        "term_start": expert.term_start and expert.term_start.isoformat(),
        "term_end": expert.term_end and expert.term_end.isoformat(), "certificate_no": expert.certificate_no,
        "admission_doc_no": expert.admission_doc_no,
        "phone": expert.phone if show else mask_phone(expert.phone),
        "id_number": expert.id_number if show else mask_id_number(expert.id_number),
        "email": expert.email if show else None,
        # Art 8: the signed 承诺书 — when, and the paper scan (none: signed online by the expert's own account)
        "commitment_signed_at": expert.commitment_signed_at
        and expert.commitment_signed_at.astimezone(LOCAL_TZ).isoformat(),  # local: the page shows its date
        "commitment_scan_id": expert.commitment_scan_id,
    }


def case_access(session, viewer, case, label: str):
    """The expert a case concerns, if the viewer may see it: overseers, or the expert themself."""
    if case is None:
        raise NotFound(f"{label}不存在")
    expert = session.get(Expert, case.expert_id)
    if not (is_overseer(viewer) or expert.user_id == viewer.id):
        raise Forbidden(f"您无权查看该{label}")
    return expert


def cases_with_experts(session, model, where) -> list[tuple]:
    """(case, expert, open step names) of a procedure's cases matching `where`, newest first."""
    rows = session.execute(select(model, Expert).join(Expert, Expert.id == model.expert_id).where(where)
                           .order_by(model.id.desc()).limit(200)).all()
    steps = inbox.open_steps(session, [case.instance_id for case, _ in rows])
    return [(case, expert, steps.get(case.instance_id, [])) for case, expert in rows]


def shown_experts(session, viewer, experts: list[Expert], page: str, now) -> list[dict]:
    """Public dicts of the experts a page shows; one audit event when it shows others' personal data unmasked."""
    unmasked = bool(experts) and sees_pii(session, viewer)
    rows = [expert_public_dict(session, viewer, e, unmasked) for e in experts]
    if unmasked:
        others = [e for e in experts if e.user_id != viewer.id and has_pii(_raw_pii(e))]
        fields = {f for e in others for f in has_pii(_raw_pii(e))}
        record_view(session, viewer, now, page, [("expert", e.id, e.name) for e in others], fields)
    return rows


def _raw_pii(expert: Expert) -> dict:
    return {"phone": expert.phone, "id_number": expert.id_number, "email": expert.email}
