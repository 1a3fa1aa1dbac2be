"""Applicant self-service, paper entry, invitations, calls and attachment downloads."""

import io
from datetime import UTC, datetime, timedelta

from engine.admission.models import Application, PublicCall
from engine.core.models import HumanTask, ProcessInstance
from engine.platform.models import Attachment
from tests.support import T0, birth_date_for_age, id_number, make_call, make_user
from tests.webui.test_ui_support import EXE, PDF, client_for, count, submit, text_of, ui_application

MULTIPART = "multipart/form-data"


def _nothing_saved(session) -> bool:
    return (count(session, Application), count(session, Attachment), count(session, ProcessInstance)) == (0, 0, 0)


def test_applicant_submits_in_open_call(app, session, users):
    call = make_call(session)
    applicant = client_for(app, users["applicant"])
    form = text_of(applicant.get("/applications/new"))
    assert call.title in form and 'name="call_id"' in form and 'type="file"' in form and "multiple" in form
    assert "第六条（三）" in form  # field help shown
    response = applicant.post("/applications/new", data=ui_application(call.id), content_type=MULTIPART)
    assert response.status_code == 302
    application = session.query(Application).one()
    assert response.headers["Location"] == f"/applications/{application.id}"
    assert application.applicant_user_id == users["applicant"].id and application.call_id == call.id
    stored = session.query(Attachment).one()
    assert stored.application_id == application.id and stored.data == PDF


def test_submission_outside_open_call_is_refused_and_nothing_saved(app, session, users):
    closed = make_call(session, opens=T0 - timedelta(days=40), closes=T0 - timedelta(days=10), title="已截止征集")
    applicant = client_for(app, users["applicant"])
    assert "当前没有处于征集期内的公告" in text_of(applicant.get("/applications/new"))
    response = applicant.post("/applications/new", data=ui_application(closed.id), content_type=MULTIPART)
    assert response.status_code == 422
    assert "“已截止征集”不在征集期内" in text_of(response)
    assert _nothing_saved(session)


def test_invalid_input_is_422_with_field_messages_and_input_kept(app, session, users):
    call = make_call(session)
    response = client_for(app, users["applicant"]).post(
        "/applications/new", data=ui_application(call.id, name="", phone="12345"), content_type=MULTIPART)
    page = text_of(response)
    assert response.status_code == 422
    assert "姓名：此项为必填项" in page and 'id="f_phone_error"' in page
    assert 'name="unit_name" value="福建省产品质量检验研究院"' in page and 'value="12345"' in page
    assert 'value="risk_monitoring" checked' in page
    assert _nothing_saved(session)


def test_renamed_executable_is_refused(app, session, users):
    call = make_call(session)
    files = [(io.BytesIO(EXE), "证明材料.pdf", "application/pdf")]
    response = client_for(app, users["applicant"]).post(
        "/applications/new", data=ui_application(call.id, files=files), content_type=MULTIPART)
    assert response.status_code == 422 and "内容与类型不符" in text_of(response)
    assert _nothing_saved(session)


def test_upload_type_and_size_limits(app, session, users):
    call = make_call(session)
    applicant = client_for(app, users["applicant"])
    text_file = [(io.BytesIO(b"hello"), "说明.txt", "text/plain")]
    response = applicant.post("/applications/new", data=ui_application(call.id, files=text_file),
                              content_type=MULTIPART)
    assert response.status_code == 422 and "类型不允许" in text_of(response)
    big_photo = b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024)
    data = ui_application(call.id)
    data["photo"] = (io.BytesIO(big_photo), "照片.png", "image/png")
    response = applicant.post("/applications/new", data=data, content_type=MULTIPART)
    assert response.status_code == 422 and "超过 2 MB 限制" in text_of(response)
    assert _nothing_saved(session)


def test_my_applications_show_status_steps_and_eligibility_reasons(app, session, users):
    call = make_call(session)
    submit(session, users["applicant"], call)
    page = text_of(client_for(app, users["applicant"]).get("/applications/mine"))
    assert "审核中" in page and "人才开发中心初审" in page and call.title in page

    old = make_user(session, "old_applicant", "applicant")
    rejected = submit(session, old, call, id_number=id_number(1, birth=birth_date_for_age(70, T0.date()).replace("-", "")),
                      birth_date=birth_date_for_age(70, T0.date()))
    assert rejected.status == "in_review" and rejected.status_stage == "eligibility"
    page = text_of(client_for(app, old).get("/applications/mine"))
    assert "资格校验未通过" in page and "年龄限制" in page and 'class="small text-danger mb-0 eligibility-reasons"' in page


