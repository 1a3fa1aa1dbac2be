"""Read-only views of renewal cases for the UI, with their access checks."""

from sqlalchemy import func, select

from engine.core import inbox
from engine.experts.queries import case_access, cases_with_experts
from engine.platform.privacy import has_pii, mask_fields, record_view, sees_pii
from engine.renewal.models import RenewalCase
from engine.renewal.status import RenewalStatus


def open_cases(session) -> list[tuple]:
    """Renewal cases still in progress: (case, expert, open step names)."""
    return cases_with_experts(session, RenewalCase, RenewalCase.status.in_((RenewalStatus.OPEN, RenewalStatus.NOT_RENEWING)))


def renewal_view(session, viewer, renewal_id: int, now) -> dict:
    """One renewal case with its expert, current step, the viewer's open task on it and the expert's updates —
    their new phone / e-mail masked without the PII role, else shown in full as one recorded view."""
    case = session.get(RenewalCase, renewal_id)
    expert = case_access(session, viewer, case, "续聘事项")
    updates = dict(case.updates or {})
    if expert.user_id != viewer.id:  # the expert's own updates are no disclosure
        if sees_pii(session, viewer):
            record_view(session, viewer, now, "续聘事项", [("expert", expert.id, expert.name)], has_pii(updates))
        else:
            updates = mask_fields(updates)
    return {"case": case, "expert": expert, "updates": updates, "steps": inbox.step_names(session, case.instance_id),
            "task": inbox.my_open_task(session, viewer, case.instance_id)}



def cases_of(session, expert_id: int) -> list[RenewalCase]:
    """An expert's renewal cases, newest first."""
    return list(session.scalars(select(RenewalCase).where(RenewalCase.expert_id == expert_id)
                                .order_by(RenewalCase.id.desc())))


def first_term_starts(session, expert_ids: list[int]) -> dict[int, object]:
    """{expert id: start of their first term} for experts renewed at least once (cumulative usage counts from it)."""
    return dict(session.execute(
        select(RenewalCase.expert_id, func.min(RenewalCase.old_term_start))
        .where(RenewalCase.expert_id.in_(expert_ids)).group_by(RenewalCase.expert_id)).all())
