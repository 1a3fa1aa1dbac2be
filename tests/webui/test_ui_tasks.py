"""Task page: the form + application + history; completion, 403/404/409/422 and correction prefill."""

from engine.admission.models import Application
from engine.core.models import AuditEvent, HumanTask, ProcessInstance
from engine.platform.models import Attachment
from tests.support import make_call
from tests.webui.test_ui_support import (
    PASS,
    advance,
    client_for,
    completed_events,
    count,
    open_task,
    submit,
    text_of,
    ui_application,
)


def _case(session, users):
    application = submit(session, users["applicant"], make_call(session))
    return application, advance(session, users, application, "initial_review")


def test_task_page_shows_form_application_eligibility_attachments(app, session, users):
    application, task = _case(session, users)
    page = text_of(client_for(app, users["talent_center"]).get(f"/tasks/{task.id}"))
    assert 'name="decision"' in page and 'value="return"' in page and "初审结论" in page
    assert 'name="csrf_token"' in page
    instance = session.get(ProcessInstance, task.instance_id)
    assert f'name="lock_version" value="{instance.lock_version}"' in page
    assert "林建华" in page and "家用电器；电线电缆" in page and "监督抽查组、风险监控组" in page
    assert "符合基本条件" in page and "第七条知识技能核查清单" in page
    attachment = session.query(Attachment).filter_by(application_id=application.id).one()
    assert f'href="/attachments/{attachment.id}"' in page and "证明材料.pdf" in page
    assert "350102197506181233" in page  # talent_center may see the ID number


def test_pii_masked_on_task_page_for_bureau_leader(app, session, users):
    application = submit(session, users["applicant"], make_call(session))
    task = advance(session, users, application, "leader_approval")
    page = text_of(client_for(app, users["bureau_leader"]).get(f"/tasks/{task.id}"))
    assert "350102197506181233" not in page and "3501**********1233" in page
    assert "13805912345" not in page and "138****2345" in page


def test_other_role_gets_403_on_page_and_on_complete(app, session, users):
    _, task = _case(session, users)
    qd = client_for(app, users["quality_division"])
    assert qd.get(f"/tasks/{task.id}").status_code == 403
    response = qd.post(f"/tasks/{task.id}", data=PASS)
    assert response.status_code == 403 and "无权" in text_of(response)
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "open"
    assert completed_events(session, task.id) == 0


def test_unknown_task_is_404(app, session, users):
    tc = client_for(app, users["talent_center"])
    assert tc.get("/tasks/999999").status_code == 404
    assert tc.post("/tasks/999999", data=PASS).status_code == 404


def test_complete_redirects_and_second_completion_is_409(app, session, users):
    _, task = _case(session, users)
    tc = client_for(app, users["talent_center"])
    response = tc.post(f"/tasks/{task.id}", data=PASS)
    assert response.status_code == 302 and response.headers["Location"] == "/tasks"
    assert "已办理" in text_of(tc.get("/tasks"))
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "done"
    assert "质量监督处审核" in text_of(client_for(app, users["quality_division"]).get("/"))
    again = tc.post(f"/tasks/{task.id}", data=PASS)
    assert again.status_code == 409 and "不能重复提交" in text_of(again)
    assert completed_events(session, task.id) == 1


def test_stale_lock_version_is_409_and_changes_nothing(app, session, users):
    _, task = _case(session, users)
    lock = session.get(ProcessInstance, task.instance_id).lock_version
    response = client_for(app, users["talent_center"]).post(
        f"/tasks/{task.id}", data={**PASS, "lock_version": str(lock - 1)})
    assert response.status_code == 409 and "请刷新后重试" in text_of(response)
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "open"
    assert completed_events(session, task.id) == 0
    ok = client_for(app, users["talent_center"]).post(f"/tasks/{task.id}", data={**PASS, "lock_version": str(lock)})
    assert ok.status_code == 302