def test_application_detail_access(app, session, users):
    application = submit(session, users["applicant"], make_call(session))
    page = text_of(client_for(app, users["applicant"]).get(f"/applications/{application.id}"))
    assert "13805912345" in page and "人才开发中心初审" in page  # the owner sees own data unmasked
    assert client_for(app, users["talent_center"]).get(f"/applications/{application.id}").status_code == 200
    leader_page = text_of(client_for(app, users["bureau_leader"]).get(f"/applications/{application.id}"))
    assert "13805912345" not in leader_page and "138****2345" in leader_page
    stranger = make_user(session, "stranger", "applicant")
    assert client_for(app, stranger).get(f"/applications/{application.id}").status_code == 403
    assert client_for(app, users["using_unit"]).get(f"/applications/{application.id}").status_code == 403
    assert client_for(app, users["applicant"]).get("/applications/424242").status_code == 404


def test_attachment_download_only_for_owner_and_staff(app, session, users):
    submit(session, users["applicant"], make_call(session))
    attachment = session.query(Attachment).one()
    url = f"/attachments/{attachment.id}"
    for user in (users["applicant"], users["talent_center"], users["auditor"]):
        response = client_for(app, user).get(url)
        assert response.status_code == 200 and response.data == PDF
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for user in (make_user(session, "other", "applicant"), users["using_unit"]):
        assert client_for(app, user).get(url).status_code == 403
    assert client_for(app, users["talent_center"]).get("/attachments/987654").status_code == 404
    assert client_for(app).get(url).status_code == 302  # not logged in → login page


def test_paper_entry_by_talent_center(app, session, users):
    call = make_call(session)
    assert client_for(app, users["applicant"]).get("/applications/paper").status_code == 403
    tc = client_for(app, users["talent_center"])
    assert "录入纸质推荐表" in text_of(tc.get("/applications/paper"))
    response = tc.post("/applications/paper", data=ui_application(call.id, name="王纸质"), content_type=MULTIPART)
    assert response.status_code == 302
    application = session.query(Application).one()
    assert application.paper and application.applicant_user_id is None
    assert application.entered_by == users["talent_center"].id
    assert "王纸质" in text_of(tc.get("/applications/mine"))


def test_directed_invitation_needs_a_reason(app, session, users):
    qd = client_for(app, users["quality_division"])
    response = qd.post("/applications/invite", data=ui_application(), content_type=MULTIPART)
    assert response.status_code == 422 and "请填写定向邀请理由" in text_of(response)
    assert _nothing_saved(session)
    response = qd.post("/applications/invite", content_type=MULTIPART,
                       data=ui_application(nomination_reason="风险监控工作急需该领域专家"))
    assert response.status_code == 302
    application = session.query(Application).one()
    assert application.route == "invited" and application.nomination_reason == "风险监控工作急需该领域专家"
    assert session.query(HumanTask).filter_by(state="open").one().bpmn_id == "division_review"
    assert client_for(app, users["applicant"]).get("/applications/invite").status_code == 403


def test_calls_list_and_create_in_local_time(app, session, users):
    tc = client_for(app, users["talent_center"])
    response = tc.post("/calls", data={"title": "2026年第二批征集", "description": "面向全省",
                                       "opens_at": "2026-04-01T09:00", "closes_at": "2026-04-30T17:30"})
    assert response.status_code == 302
    call = session.query(PublicCall).one()
    assert call.opens_at == datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    assert call.closes_at == datetime(2026, 4, 30, 9, 30, tzinfo=UTC)
    page = text_of(client_for(app, users["quality_division"]).get("/calls"))
    assert "2026年第二批征集" in page and "2026-04-01 09:00" in page and 'id="call-form"' not in page

    bad = tc.post("/calls", data={"title": "", "opens_at": "2026-05-01T09:00", "closes_at": "2026-04-01T09:00"})
    assert bad.status_code == 422 and "请填写公告标题" in text_of(bad) and "截止时间必须晚于开始时间" in text_of(bad)
    assert tc.post("/calls", data={"title": "x", "opens_at": "soon", "closes_at": ""}).status_code == 422
    assert client_for(app, users["quality_division"]).post("/calls", data={
        "title": "越权", "opens_at": "2026-04-01T09:00", "closes_at": "2026-04-30T09:00"}).status_code == 403
    assert client_for(app, users["applicant"]).get("/calls").status_code == 403
    assert count(session, PublicCall) == 1
