"""Designated, external and emergency selection (Art 13 ¶2) and the exhausted pool, through the real BPMN."""

import pytest
from sqlalchemy import func, select

from engine.assignment import services
from engine.assignment.models import ExternalExpert, WorkRequest
from engine.core.errors import ValidationFailed
from engine.core.models import HumanTask, ProcessInstance
from engine.experts.models import Engagement
from engine.tasks import services as task_service
from tests.assignment_support import (
    APPROVE_JUSTIFIED,
    CONFIRM,
    DECLINE,
    answer,
    complete_all,
    create,
    engagements,
    make_expert,
    make_pool,
    open_tasks,
)
from tests.draw_support import record_usage
from tests.support import T0

FILE = {"filed": "on", "filing_no": "备〔2026〕3号", "comment": ""}
APPROVE = {"decision": "approve", "comment": "同意"}
REJECT = {"decision": "reject", "comment": "应随机抽取"}


def designated(session, users, method="designated", **overrides):
    make_pool(session, 3)
    chosen = make_expert(session, "指定专家", group="risk_monitoring")
    values = {"method": method, "method_reason": "需熟悉该企业历史抽检情况的专家", "designated_experts": chosen.certificate_no}
    values.update(overrides)
    return create(session, users["using_unit"], **values), chosen


def file_and_decide(session, users, request, decision):
    (filing,) = open_tasks(session, request, "file_designation")
    assert filing.lane_role == "talent_center"
    task_service.complete(session, filing.id, users["talent_center"], FILE, {}, T0)
    assert session.get(WorkRequest, request.id).status == "approving"
    (approval,) = open_tasks(session, request, "leader_approve_designation")
    assert approval.lane_role == "bureau_leader"
    task_service.complete(session, approval.id, users["bureau_leader"], decision, {}, T0)


@pytest.mark.parametrize("method", ["designated", "emergency"])
def test_designation_approved_then_expert_confirms(session, users, method):
    request, chosen = designated(session, users, method)
    assert request.status == "filing" and request.n_experts == 1
    assert request.response_hours == (4 if method == "emergency" else 48)
    file_and_decide(session, users, request, APPROVE)
    (row,) = engagements(session, request.id)
    assert (row.expert_id, row.method, row.status) == (chosen.id, method, "drawn")
    answer(session, row, CONFIRM)
    record_usage(session, request, users["using_unit"])
    session.expire_all()
    assert session.get(WorkRequest, request.id).status == "completed"


@pytest.mark.parametrize("method", ["designated", "emergency"])
def test_designation_rejected_ends_the_request(session, users, method):
    request, _ = designated(session, users, method)
    file_and_decide(session, users, request, REJECT)
    session.expire_all()
    assert session.get(WorkRequest, request.id).status == "rejected"
    assert engagements(session, request.id) == []
    assert session.get(ProcessInstance, request.instance_id).end_event == "未获批准，申请结束"


def test_external_experts_are_recorded_not_admitted(session, users):
    request = create(session, users["using_unit"], method="external", method_reason="库内无该专业专家",
                     external_experts="王某，某大学材料学院，13900000000，高分子材料")
    file_and_decide(session, users, request, APPROVE)
    session.expire_all()
    (row,) = engagements(session, request.id)
    external = session.get(ExternalExpert, row.external_expert_id)
    assert (external.name, external.unit, row.status) == ("王某", "某大学材料学院", "confirmed")
    assert session.get(WorkRequest, request.id).status == "staffed"
    assert record_usage(session, request, users["using_unit"]) == 1


def test_authorized_division_approves_instead_of_leader(session, users):
    services.grant_delegation(session, users["bureau_leader"], "designation", T0.date(), T0.date().replace(year=2027),
                              "2026年度授权", T0)
    request, _ = designated(session, users)
    task_service.complete(session, open_tasks(session, request, "file_designation")[0].id, users["talent_center"],
                          FILE, {}, T0)
    assert open_tasks(session, request, "leader_approve_designation") == []
    (approval,) = open_tasks(session, request, "division_approve_designation")
    assert approval.lane_role == "quality_division"
    task_service.complete(session, approval.id, users["quality_division"], APPROVE, {}, T0)
    assert engagements(session, request.id)[0].status == "drawn"


