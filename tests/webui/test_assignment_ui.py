"""Assignment pages: request form, sealed request page, confirmation, approvals, verify, delegations."""

import re

import pytest
from sqlalchemy import select

from engine.assignment.models import DrawRecordRow, WorkRequest
from engine.core.models import HumanTask
from engine.experts.models import Engagement, Expert
from tests.assignment_support import (
    CONFIRM,
    DECLINE,
    answer,
    create,
    engagements,
    make_expert,
    make_pool,
    open_tasks,
    request_form,
    user_of,
)
from tests.draw_support import AFTER_WORK
from tests.support import make_call, make_user
from tests.webui.test_ui_support import client_for, count, submit, text_of


def names(session, request_id):
    return [session.get(Expert, e.expert_id).name for e in engagements(session, request_id) if e.expert_id]


def test_unit_requests_through_the_form_and_sees_the_draw_record(app, session, users):
    make_pool(session, 5)
    make_expert(session, "当事方员工", unit_name="福建某某电缆有限公司")
    client = client_for(app, users["using_unit"])
    page = text_of(client.get("/assignment/requests/new"))
    assert 'name="csrf_token"' in page and "用人申请" in page
    response = client.post("/assignment/requests/new", data=request_form())
    assert response.status_code == 302
    request = session.scalar(select(WorkRequest))
    detail = text_of(client.get(response.headers["Location"]))
    row = session.scalar(select(DrawRecordRow))
    assert row.candidates_sha256 in detail and row.seed_hex in detail
    assert all(name in detail for name in names(session, request.id))
    assert "当事方员工" in detail and "所在单位为当事方" in detail  # the exclusion and its reason
    assert "福建某某电缆有限公司" in detail


def test_bad_form_is_refused_with_messages_and_saves_nothing(app, session, users):
    client = client_for(app, users["using_unit"])
    response = client.post("/assignment/requests/new", data=request_form(
        parties="某公司，91350100MA3123456X", end_date="2026-03-01", title=""))
    html = text_of(response)
    assert response.status_code == 422
    assert "校验位不正确" in html and "工作结束日期不能早于开始日期" in html and "工作名称：此项为必填项" in html
    assert count(session, WorkRequest) == 0


def test_other_units_get_403_and_oversight_sees_names_sealed(app, session, users):
    make_pool(session, 5)
    request = create(session, users["using_unit"])
    drawn = names(session, request.id)
    other = make_user(session, "xm_unit", "using_unit", unit_code="xiamen")
    assert client_for(app, other).get(f"/assignment/requests/{request.id}").status_code == 403
    assert client_for(app, users["applicant"]).get(f"/assignment/requests/{request.id}").status_code == 403
    sealed = text_of(client_for(app, users["bureau_leader"]).get(f"/assignment/requests/{request.id}"))
    assert "（密封）" in sealed and not any(name in sealed for name in drawn)
    assert "抽中名单密封" in sealed
    for role in ("auditor", "talent_center"):
        html = text_of(client_for(app, users[role]).get(f"/assignment/requests/{request.id}"))
        assert all(name in html for name in drawn)
    first = engagements(session, request.id)[0]
    expert_html = text_of(client_for(app, user_of(session, first)).get(f"/assignment/requests/{request.id}"))
    assert drawn[0] in expert_html and drawn[1] not in expert_html
    assert client_for(app, other).get("/assignment").status_code == 200
    assert str(request.title) not in text_of(client_for(app, other).get("/assignment"))


def test_expert_confirms_on_the_engagement_page(app, session, users):
    make_pool(session, 4)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (row,) = engagements(session, request.id)
    expert = client_for(app, user_of(session, row))
    listing = text_of(expert.get("/assignment"))
    assert request.title in listing and "去确认" in listing
    page = text_of(expert.get(f"/assignment/engagements/{row.id}"))
    assert "福建某某电缆有限公司" in page and 'name="csrf_token"' in page
    action = re.search(r'action="(/tasks/\d+)"', page).group(1)
    bad = expert.post(action, data={"decision": "confirm"})
    assert bad.status_code == 422 and "此项为必填项" in text_of(bad)
    assert expert.post(action, data=CONFIRM).status_code == 302
    session.expire_all()
    assert session.get(Engagement, row.id).status == "confirmed"
    assert client_for(app, users["using_unit"]).get(f"/assignment/engagements/{row.id}").status_code == 200
    stranger = make_user(session, "other_expert", "expert")
    assert client_for(app, stranger).get(f"/assignment/engagements/{row.id}").status_code == 403


def test_leader_sees_the_expert_and_reason_on_the_cancellation_task(app, session, users):
    make_pool(session, 4)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (row,) = engagements(session, request.id)
    answer(session, row, DECLINE)
    (task,) = open_tasks(session, request, "leader_approve_cancellation")
    leader = client_for(app, users["bureau_leader"])
    moved = leader.get(f"/assignment/tasks/{task.id}")  # the old address leads to the one task page
    assert moved.status_code == 308 and moved.headers["Location"].endswith(f"/tasks/{task.id}")
    html = text_of(leader.get(f"/tasks/{task.id}"))
    assert 'name="lock_version"' in html and 'id="assignment-context"' in html
    assert session.get(Expert, row.expert_id).name in html and DECLINE["decline_reason"] in html
    response = leader.post(f"/tasks/{task.id}", data={"decision": "approve", "justified": "no",
                                                               "comment": "理由不充分"})
    assert response.status_code == 302
    assert [e.status for e in engagements(session, request.id)] == ["cancelled", "drawn"]
    assert client_for(app, users["quality_division"]).get(f"/tasks/{task.id}").status_code == 403


