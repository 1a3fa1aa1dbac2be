"""Bulk actions: 局领导批量批准 and 人才开发中心批量登记发文文号, with per-item results."""

import re

from engine.core.models import HumanTask
from tests.support import id_number, make_call, make_user
from tests.webui.test_ui_support import advance, client_for, open_task, submit, text_of


def _cases(session, users, n: int, step: str):
    call = make_call(session)
    cases = []
    for i in range(n):
        applicant = users["applicant"] if i == 0 else make_user(session, f"applicant_{i}", "applicant")
        application = submit(session, applicant, call, name=f"专家{i}", id_number=id_number(1000 + i))
        cases.append((application, advance(session, users, application, step)))
    return cases


def _results(page: str) -> dict[int, bool]:
    return {int(i): ok == "true" for i, ok in re.findall(r'data-task-id="(\d+)" data-ok="(true|false)"', page)}


def test_leader_inbox_lists_tasks_for_bulk_approval(app, session, users):
    (_, first), (_, second) = _cases(session, users, 2, "leader_approval")
    page = text_of(client_for(app, users["bureau_leader"]).get("/"))
    assert 'id="bulk-approve"' in page and "批量批准" in page
    assert f'name="task_ids" value="{first.id}"' in page and f'name="task_ids" value="{second.id}"' in page
    assert 'id="bulk-approve"' not in text_of(client_for(app, users["talent_center"]).get("/"))


def test_bulk_approve_reports_each_item(app, session, users):
    (a1, t1), (a2, t2) = _cases(session, users, 2, "leader_approval")
    other_applicant = make_user(session, "applicant_x", "applicant")
    other = submit(session, other_applicant, make_call(session, title="另一次征集"), id_number=id_number(999))
    wrong_step = open_task(session, other)  # an initial_review task: not the leader's, not leader_approval
    response = client_for(app, users["bureau_leader"]).post(
        "/tasks/bulk-approve", data={"task_ids": [str(t1.id), str(wrong_step.id), str(t2.id)], "comment": "同意"})
    page = text_of(response)
    assert response.status_code == 200
    assert _results(page) == {t1.id: True, wrong_step.id: False, t2.id: True}
    assert 'id="bulk-done">2<' in page and 'id="bulk-failed">1<' in page
    assert "无权办理" in page
    session.expire_all()
    assert session.get(HumanTask, wrong_step.id).state == "open"
    assert open_task(session, a1).bpmn_id == open_task(session, a2).bpmn_id == "record_document"


def test_bulk_approve_refuses_other_forms_even_when_visible(app, session, users):
    leader_and_center = make_user(session, "both", "bureau_leader", "talent_center", unit_code="prov_office")
    (_, approval), = _cases(session, users, 1, "leader_approval")
    other = submit(session, make_user(session, "applicant_y", "applicant"), make_call(session, title="二"),
                   id_number=id_number(888))
    review = open_task(session, other)
    page = text_of(client_for(app, leader_and_center).post(
        "/tasks/bulk-approve", data={"task_ids": [str(approval.id), str(review.id)]}))
    assert _results(page) == {approval.id: True, review.id: False}
    assert "不支持此批量操作" in page


def test_bulk_approve_needs_leader_role_and_a_selection(app, session, users):
    (_, task), = _cases(session, users, 1, "leader_approval")
    assert client_for(app, users["talent_center"]).post(
        "/tasks/bulk-approve", data={"task_ids": [str(task.id)]}).status_code == 403
    response = client_for(app, users["bureau_leader"]).post("/tasks/bulk-approve", data={})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "open"


def test_bulk_record_document(app, session, users):
    (a1, t1), (a2, t2) = _cases(session, users, 2, "record_document")
    tc = client_for(app, users["talent_center"])
    assert 'id="bulk-document"' in text_of(tc.get("/"))
    bad = text_of(tc.post("/tasks/bulk-document", data={"task_ids": [str(t1.id)], "doc_no": "随便写",
                                                        "doc_date": "2026-03-02"}))
    assert _results(bad) == {t1.id: False} and "正式发文文号" in bad
    page = text_of(tc.post("/tasks/bulk-document", data={
        "task_ids": [str(t1.id), str(t2.id)], "doc_no": "闽市监函〔2026〕88号", "doc_date": "2026-03-02"}))
    assert _results(page) == {t1.id: True, t2.id: True}
    assert open_task(session, a1).bpmn_id == open_task(session, a2).bpmn_id == "sign_commitment"