def exhaust(session, users):
    make_pool(session, 2)
    request = create(session, users["using_unit"], n_backups="0")
    first, second = engagements(session, request.id)
    answer(session, first, CONFIRM)
    answer(session, second, DECLINE)
    complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_JUSTIFIED)
    session.expire_all()
    return session.get(WorkRequest, request.id)


def test_pool_exhausted_offers_the_designated_path(session, users):
    request = exhaust(session, users)
    assert request.status == "exhausted" and "不足" in request.status_note
    (decision,) = open_tasks(session, request, "shortfall_decision")
    assert (decision.lane_role, decision.unit_id) == ("using_unit", users["using_unit"].unit_id)
    with pytest.raises(ValidationFailed) as err:
        task_service.complete(session, decision.id, users["using_unit"], {"decision": "random"}, {}, T0)
    assert "没有可抽取" in err.value.errors["decision"]
    extra = make_expert(session, "补充专家", group="risk_monitoring")
    task_service.complete(session, decision.id, users["using_unit"], {
        "decision": "designate", "method": "designated", "reason": "库内专家不足",
        "designated_experts": extra.certificate_no}, {}, T0)
    file_and_decide(session, users, request, APPROVE)
    answer(session, next(e for e in engagements(session, request.id) if e.expert_id == extra.id), CONFIRM)
    session.expire_all()
    assert session.get(WorkRequest, request.id).status == "staffed"
    assert len(open_tasks(session, request, "record_usage")) == 2


def test_exhausted_unit_may_proceed_with_fewer_or_withdraw(session, users):
    request = exhaust(session, users)
    (decision,) = open_tasks(session, request, "shortfall_decision")
    task_service.complete(session, decision.id, users["using_unit"], {"decision": "proceed"}, {}, T0)
    session.expire_all()
    assert (request.status, request.n_experts) == ("staffed", 1)
    assert len(open_tasks(session, request, "record_usage")) == 1


def test_exhausted_unit_withdraws(session, users):
    request = exhaust(session, users)
    (decision,) = open_tasks(session, request, "shortfall_decision")
    task_service.complete(session, decision.id, users["using_unit"], {"decision": "withdraw"}, {}, T0)
    session.expire_all()
    assert request.status == "withdrawn"
    assert [e.status for e in engagements(session, request.id)] == ["released", "cancelled"]
    assert session.get(ProcessInstance, request.instance_id).status == "completed"


def test_rejected_supplementary_designation_returns_to_the_unit(session, users):
    request = exhaust(session, users)
    extra = make_expert(session, "补充专家", group="risk_monitoring")
    task_service.complete(session, open_tasks(session, request, "shortfall_decision")[0].id, users["using_unit"], {
        "decision": "designate", "method": "designated", "reason": "库内专家不足",
        "designated_experts": extra.certificate_no}, {}, T0)
    file_and_decide(session, users, request, REJECT)
    session.expire_all()
    assert request.status == "exhausted"
    assert len(open_tasks(session, request, "shortfall_decision")) == 1


def test_designation_with_conflicted_expert_is_refused_and_saves_nothing(session, users):
    make_pool(session, 1)
    conflicted = make_expert(session, "当事方专家", unit_name="福建某某电缆有限公司")
    with pytest.raises(ValidationFailed) as err:
        create(session, users["using_unit"], method="designated", method_reason="熟悉情况",
               designated_experts=f"{conflicted.certificate_no}\n不存在的专家")
    message = err.value.errors["designated_experts"]
    assert "当事方" in message and "不存在的专家" in message
    assert session.scalar(select(func.count()).select_from(WorkRequest)) == 0
    assert session.scalar(select(func.count()).select_from(HumanTask)) == 0
    assert session.scalar(select(func.count()).select_from(Engagement)) == 0
