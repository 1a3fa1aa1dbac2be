"""The formal document's date (issue 11 item 10, Art 8): not in the future, not before the leader's approval —
on the task page, through the API and in the bulk 登记发文 list; a refused date changes nothing."""

from datetime import date, timedelta

import pytest

from engine.admission import services as admission
from engine.admission.models import Application
from engine.core.errors import ValidationFailed
from engine.core.models import HumanTask
from engine.experts.models import Expert
from engine.tasks import services as task_service
from tests.admission.admission_support import api_headers
from tests.admission.test_admission_paths import PASS, SIGN, act, open_task
from tests.support import T0, application_form, make_call
from tests.webui.test_ui_support import client_for, text_of

DAY = timedelta(days=1)


@pytest.fixture()
def approved(session, users):
    """A public application the bureau leader approved on 2026-03-07 (T0 + 5 days): 登记发文 is open."""
    app = admission.submit_public(session, users["applicant"], application_form(), {}, T0, make_call(session).id)
    act(session, app.id, users["talent_center"], PASS, "initial_review", T0 + DAY)
    act(session, app.id, users["quality_division"], {"decision": "pass", "propose_role": "none"}, "division_review",
        T0 + 2 * DAY)
    act(session, app.id, users["bureau_leader"], {"decision": "approve"}, "leader_approval", T0 + 5 * DAY)
    return app


def _unchanged(session, app_id: int, task: HumanTask) -> None:
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "open"
    assert session.get(Application, app_id).status == "approved"


def test_a_document_dated_in_the_future_is_refused(session, users, approved):
    task = open_task(session, approved.id)
    with pytest.raises(ValidationFailed) as refused:
        task_service.complete(session, task.id, users["talent_center"],
                              {"doc_no": "闽市监函〔2031〕88号", "doc_date": "2031-03-10"}, {}, T0 + 6 * DAY)
    assert refused.value.errors == {
        "doc_date": "发文日期 2031-03-10 晚于今天（2026-03-08），请登记已印发文件的实际日期"}
    _unchanged(session, approved.id, task)


def test_a_document_dated_before_the_approval_is_refused_on_the_task_page(app, session, users, approved):
    task = open_task(session, approved.id)
    app.config["FIXED_NOW"] = T0 + 6 * DAY
    response = client_for(app, users["talent_center"]).post(f"/tasks/{task.id}", data={
        "doc_no": "闽市监函〔2026〕88号", "doc_date": "2026-03-06", "lock_version": str(task.instance.lock_version)})
    assert response.status_code == 422
    assert "发文日期 2026-03-06 早于局领导批准日期（2026-03-07），正式发文应在批准之后" in text_of(response)
    _unchanged(session, approved.id, task)


def test_a_future_date_is_a_json_error_in_the_api(client, session, users, approved):
    task = open_task(session, approved.id)
    response = client.post(f"/api/v1/tasks/{task.id}/complete", headers=api_headers(client, users["talent_center"]),
                           json={"data": {"doc_no": "闽市监函〔2035〕1号", "doc_date": "2035-01-01"}})
    assert response.status_code == 422
    assert "晚于今天" in response.get_json()["error"]["fields"]["doc_date"]
    _unchanged(session, approved.id, task)


def test_bulk_recording_refuses_a_future_date_per_item(app, session, users, approved):
    task = open_task(session, approved.id)
    response = client_for(app, users["talent_center"]).post("/tasks/bulk-document", data={
        "task_ids": [str(task.id)], "doc_no": "闽市监函〔2031〕88号", "doc_date": "2031-03-10"})
    assert response.status_code == 200 and "晚于今天" in text_of(response)
    _unchanged(session, approved.id, task)


def test_a_document_dated_between_approval_and_today_starts_the_term(session, users, approved):
    act(session, approved.id, users["talent_center"], {"doc_no": "闽市监函〔2026〕88号", "doc_date": "2026-03-07"},
        "record_document", T0 + 9 * DAY)
    act(session, approved.id, users["applicant"], SIGN, "sign_commitment", T0 + 10 * DAY)
    session.expire_all()
    expert = session.get(Expert, session.get(Application, approved.id).expert_id)
    assert (expert.term_start, expert.term_end) == (date(2026, 3, 7), date(2029, 3, 6))
    assert expert.certificate_no == "闽质安专聘〔2026〕0001号"