def test_designation_approval_shows_reason_and_unit_history(app, session, users):
    make_pool(session, 2)
    chosen = make_expert(session, "指定专家")
    earlier = create(session, users["using_unit"], method="emergency", method_reason="上次紧急处置",
                     designated_experts=chosen.certificate_no)
    request = create(session, users["using_unit"], method="designated", method_reason="需熟悉企业历史情况",
                     designated_experts=chosen.certificate_no, start_date="2026-04-01", end_date="2026-04-02")
    tc = client_for(app, users["talent_center"])
    (filing,) = open_tasks(session, request, "file_designation")
    assert tc.post(f"/tasks/{filing.id}", data={"filed": "on"}).status_code == 302
    (approval,) = open_tasks(session, request, "leader_approve_designation")
    html = text_of(client_for(app, users["bureau_leader"]).get(f"/tasks/{approval.id}"))
    assert "需熟悉企业历史情况" in html and "指定专家" in html
    assert "上次紧急处置" in html and earlier.title in html  # the unit's recent designations


def test_verify_page_and_mismatch(app, session, users):
    make_pool(session, 5)
    create(session, users["using_unit"])
    row = session.scalar(select(DrawRecordRow))
    client = client_for(app, users["auditor"])
    assert 'data-match="1"' in text_of(client.get(f"/assignment/draws/{row.id}/verify"))
    row.seed_hex = "00" * 32
    session.commit()
    assert 'data-match="0"' in text_of(client.get(f"/assignment/draws/{row.id}/verify"))
    other = make_user(session, "xm_unit", "using_unit", unit_code="xiamen")
    assert client_for(app, other).get(f"/assignment/draws/{row.id}/verify").status_code == 403
    assert client.get("/assignment/draws/999999/verify").status_code == 404


def test_unit_reports_a_conflict_from_the_request_page(app, session, users):
    make_pool(session, 4)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (row,) = engagements(session, request.id)
    answer(session, row, CONFIRM)
    client = client_for(app, users["using_unit"])
    assert "报告回避情形" in text_of(client.get(f"/assignment/requests/{request.id}"))
    empty = client.post(f"/assignment/engagements/{row.id}/conflict", data={"reason": ""})
    assert empty.status_code == 422 and engagements(session, request.id)[0].status == "confirmed"
    done = client.post(f"/assignment/engagements/{row.id}/conflict", data={"reason": "曾为该企业提供咨询"})
    assert done.status_code == 302
    assert engagements(session, request.id)[0].status == "cancel_pending"
    assert client_for(app, users["bureau_leader"]).post(
        f"/assignment/engagements/{row.id}/conflict", data={"reason": "x"}).status_code == 403


def test_delegations_page(app, session, users):
    leader = client_for(app, users["bureau_leader"])
    assert leader.post("/assignment/delegations", data={"scope": "cancellation", "valid_from": "2026-03-01",
                                                        "valid_until": "2026-02-01"}).status_code == 422
    assert leader.post("/assignment/delegations", data={"scope": "cancellation", "valid_from": "2026-03-01",
                                                        "valid_until": "2026-12-31", "note": "年度授权"}).status_code == 302
    division = client_for(app, users["quality_division"])
    assert "年度授权" in text_of(division.get("/assignment/delegations"))
    assert division.post("/assignment/delegations", data={"scope": "designation"}).status_code == 403
    assert client_for(app, users["using_unit"]).get("/assignment/delegations").status_code == 403
    assert "年度授权" in text_of(client_for(app, users["admin"]).get("/assignment/delegations"))  # admin reads them
    log = text_of(client_for(app, users["auditor"]).get("/admin/log"))  # the grant is on the account log
    assert "领导授权（第十三条）" in log and "2026-12-31" in log


def test_task_page_is_only_for_assignment_tasks(app, session, users):
    application = submit(session, users["applicant"], make_call(session))
    row = session.scalar(select(HumanTask).where(HumanTask.instance_id == application.instance_id))
    assert client_for(app, users["talent_center"]).get(f"/assignment/tasks/{row.id}").status_code == 404


@pytest.mark.parametrize("path", ["/assignment", "/assignment/requests/new", "/notifications"])
def test_anonymous_is_sent_to_login(app, session, path):
    response = client_for(app).get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_notifications_page_lists_and_marks_read(app, session, users):
    make_pool(session, 3)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (row,) = engagements(session, request.id)
    client = client_for(app, user_of(session, row))
    html = text_of(client.get("/notifications"))
    assert "请确认是否参加" in html and "list-group-item-warning" in html
    assert client.post("/notifications").status_code == 302
    assert "list-group-item-warning" not in text_of(client.get("/notifications"))


def test_generic_task_page_completes_assignment_tasks(app, session, users):
    make_pool(session, 3)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (row,) = engagements(session, request.id)
    answer(session, row, CONFIRM)
    (task,) = open_tasks(session, request, "record_usage")
    app.config["FIXED_NOW"] = AFTER_WORK  # usage is recorded once the work has ended (Art 14)
    client = client_for(app, users["using_unit"])
    assert "登记专家使用情况" in text_of(client.get("/tasks"))
    response = client.post(f"/tasks/{task.id}", data={"completion": "completed", "professional_level": "poor",
                                                      "attitude": "good", "commitment_compliance": "complied"})
    assert response.status_code == 422 and "评价说明" in text_of(response)  # 差 needs an explanation
    response = client.post(f"/tasks/{task.id}", data={
        "completion": "completed", "professional_level": "poor", "attitude": "good",
        "commitment_compliance": "complied", "comment": "报告多处错误，经两次退回修改"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(WorkRequest, request.id).status == "completed"
