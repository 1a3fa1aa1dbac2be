"""The real assignment BPMN through every path, driven through the services (one unit of work per step)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.assignment import queries
from engine.assignment.models import DrawRecordRow, WorkRequest
from engine.assignment.verification import verify_draw
from engine.core.errors import ValidationFailed
from engine.core.models import ProcessInstance
from engine.core.timers import fire_due
from engine.experts.models import UsageRecord
from engine.tasks import services as task_service
from tests.assignment_support import (
    APPROVE_JUSTIFIED,
    APPROVE_UNJUSTIFIED,
    CONFIRM,
    DECLINE,
    answer,
    complete_all,
    create,
    engagements,
    make_pool,
    open_tasks,
)
from tests.draw_support import record_usage
from tests.support import T0


def test_random_draw_confirm_usage_completes(session, users):
    make_pool(session, 6)
    request = create(session, users["using_unit"])
    rows = engagements(session, request.id)
    assert [(e.role, e.status, e.asked_at is not None) for e in rows] == [
        ("primary", "drawn", True), ("primary", "drawn", True), ("backup", "drawn", False)]
    assert len(open_tasks(session, request, "confirm_availability")) == 2
    for row in rows[:2]:
        answer(session, row, CONFIRM)
    session.expire_all()
    assert session.get(WorkRequest, request.id).status == "staffed"
    assert [e.status for e in engagements(session, request.id)] == ["confirmed", "confirmed", "released"]
    assert record_usage(session, request, users["using_unit"]) == 2
    session.expire_all()
    assert session.get(WorkRequest, request.id).status == "completed"
    assert session.get(ProcessInstance, request.instance_id).status == "completed"
    assert len(session.scalars(select(UsageRecord)).all()) == 2
    ids = [e.expert_id for e in rows]
    assert queries.usage_counts(session, ids, 2026) == {ids[0]: (1, 1), ids[1]: (1, 1), ids[2]: (0, 0)}
    assert queries.usage_counts(session, ids, 2027)[ids[0]] == (0, 1)
    row = session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request.id))
    assert verify_draw(session, row.id)["match"] is True


def test_decline_approval_redraw(session, users):
    make_pool(session, 6)
    request = create(session, users["using_unit"], n_backups="0")
    first, second = engagements(session, request.id)
    answer(session, first, DECLINE)
    answer(session, second, CONFIRM)
    assert complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_UNJUSTIFIED) == 1
    rows = engagements(session, request.id)
    assert [(e.round, e.status) for e in rows] == [(1, "cancelled"), (1, "confirmed"), (2, "drawn")]
    assert rows[0].decline_justified is False
    answer(session, rows[2], CONFIRM)
    session.expire_all()
    assert session.get(WorkRequest, request.id).status == "staffed"
    row = session.scalar(select(DrawRecordRow).where(DrawRecordRow.request_id == request.id))
    assert row.rounds == 2 and verify_draw(session, row.id)["match"]
    assert queries.unjustified_refusals(session, [first.expert_id, second.expert_id]) == {first.expert_id: 1}


def test_backups_first_promotes_the_backup_without_a_new_round(session, users):
    make_pool(session, 6)
    request = create(session, users["using_unit"], n_experts="1", n_backups="1", backups_first="on")
    primary, backup = engagements(session, request.id)
    answer(session, primary, DECLINE)
    complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_JUSTIFIED)
    rows = engagements(session, request.id)
    assert [(e.role, e.status, e.round) for e in rows] == [("primary", "cancelled", 1), ("backup", "drawn", 1)]
    assert rows[0].decline_justified is True and rows[1].asked_at is not None
    answer(session, rows[1], CONFIRM)
    assert session.get(WorkRequest, request.id).status == "staffed"
    assert session.scalar(select(DrawRecordRow.rounds).where(DrawRecordRow.request_id == request.id)) == 1


def test_without_backups_first_a_new_round_is_drawn_and_backup_released(session, users):
    make_pool(session, 6)
    request = create(session, users["using_unit"], n_experts="1", n_backups="1")
    primary, backup = engagements(session, request.id)
    answer(session, primary, DECLINE)
    complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_JUSTIFIED)
    rows = engagements(session, request.id)
    assert [(e.round, e.role, e.status) for e in rows] == [(1, "primary", "cancelled"), (1, "backup", "drawn"),
                                                           (2, "primary", "drawn")]
    assert rows[1].asked_at is None  # the backup stays on standby
    answer(session, rows[2], CONFIRM)
    assert [e.status for e in engagements(session, request.id)] == ["cancelled", "released", "confirmed"]


def test_timer_expiry_counts_as_decline_then_redraw(session, users):
    make_pool(session, 6)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0", response_hours="24")
    instance = session.get(ProcessInstance, request.instance_id)
    assert instance.next_timer_at == T0 + timedelta(hours=24)
    assert fire_due(session, T0 + timedelta(hours=23)) == 0
    assert fire_due(session, T0 + timedelta(hours=24, seconds=1)) == 1
    (row,) = engagements(session, request.id)
    assert row.status == "declined" and "逾期未答复" in row.decline_reason
    assert open_tasks(session, request, "confirm_availability") == []
    later = T0 + timedelta(hours=25)
    complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_UNJUSTIFIED, later)
    rows = engagements(session, request.id)
    assert [(e.round, e.status) for e in rows] == [(1, "cancelled"), (2, "drawn")]
    assert session.get(ProcessInstance, request.instance_id).next_timer_at == later + timedelta(hours=24)


def test_conflict_declared_by_the_expert_must_be_cancelled(session, users):
    make_pool(session, 5)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (row,) = engagements(session, request.id)
    answer(session, row, {"decision": "conflict", "conflict_note": "近亲属在该公司任职"})
    (task,) = open_tasks(session, request, "leader_approve_cancellation")
    with pytest.raises(ValidationFailed) as err:
        task_service.complete(session, task.id, users["bureau_leader"], {"decision": "reject", "comment": "无需回避"},
                              {}, T0)
    assert "回避" in err.value.errors["decision"]
    assert engagements(session, request.id)[0].status == "cancel_pending"
    task_service.complete(session, task.id, users["bureau_leader"], {"decision": "approve"}, {}, T0)
    rows = engagements(session, request.id)
    assert rows[0].status == "cancelled" and rows[0].conflict_declared and rows[0].decline_justified is None
    assert rows[1].round == 2 and rows[1].status == "drawn"


def test_decline_needs_a_justification_judgement(session, users):
    make_pool(session, 5)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    answer(session, engagements(session, request.id)[0], DECLINE)
    (task,) = open_tasks(session, request, "leader_approve_cancellation")
    with pytest.raises(ValidationFailed) as err:
        task_service.complete(session, task.id, users["bureau_leader"], {"decision": "approve"}, {}, T0)
    assert "justified" in err.value.errors
    with pytest.raises(ValidationFailed):
        task_service.complete(session, task.id, users["bureau_leader"], {"decision": "reject", "comment": "x"}, {}, T0)
    assert len(engagements(session, request.id)) == 1


def test_expert_without_account_is_confirmed_by_the_requesting_unit(session, users):
    from tests.assignment_support import make_expert

    make_expert(session, "无账号专家", with_user=False)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (task,) = open_tasks(session, request, "confirm_availability")
    assert task.assignee_id == users["using_unit"].id
    task_service.complete(session, task.id, users["using_unit"], CONFIRM, {}, T0)
    assert session.get(WorkRequest, request.id).status == "staffed"
