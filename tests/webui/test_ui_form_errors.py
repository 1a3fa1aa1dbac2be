"""A refused form names every problem at once (a bad file no longer hides the fields' errors), on the task
page, the 推荐表 and the API; the correction form opens with the reviewer's 补正说明 (why it was returned)."""

import io

from engine.admission.models import Application
from engine.platform.models import Attachment
from tests.support import make_call
from tests.webui.test_ui_support import (
    EXE,
    advance,
    client_for,
    count,
    open_task,
    submit,
    text_of,
    ui_application,
)


def _returned(app, session, users, comment="请补充职称证书；工作单位名称与营业执照不一致"):
    application = submit(session, users["applicant"], make_call(session))
    review = advance(session, users, application, "initial_review")
    done = client_for(app, users["talent_center"]).post(
        f"/tasks/{review.id}", data={"decision": "return", "credit_checked": "on", "comment": comment})
    assert done.status_code == 302
    return application, open_task(session, application)


def test_bad_file_and_bad_fields_are_all_reported(app, session, users):
    application, correction = _returned(app, session, users)
    applicant = client_for(app, users["applicant"])
    before = count(session, Attachment)
    body = ui_application(name="", phone="12", email="not-an-email",
                          files=[(io.BytesIO(EXE), "病毒.pdf", "application/pdf")])
    refused = applicant.post(f"/tasks/{correction.id}", content_type="multipart/form-data", data=body)
    page = text_of(refused)
    assert refused.status_code == 422
    assert "病毒.pdf 内容与类型不符" in page  # the file's error ...
    assert "姓名：此项为必填项" in page  # ... and every field's, in the one summary
    assert page.count('class="field-error') >= 4, page.count('class="field-error')
    assert count(session, Attachment) == before and open_task(session, application).id == correction.id


def test_the_new_application_form_reports_file_and_fields_together(app, session, users):
    call = make_call(session)
    body = ui_application(call_id=call.id, name="", files=[(io.BytesIO(EXE), "病毒.pdf", "application/pdf")])
    refused = client_for(app, users["applicant"]).post("/applications/new", content_type="multipart/form-data",
                                                       data=body)
    page = text_of(refused)
    assert refused.status_code == 422 and "病毒.pdf 内容与类型不符" in page and "姓名：此项为必填项" in page
    assert count(session, Application) == 0


def test_the_correction_form_opens_with_the_reasons_for_the_return(app, session, users):
    _, correction = _returned(app, session, users)
    page = text_of(client_for(app, users["applicant"]).get(f"/tasks/{correction.id}"))
    reasons = page.index('id="correction-reasons"')
    assert page.index('id="task-form"') > reasons  # above the form
    assert "补正说明：人才开发中心初审退回补正" in page[reasons:]
    assert "请补充职称证书；工作单位名称与营业执照不一致" in page[reasons:page.index('id="task-form"')]


def test_a_review_form_shows_no_correction_reasons(app, session, users):
    application = submit(session, users["applicant"], make_call(session))
    review = advance(session, users, application, "initial_review")
    assert 'id="correction-reasons"' not in text_of(client_for(app, users["talent_center"]).get(f"/tasks/{review.id}"))


def test_the_api_reports_a_foreign_attachment_and_bad_fields_together(app, session, users):
    from tests.support import PASSWORD, application_form

    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": users["applicant"].username, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    form = application_form(name="", attachments=[1_999_999])  # nobody's upload, and no name
    refused = client.post("/api/v1/processes/admission_public/instances", headers=headers,
                          json={"call_id": make_call(session).id, "form": form})
    fields = refused.get_json()["error"]["fields"]
    assert refused.status_code == 422 and set(fields) >= {"attachments", "name"}, fields
    assert "只能引用本人上传的附件" in fields["attachments"] and fields["name"] == "姓名：此项为必填项"
