"""Read-only views of exit cases for the UI, with their access checks."""

from sqlalchemy import select

from engine.core import inbox
from engine.exit import proposals
from engine.exit.models import ExitCase
from engine.exit.status import ExitCaseStatus
from engine.experts.models import ExitRecord
from engine.experts.queries import case_access, cases_with_experts


def open_cases(session) -> list[tuple]:
    """Exit cases still in progress: (case, expert, open step names)."""
    return cases_with_experts(session, ExitCase, ExitCase.status == ExitCaseStatus.OPEN)


def exit_view(session, viewer, case_id: int) -> dict:
    """One exit case with its expert, current step, record and the viewer's open task on it."""
    case = session.get(ExitCase, case_id)
    expert = case_access(session, viewer, case, "出库事项")
    record = session.scalar(select(ExitRecord).where(ExitRecord.exit_case_id == case.id))
    return {"case": case, "expert": expert, "record": record, "steps": inbox.step_names(session, case.instance_id),
            "task": inbox.my_open_task(session, viewer, case.instance_id),
            "proposals": proposals.of_case(session, case.id)}



def cases_of(session, expert_id: int) -> list[ExitCase]:
    """An expert's exit cases, newest first."""
    return list(session.scalars(select(ExitCase).where(ExitCase.expert_id == expert_id).order_by(ExitCase.id.desc())))
