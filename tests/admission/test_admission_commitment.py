"""The 承诺书 is the person's own (issue 11 item 13, Art 8): an applicant with an account signs it personally; for
a person without one the paper signature is recorded with its signed scan, linked from the expert's record;
unsigned, nobody is admitted."""

import io

import pytest

from engine.admission import admit
from engine.admission import services as admission
from engine.admission.models import Application
from engine.admission.uploads import upload
from engine.core.errors import Conflict, Forbidden, ValidationFailed
from engine.core.scripting import HostContext
from engine.experts.models import Expert
from engine.platform.attachments import Upload
from engine.platform.models import Attachment
from engine.tasks import services as task_service
from tests.admission.admission_support import api_headers
from tests.admission.test_admission_paths import DOC, SIGN, approve_to_commitment, open_task
from tests.support import T0, application_form, make_call
from tests.webui.test_ui_support import PDF, client_for, text_of


def _expert(session, app_id: int) -> Expert | None:
    session.expire_all()
    expert_id = session.get(Application, app_id).expert_id
    return session.get(Expert, expert_id) if expert_id else None


@pytest.fixture()
def online(session, users):
    """An online application (the applicant has an account) at 签订承诺书."""
    app = admission.submit_public(session, users["applicant"], application_form(), {}, T0, make_call(session).id)
    approve_to_commitment(session, users, app.id)
    return app


@pytest.fixture()
def paper(session, users):
    """A paper 推荐表 entered by talent_center (the person has no account) at 签订承诺书."""
    app = admission.submit_public(session, users["talent_center"], application_form(name="郑立新"), {}, T0,
                                  make_call(session).id, paper=True)
    approve_to_commitment(session, users, app.id)
    return app


def test_nobody_signs_for_an_applicant_with_an_account(session, users, online):
    task = open_task(session, online.id)
    for staff in ("talent_center", "quality_division"):
        with pytest.raises(Forbidden):
            task_service.complete(session, task.id, users[staff], SIGN, {}, T0)
    with pytest.raises(ValidationFailed) as refused:
        task_service.complete(session, task.id, users["applicant"], SIGN | {"signature": "张三"}, {}, T0)
    assert refused.value.errors == {"signature": "承诺人签名应为专家本人姓名“林建华”"}
    assert _expert(session, online.id) is None and open_task(session, online.id).id == task.id


def test_the_personal_signature_is_on_the_experts_record(app, session, users, online):
    task_service.complete(session, open_task(session, online.id).id, users["applicant"], SIGN, {}, T0)
    expert = _expert(session, online.id)
    assert expert.commitment_signed_at == T0 and expert.commitment_scan_id is None
    assert session.get(Application, online.id).commitment["personal"] is True
    page = text_of(client_for(app, users["talent_center"]).get(f"/experts/{expert.id}"))
    assert "本人在线签署（2026-03-02）" in page


def test_a_typed_name_for_a_paper_applicant_without_the_scan_is_refused(app, session, users, paper):
    task = open_task(session, paper.id)
    response = client_for(app, users["talent_center"]).post(f"/tasks/{task.id}", data={
        "agree": "on", "signature": "郑立新", "lock_version": str(task.instance.lock_version)},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "须上传专家本人签字的承诺书扫描件" in text_of(response)
    assert _expert(session, paper.id) is None and open_task(session, paper.id).id == task.id
    assert session.get(Application, paper.id).commitment is None


def test_the_paper_signature_with_its_scan_admits_and_stays_linked(app, session, users, paper):
    task = open_task(session, paper.id)
    staff = client_for(app, users["talent_center"])
    response = staff.post(f"/tasks/{task.id}", content_type="multipart/form-data", data={
        "agree": "on", "signature": "郑立新", "lock_version": str(task.instance.lock_version),
        "signed_scan": (io.BytesIO(PDF), "承诺书签字页.pdf", "application/pdf")})
    assert response.status_code == 302
    expert = _expert(session, paper.id)
    scan = session.get(Attachment, expert.commitment_scan_id)
    assert (scan.filename, scan.application_id, scan.data) == ("承诺书签字页.pdf", paper.id, PDF)
    page = text_of(staff.get(f"/experts/{expert.id}"))
    assert f'href="/attachments/{scan.id}"' in page and "签字承诺书扫描件" in page
    assert staff.get(f"/attachments/{scan.id}").data == PDF


def test_an_invitation_needs_the_scan_through_the_api_too(client, session, users):
    qd = users["quality_division"]
    app = admission.nominate(session, qd, application_form(name="黄海峰"), {}, T0, "急需")
    task_service.complete(session, open_task(session, app.id).id, qd, {"decision": "pass", "propose_role": "none"},
                          {}, T0)
    for actor, values in ((users["bureau_leader"], {"decision": "approve"}), (users["talent_center"], DOC)):
        task_service.complete(session, open_task(session, app.id).id, actor, values, {}, T0)
    task, headers = open_task(session, app.id), api_headers(client, qd)
    refused = client.post(f"/api/v1/tasks/{task.id}/complete", headers=headers,
                          json={"data": {"agree": True, "signature": "黄海峰"}})
    assert refused.status_code == 422 and "signed_scan" in refused.get_json()["error"]["fields"]
    scan = upload(session, qd, Upload("承诺书.pdf", "application/pdf", PDF), T0)
    done = client.post(f"/api/v1/tasks/{task.id}/complete", headers=headers,
                       json={"data": {"agree": True, "signature": "黄海峰", "signed_scan": [scan.id]}})
    assert done.status_code == 200, done.get_json()
    assert _expert(session, app.id).commitment_scan_id == scan.id


def test_the_admission_step_refuses_an_application_without_a_signed_commitment(session, users, online):
    """Art 8: the service task itself admits nobody unsigned (a version skipping the signature admits nobody)."""
    ctx = HostContext(session=session, actor=users["talent_center"], now=T0)
    with pytest.raises(Conflict, match="未签订《专家履职承诺书》的，不得入库"):
        admit.admit_expert(ctx, online.id, DOC["doc_no"], DOC["doc_date"])
    session.rollback()
    assert _expert(session, online.id) is None
