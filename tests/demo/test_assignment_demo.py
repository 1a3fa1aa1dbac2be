"""The assignment demo data: requests in flight through the real services, idempotent."""

from collections import Counter

from sqlalchemy import select

from demo.assignment import seed_assignment_demo
from demo.seed import seed
from engine.assignment.draws import verify_draw
from engine.assignment.models import DrawRecordRow, WorkRequest
from engine.core.audit import verify_chain
from engine.core.models import HumanTask
from tests.support import T0


def test_demo_requests_in_flight(session):
    seed(session, T0, expert_count=60)
    ids = seed_assignment_demo(session, T0)
    assert len(ids) == 4
    statuses = Counter(session.scalars(select(WorkRequest.status)))
    assert statuses == Counter({"staffed": 1, "cancelling": 1, "confirming": 1, "filing": 1})
    steps = Counter(session.scalars(select(HumanTask.bpmn_id).where(HumanTask.state == "open",
                                                                     HumanTask.process_key == "assignment")))
    assert steps["record_usage"] == 2 and steps["leader_approve_cancellation"] == 1
    assert steps["file_designation"] == 1 and steps["confirm_availability"] >= 3
    assert all(verify_draw(session, d)["match"] for d in session.scalars(select(DrawRecordRow.id)))
    assert verify_chain(session) is None
    assert seed_assignment_demo(session, T0) == []
