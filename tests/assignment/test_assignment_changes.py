"""Changes after the draw: conflicts found later, experts released by an exit, delegated cancellation approval."""

import pytest

from engine.assignment import services
from engine.assignment.models import WorkRequest
from engine.core.errors import Conflict, Forbidden, ValidationFailed
from engine.core.models import AuditEvent
from engine.tasks import services as task_service
from tests.assignment_support import (
    APPROVE_JUSTIFIED,
    CONFIRM,
    answer,
    complete_all,
    create,
    engagements,
    make_pool,
    open_tasks,
)
from tests.draw_support import record_usage
from tests.support import T0, make_user


def staffed_request(session, users, n="2"):
    make_pool(session, 6)
    request = create(session, users["using_unit"], n_experts=n, n_backups="0")
    for row in engagements(session, request.id):
        answer(session, row, CONFIRM)
    assert len(open_tasks(session, request, "record_usage")) == int(n)
    return request


def test_conflict_found_during_the_work_interrupts_and_redraws(session, users):
    request = staffed_request(session, users)
    first, second = engagements(session, request.id)
    services.report_conflict(session, first.id, users["using_unit"], "发现该专家近两年曾为该企业提供咨询服务", T0)
    assert open_tasks(session, request, "record_usage") == []  # the work phase was interrupted
    assert engagements(session, request.id)[0].status == "cancel_pending"
    complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], {"decision": "approve"})
    rows = engagements(session, request.id)
    assert [(e.round, e.status) for e in rows] == [(1, "cancelled"), (1, "confirmed"), (2, "drawn")]
    answer(session, rows[2], CONFIRM)
    assert len(open_tasks(session, request, "record_usage")) == 2
    record_usage(session, request, users["using_unit"])
    session.expire_all()
    assert session.get(WorkRequest, request.id).status == "completed"
    assert [e.status for e in engagements(session, request.id)] == ["cancelled", "completed", "completed"]


def test_reported_conflict_rejected_keeps_the_expert(session, users):
    request = staffed_request(session, users, n="1")
    (row,) = engagements(session, request.id)
    services.report_conflict(session, row.id, users["talent_center"], "疑似曾在该企业任职", T0)
    complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"],
                 {"decision": "reject", "comment": "经核实任职已超过三年，无需回避"})
    (row,) = engagements(session, request.id)
    assert row.status == "confirmed" and not row.conflict_declared
    assert len(open_tasks(session, request, "record_usage")) == 1


def test_conflict_reported_before_the_answer_closes_the_expert_task(session, users):
    make_pool(session, 5)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (row,) = engagements(session, request.id)
    services.report_conflict(session, row.id, users["using_unit"], "所在单位与当事方同属一集团", T0)
    assert open_tasks(session, request, "confirm_availability") == []
    assert len(open_tasks(session, request, "leader_approve_cancellation")) == 1


def test_only_the_unit_or_talent_center_may_report_and_with_a_reason(session, users):
    request = staffed_request(session, users, n="1")
    (row,) = engagements(session, request.id)
    other = make_user(session, "xm_unit", "using_unit", unit_code="xiamen")
    with pytest.raises(Forbidden):
        services.report_conflict(session, row.id, other, "理由", T0)
    with pytest.raises(ValidationFailed):
        services.report_conflict(session, row.id, users["using_unit"], "  ", T0)
    assert engagements(session, request.id)[0].status == "confirmed"
    record_usage(session, request, users["using_unit"])
    with pytest.raises(Conflict):
        services.report_conflict(session, row.id, users["using_unit"], "事后发现", T0)


def test_released_expert_is_replaced_without_approval(session, users):
    make_pool(session, 6)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (row,) = engagements(session, request.id)
    touched = services.release_expert(session, row.expert_id, "专家出库（第十五条第（三）项）", None, T0)
    session.commit()
    assert touched == [request.id]
    rows = engagements(session, request.id)
    assert [(e.round, e.status) for e in rows] == [(1, "released"), (2, "drawn")]
    assert open_tasks(session, request, "leader_approve_cancellation") == []


def test_released_confirmed_expert_during_the_work_is_redrawn(session, users):
    request = staffed_request(session, users)
    first, _ = engagements(session, request.id)
    services.release_expert(session, first.expert_id, "专家出库", users["talent_center"], T0)
    session.commit()
    rows = engagements(session, request.id)
    assert [(e.round, e.status) for e in rows] == [(1, "released"), (1, "confirmed"), (2, "drawn")]
    answer(session, rows[2], CONFIRM)
    assert len(open_tasks(session, request, "record_usage")) == 2
    assert session.query(AuditEvent).filter(AuditEvent.action == "message_received").count() == 1


def test_released_expert_awaiting_cancellation_closes_the_approval(session, users):
    make_pool(session, 6)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (row,) = engagements(session, request.id)
    answer(session, row, {"decision": "decline", "decline_reason": "身体原因"})
    services.release_expert(session, row.expert_id, "专家出库", None, T0)
    session.commit()
    assert open_tasks(session, request, "leader_approve_cancellation") == []
    assert [(e.round, e.status) for e in engagements(session, request.id)] == [(1, "released"), (2, "drawn")]


def test_delegated_cancellation_goes_to_the_quality_division(session, users):
    grant = services.grant_delegation(session, users["bureau_leader"], "cancellation", T0.date(), T0.date(), "", T0)
    make_pool(session, 5)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    answer(session, engagements(session, request.id)[0], {"decision": "decline", "decline_reason": "出国"})
    assert open_tasks(session, request, "leader_approve_cancellation") == []
    assert complete_all(session, request, "division_approve_cancellation", users["quality_division"],
                        APPROVE_JUSTIFIED) == 1
    assert engagements(session, request.id)[-1].round == 2
    services.revoke_delegation(session, users["bureau_leader"], grant.id, T0)
    answer(session, engagements(session, request.id)[-1], {"decision": "decline", "decline_reason": "出国"})
    assert len(open_tasks(session, request, "leader_approve_cancellation")) == 1


def test_delegation_rules(session, users):
    with pytest.raises(Forbidden):
        services.grant_delegation(session, users["quality_division"], "cancellation", T0.date(), T0.date(), "", T0)
    with pytest.raises(ValidationFailed):
        services.grant_delegation(session, users["bureau_leader"], "everything", T0.date(), T0.date(), "", T0)
    with pytest.raises(ValidationFailed):
        services.grant_delegation(session, users["bureau_leader"], "cancellation", T0.date(), None, "", T0)
    row = services.grant_delegation(session, users["bureau_leader"], "cancellation", T0.date(), T0.date(), "", T0)
    services.revoke_delegation(session, users["bureau_leader"], row.id, T0)
    with pytest.raises(Conflict):
        services.revoke_delegation(session, users["bureau_leader"], row.id, T0)


def test_double_answer_is_a_conflict(session, users):
    make_pool(session, 4)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (row,) = engagements(session, request.id)
    (task,) = open_tasks(session, request, "confirm_availability")
    answer(session, row, CONFIRM)
    from tests.assignment_support import user_of

    with pytest.raises(Conflict):
        task_service.complete(session, task.id, user_of(session, row), CONFIRM, {}, T0)
