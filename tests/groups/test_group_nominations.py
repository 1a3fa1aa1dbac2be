"""quality_division's leader/deputy proposal at admission (issue 11 item 14, Art 8(一)3 and Art 9): only for a group
the person applied to, and carried into that group as a pending appointment (shown on the group page) until an
approved appointment decides it."""

import pytest
from sqlalchemy import select

from engine.admission import services as admission
from engine.admission.models import Application
from engine.core.errors import ValidationFailed
from engine.experts.models import Expert
from engine.groups.models import GroupNomination
from engine.tasks import services as task_service
from tests.admission.admission_support import api_headers
from tests.admission.test_admission_paths import DOC, PASS, SIGN, act, open_task
from tests.deploy.deploy_support import decide, experts_with_users, group
from tests.groups.test_group_change import appoint, positions
from tests.support import T0, application_form, make_call
from tests.webui.test_ui_support import client_for, text_of

PROPOSE = {"decision": "pass", "propose_role": "leader", "comment": "拟任组长"}


@pytest.fixture()
def at_division(session, users):
    """林建华 applied to supervision_sampling and risk_monitoring; 质量监督处审核 is open."""
    app = admission.submit_public(session, users["applicant"], application_form(), {}, T0, make_call(session).id)
    act(session, app.id, users["talent_center"], PASS, "initial_review")
    return app


def test_a_group_the_applicant_did_not_apply_to_is_refused(session, users, at_division):
    task = open_task(session, at_division.id)
    with pytest.raises(ValidationFailed) as refused:
        task_service.complete(session, task.id, users["quality_division"], PROPOSE | {"propose_group": "general"},
                              {}, T0)
    assert refused.value.errors == {"propose_group": "只能建议任申请人申请加入的专家组的组长、副组长：监督抽查组、风险监控组"}
    session.expire_all()
    assert open_task(session, at_division.id).id == task.id
    assert session.get(Application, at_division.id).position_proposal is None


def test_the_refusal_is_shown_on_the_task_page_and_in_the_api(app, client, session, users, at_division):
    task = open_task(session, at_division.id)
    page = client_for(app, users["quality_division"]).post(f"/tasks/{task.id}", data=PROPOSE | {
        "propose_group": "institution_inspection", "lock_version": str(task.instance.lock_version)})
    assert page.status_code == 422 and "只能建议任申请人申请加入的专家组的组长、副组长" in text_of(page)
    response = client.post(f"/api/v1/tasks/{task.id}/complete", headers=api_headers(client, users["quality_division"]),
                           json={"data": PROPOSE | {"propose_group": "institution_inspection"}})
    assert response.status_code == 422 and "propose_group" in response.get_json()["error"]["fields"]
    assert open_task(session, at_division.id).id == task.id


def test_the_proposal_becomes_a_pending_appointment_until_an_appointment_decides_it(app, session, users, at_division):
    act(session, at_division.id, users["quality_division"], PROPOSE | {"propose_group": "risk_monitoring"},
        "division_review")
    act(session, at_division.id, users["bureau_leader"], {"decision": "approve"}, "leader_approval")
    act(session, at_division.id, users["talent_center"], DOC, "record_document")
    act(session, at_division.id, users["applicant"], SIGN, "sign_commitment")
    session.expire_all()
    expert_id = session.get(Application, at_division.id).expert_id
    (nomination,) = session.scalars(select(GroupNomination)).all()
    assert (nomination.group_id, nomination.expert_id, nomination.position, nomination.status) == (
        group(session, "risk_monitoring").id, expert_id, "leader", "pending")
    assert nomination.proposed_by == users["quality_division"].id and nomination.application_id == at_division.id
    assert positions(session, "risk_monitoring") == {}  # a proposal, not yet an appointment (Art 9)

    page = text_of(client_for(app, users["quality_division"]).get("/workbench/groups"))
    row = page.split('data-group="risk_monitoring"')[1].split("</tr>")[0]
    assert f"建议任组长：林建华（{expert_id}）" in row and "入库审核建议，2026-03-02" in row

    deputies = experts_with_users(session, 2, "risk_monitoring")
    change = decide(session, appoint(session, users, "risk_monitoring", session.get(Expert, expert_id), deputies),
                    users["bureau_leader"])
    assert change.status == "effective" and positions(session, "risk_monitoring")[expert_id] == "leader"
    session.expire_all()
    nomination = session.get(GroupNomination, nomination.id)
    assert (nomination.status, nomination.change_id) == ("decided", change.id)
    page = text_of(client_for(app, users["quality_division"]).get("/workbench/groups"))
    assert "建议任组长：林建华" not in page


def test_a_rejected_application_leaves_no_appointment(session, users, at_division):
    act(session, at_division.id, users["quality_division"], PROPOSE | {"propose_group": "risk_monitoring"},
        "division_review")
    act(session, at_division.id, users["bureau_leader"], {"decision": "reject", "comment": "暂缓"}, "leader_approval")
    assert session.scalars(select(GroupNomination)).all() == []