def test_missing_decision_is_422_with_message_and_nothing_saved(app, session, users):
    _, task = _case(session, users)
    tc = client_for(app, users["talent_center"])  # logging in is itself audited
    events_before = count(session, AuditEvent)
    response = tc.post(
        f"/tasks/{task.id}", data={"credit_checked": "on", "comment": "我的意见"})
    page = text_of(response)
    assert response.status_code == 422
    assert "初审结论：此项为必填项" in page and 'id="f_decision_error"' in page
    assert "我的意见</textarea>" in page  # input kept
    assert 'name="credit_checked" value="on" checked' in page
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "open"
    assert count(session, AuditEvent) == events_before


def test_return_without_comment_is_422(app, session, users):
    _, task = _case(session, users)
    response = client_for(app, users["talent_center"]).post(
        f"/tasks/{task.id}", data={"decision": "return", "credit_checked": "on"})
    page = text_of(response)
    assert response.status_code == 422 and "审查意见：此项为必填项" in page
    assert 'value="return" checked' in page
    assert completed_events(session, task.id) == 0


def test_later_step_shows_earlier_comments(app, session, users):
    application, task = _case(session, users)
    client_for(app, users["talent_center"]).post(f"/tasks/{task.id}", data={**PASS, "comment": "材料齐全，建议通过"})
    division = open_task(session, application)
    page = text_of(client_for(app, users["quality_division"]).get(f"/tasks/{division.id}"))
    assert "人才开发中心初审" in page and "材料齐全，建议通过" in page and users["talent_center"].display_name in page
    assert "初审结论" in page and "通过" in page


def test_correction_task_is_prefilled_and_resubmits(app, session, users):
    application, task = _case(session, users)
    client_for(app, users["talent_center"]).post(
        f"/tasks/{task.id}", data={"decision": "return", "credit_checked": "on", "comment": "请补充职称证书"})
    correction = open_task(session, application)
    assert correction.bpmn_id == "correct_application" and correction.assignee_id == users["applicant"].id
    applicant = client_for(app, users["applicant"])
    page = text_of(applicant.get(f"/tasks/{correction.id}"))
    assert 'name="name" value="林建华"' in page and 'value="supervision_sampling" checked' in page
    assert "请补充职称证书" in page and 'enctype="multipart/form-data"' in page
    assert "已上传" in page and "证明材料.pdf" in page
    invalid = applicant.post(f"/tasks/{correction.id}", data={"name": "", "response": "改了"})
    assert invalid.status_code == 422 and "姓名：此项为必填项" in text_of(invalid) and "已上传" in text_of(invalid)
    assert client_for(app, users["talent_center"]).get(f"/tasks/{correction.id}").status_code == 403

    response = applicant.post(f"/tasks/{correction.id}", content_type="multipart/form-data",
                              data=ui_application(title_level="senior", response="已补充正高级职称证书"))
    assert response.status_code == 302, text_of(response)
    session.expire_all()
    assert session.get(Application, application.id).form["title_level"] == "senior"
    assert open_task(session, application).bpmn_id == "initial_review"


def test_the_task_page_links_the_history_for_whoever_may_open_it(app, session, users):
    from engine.tasks import services as task_service
    from tests.support import T0, UserClient, login
    from tests.webui.test_ui_support import open_task

    application = submit(session, users["applicant"], make_call(session))
    review = open_task(session, application)
    task_service.complete(session, review.id, users["talent_center"],
                          {"decision": "return", "credit_checked": "on", "comment": "请补充职称证书"}, {}, T0)
    correction = open_task(session, application)
    applicant = UserClient(app, app.response_class)
    assert login(applicant, users["applicant"].username).status_code == 302
    page = applicant.get(f"/tasks/{correction.id}").get_data(as_text=True)
    assert f'href="/instances/{application.instance_id}"' in page  # the applicant's own case: history is theirs
    assert applicant.get(f"/instances/{application.instance_id}").status_code == 200
