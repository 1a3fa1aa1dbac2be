"""What the automatic eligibility check finds goes to a person (issue 11 item 12, Art 8(一)3): talent_center's 初审
sees the reasons and returns for correction or rejects (never passes), and the applicant is told what happened."""

from pathlib import Path

import pytest
from sqlalchemy import select

from engine.admission import services as admission
from engine.admission.models import Application
from engine.core.errors import ValidationFailed
from engine.core.models import ProcessInstance
from engine.deploy.versions import deploy, dmn_files_for, forms_for
from engine.platform.models import Notification
from engine.tasks import services as task_service
from tests.admission.test_admission_paths import PASS, act, open_task
from tests.support import T0, application_form, id_number, make_call
from tests.webui.test_ui_support import client_for, text_of, ui_application

OLD_VERSION = Path(__file__).parents[1] / "processes" / "old_versions" / "admission_public_ineligible_ends.bpmn"
RETURN = {"decision": "return", "credit_checked": "on", "comment": "请核对从事相关专业领域年限"}
TYPO = {"field_years": "1", "response": "已补充职称证书"}  # 12 years typed as 1 while correcting


def _state(session, app_id: int) -> tuple:
    session.expire_all()
    app = session.get(Application, app_id)
    return app.status, app.status_stage, open_task(session, app_id).bpmn_id


def test_a_typo_found_ineligible_during_correction_goes_to_the_initial_review(session, users):
    app = admission.submit_public(session, users["applicant"], application_form(), {}, T0, make_call(session).id)
    act(session, app.id, users["talent_center"], RETURN, "initial_review")
    act(session, app.id, users["applicant"], application_form(**TYPO), "correct_application")

    assert _state(session, app.id) == ("in_review", "eligibility", "initial_review")
    assert [r["code"] for r in session.get(Application, app.id).eligibility["reasons"]] == ["experience_insufficient"]
    note = session.scalar(select(Notification).where(Notification.user_id == users["applicant"].id,
                                                     Notification.subject.contains("资格校验")))
    assert "资格校验未通过，已转人才开发中心初审" in note.subject and "从事相关专业领域工作1年" in note.body
    assert note.link == f"/applications/{app.id}"

    task = open_task(session, app.id)
    with pytest.raises(ValidationFailed) as refused:
        task_service.complete(session, task.id, users["talent_center"], PASS, {}, T0)
    assert "不能初审通过" in refused.value.errors["decision"]
    assert _state(session, app.id) == ("in_review", "eligibility", "initial_review")

    act(session, app.id, users["talent_center"], RETURN, "initial_review")
    act(session, app.id, users["applicant"], application_form(response="年限已更正"), "correct_application")
    act(session, app.id, users["talent_center"], PASS, "initial_review")
    assert open_task(session, app.id).bpmn_id == "division_review"


def test_the_reviewer_may_reject_an_ineligible_application(session, users):
    form = application_form(birth_date="1955-01-01", id_number=id_number(3, birth="19550101"))
    app = admission.submit_public(session, users["applicant"], form, {}, T0, make_call(session).id)
    assert _state(session, app.id) == ("in_review", "eligibility", "initial_review")
    act(session, app.id, users["talent_center"], {"decision": "reject", "credit_checked": "on",
                                                  "comment": "超龄且未申请放宽"}, "initial_review")
    session.expire_all()
    app = session.get(Application, app.id)
    assert (app.status, app.status_stage) == ("rejected", "initial_review")
    assert session.get(ProcessInstance, app.instance_id).end_event == "初审不予通过"


def test_the_web_applicant_is_told_and_the_reviewer_sees_the_reasons(app, session, users):
    call = make_call(session)
    applicant = client_for(app, users["applicant"])
    response = applicant.post("/applications/new", follow_redirects=True, content_type="multipart/form-data",
                              data=ui_application(call.id, field_years="1"))
    page = text_of(response)
    assert "资格条件校验发现不符合的情形" in page and "已连同理由转人才开发中心初审" in page
    assert "从事相关专业领域工作1年" in page
    mine = text_of(applicant.get("/applications/mine"))
    assert "已连同理由转人才开发中心初审" in mine and "人才开发中心初审" in mine

    submitted = session.scalar(select(Application))
    task = open_task(session, submitted.id)
    reviewer = client_for(app, users["talent_center"])
    assert "不符合基本条件" in text_of(reviewer.get(f"/tasks/{task.id}"))
    refused = reviewer.post(f"/tasks/{task.id}", data=PASS | {"lock_version": str(task.instance.lock_version)})
    assert refused.status_code == 422 and "不能初审通过" in text_of(refused)
    assert open_task(session, submitted.id).id == task.id


def test_instances_on_the_version_that_ended_ineligible_applications_still_end_there(session, users):
    xml = OLD_VERSION.read_text(encoding="utf-8")
    old = deploy(session, "admission_public", xml, dmn_files_for(xml), None, T0, source="test", forms=forms_for(xml))
    session.commit()
    app = admission.submit_public(session, users["applicant"], application_form(field_years="1"), {}, T0,
                                  make_call(session).id)
    instance = session.get(ProcessInstance, app.instance_id)
    assert instance.version_id == old.id and instance.end_event == "未通过资格校验"
    assert (app.status, app.status_stage) == ("rejected", "eligibility")


def test_the_nominator_of_an_ineligible_invitation_is_told_why(app, session, users):
    """The invitation route has no 初审 (Art 8(二)): it still ends at the check, and the nominator sees why."""
    response = client_for(app, users["quality_division"]).post(
        "/applications/invite", follow_redirects=True, content_type="multipart/form-data",
        data=ui_application(field_years="1") | {"nomination_reason": "急需风险监控专家"})
    page = text_of(response)
    assert "资格条件校验未通过，未进入审核" in page and "从事相关专业领域工作1年" in page
    assert session.scalar(select(Application.status)) == "rejected"
