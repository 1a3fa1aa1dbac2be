"""One expert per legal entity (Art 13) holds for designations too, through the real flow: a designation that
would seat two experts of one company (pool, branch or external) on a request is refused with the reason, and
nothing changes; an expert of another company is designated as before."""

import pytest
from sqlalchemy import func, select

from engine.assignment.models import ExternalExpert, WorkRequest
from engine.core.errors import ValidationFailed
from engine.core.models import HumanTask
from engine.experts.models import Engagement
from engine.tasks import services as task_service
from tests.assignment.test_assignment_designation import APPROVE, file_and_decide
from tests.assignment_support import (
    APPROVE_JUSTIFIED,
    CONFIRM,
    DECLINE,
    answer,
    complete_all,
    create,
    engagements,
    make_expert,
    open_tasks,
)
from tests.draw_support import declare
from tests.support import T0

COMPANY = "福建某某检测技术有限公司"
CODE = "91350100MA3123456D"


def counts(session) -> tuple[int, int, int, int]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (
        WorkRequest, Engagement, ExternalExpert, HumanTask))


def test_two_designated_experts_of_one_company_are_refused(session, users):
    first = make_expert(session, "甲", unit_name=COMPANY)
    second = make_expert(session, "乙", unit_name=f"{COMPANY}厦门分公司")  # a branch is its company
    with pytest.raises(ValidationFailed) as err:
        create(session, users["using_unit"], method="designated", method_reason="熟悉该类产品",
               designated_experts=f"{first.certificate_no}\n{second.certificate_no}")
    message = err.value.errors["designated_experts"]
    assert "“乙”" in message and "“甲”" in message and "同一法人单位" in message and "第十三条" in message
    assert counts(session) == (0, 0, 0, 0)


def test_an_external_expert_of_the_designated_experts_company_is_refused(session, users):
    chosen = make_expert(session, "甲", unit_name="闽检公司")
    declare(session, chosen, org_name="闽检公司", credit_code=CODE)  # the unit is known by its code …
    with pytest.raises(ValidationFailed) as err:  # … and the external expert's unit bears the same code's name
        create(session, users["using_unit"], method="emergency", method_reason="突发事件",
               designated_experts=chosen.certificate_no, external_experts="王某，闽检公司，13900000000")
    assert "王某（库外）" in err.value.errors["external_experts"]
    assert counts(session)[:3] == (0, 0, 0)


def short_of_one(session, users) -> tuple[WorkRequest, int, int]:
    """A random request of 2 where one expert confirmed and the other declined, so the pool is exhausted:
    (request, the confirmed expert's id, the open shortfall decision's id)."""
    confirmed = make_expert(session, "已确认专家", unit_name=COMPANY)
    make_expert(session, "拒绝专家", unit_name="厦门检验院")
    request = create(session, users["using_unit"], n_backups="0")
    for row in engagements(session, request.id):
        answer(session, row, CONFIRM if row.expert_id == confirmed.id else DECLINE)
    complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_JUSTIFIED)
    session.expire_all()
    request = session.get(WorkRequest, request.id)
    assert request.status == "exhausted"
    return request, confirmed.id, open_tasks(session, request, "shortfall_decision")[0].id


def designate(session, users, task_id: int, expert) -> None:
    task_service.complete(session, task_id, users["using_unit"], {
        "decision": "designate", "method": "designated", "reason": "库内专家不足",
        "designated_experts": expert.certificate_no}, {}, T0)


def test_a_designation_onto_a_drawn_experts_company_is_refused(session, users):
    request, confirmed_id, task_id = short_of_one(session, users)
    colleague = make_expert(session, "同公司专家", unit_name=f"{COMPANY}（福州）分公司", group="risk_monitoring")
    before = counts(session)
    with pytest.raises(ValidationFailed) as err:
        designate(session, users, task_id, colleague)
    assert "“同公司专家”" in err.value.errors["designated_experts"]
    assert "“已确认专家”" in err.value.errors["designated_experts"]
    assert counts(session) == before and open_tasks(session, request, "shortfall_decision")[0].id == task_id
    other = make_expert(session, "外单位专家", unit_name="泉州检验院", group="risk_monitoring")
    designate(session, users, task_id, other)
    file_and_decide(session, users, request, APPROVE)
    assert {e.expert_id for e in engagements(session, request.id) if e.status in ("confirmed", "drawn")} == {
        confirmed_id, other.id}
