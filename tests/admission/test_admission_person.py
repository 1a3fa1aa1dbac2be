"""Who an application is about (issue 11 items 8 and 9): the ID number (GB 11643) and 出生日期 are checked, and one
person enters the pool once — checked at submission online, on paper, by invitation, through the API and on
correction, with a clear message and nothing saved."""

import pytest

from engine.admission import services as admission
from engine.admission.models import Application
from engine.core.errors import ValidationFailed
from engine.tasks import services as task_service
from tests.admission.admission_support import admit, api_headers, api_submit, rows
from tests.admission.test_admission_paths import open_task
from tests.support import T0, application_form, id_number, make_call, make_user
from tests.webui.test_ui_support import client_for, text_of, ui_application

MULTIPART = "multipart/form-data"
EXPERT_ID = id_number(77)


@pytest.fixture()
def call(session):
    """A public call open at T0."""
    return make_call(session)


@pytest.fixture()
def expert(session, users, call):
    """林建华, admitted through the whole public flow."""
    return admit(session, users, call, id_number=EXPERT_ID)


# --- item 8: the same person twice ------------------------------------------------------------------------

def test_an_active_expert_applying_again_is_refused_at_submission(session, users, call, expert):
    before = rows(session)
    with pytest.raises(ValidationFailed) as refused:
        admission.submit_public(session, users["applicant"], application_form(id_number=EXPERT_ID), {}, T0, call.id)
    message = refused.value.errors["id_number"]
    assert "已是在库专家" in message and "续聘" in message and "专家组调整" in message
    assert rows(session) == before


def test_a_paper_form_with_an_experts_id_number_is_refused_on_the_page(app, session, users, call, expert):
    before = rows(session)
    response = client_for(app, users["talent_center"]).post(
        "/applications/paper", data=ui_application(call.id, name="林建华", id_number=EXPERT_ID),
        content_type=MULTIPART)
    page = text_of(response)
    assert response.status_code == 422
    assert 'id="f_id_number_error"' in page and "已是在库专家" in page and "续聘" in page
    assert rows(session) == before


def test_an_invitation_of_an_expert_is_refused_through_the_api(client, session, users, expert):
    before = rows(session)
    response = client.post("/api/v1/processes/admission_invited/instances",
                           headers=api_headers(client, users["quality_division"]),
                           json={"form": application_form(id_number=EXPERT_ID), "reason": "急需"})
    assert response.status_code == 422
    assert "已是在库专家" in response.get_json()["error"]["fields"]["id_number"]
    assert rows(session) == before


def test_a_second_open_application_of_the_same_person_is_refused(app, session, users, call):
    first = admission.submit_public(session, users["applicant"], application_form(), {}, T0, call.id)
    before = rows(session)
    response = client_for(app, users["talent_center"]).post(
        "/applications/paper", data=ui_application(call.id), content_type=MULTIPART)
    assert response.status_code == 422
    assert f"已有一份正在办理的入库申请（编号 {first.id}）" in text_of(response)
    assert rows(session) == before


def test_a_correction_to_an_experts_id_number_is_refused_and_the_task_stays_open(session, users, call, expert):
    other = make_user(session, "second_applicant", "applicant")
    app = admission.submit_public(session, other, application_form(name="王芳", id_number=id_number(8)), {}, T0,
                                  call.id)
    task = open_task(session, app.id)
    task_service.complete(session, task.id, users["talent_center"], {
        "decision": "return", "credit_checked": "on", "comment": "请核对身份证号"}, {}, T0)
    correction = open_task(session, app.id)
    with pytest.raises(ValidationFailed) as refused:
        task_service.complete(session, correction.id, other, application_form(name="王芳", id_number=EXPERT_ID), {},
                              T0)
    assert "已是在库专家" in refused.value.errors["id_number"]
    session.expire_all()
    assert open_task(session, app.id).id == correction.id
    assert session.get(Application, app.id).form["id_number"] == id_number(8)


def test_an_exited_experts_number_is_refused_with_its_status(session, users, call, expert):
    expert.status = "exited"
    session.commit()
    with pytest.raises(ValidationFailed) as refused:
        admission.submit_public(session, users["applicant"], application_form(id_number=EXPERT_ID), {}, T0, call.id)
    assert "曾入选专家库（现状态：已出库）" in refused.value.errors["id_number"]


# --- item 9: the ID number and the birth date ------------------------------------------------------------

def test_a_wrong_check_character_is_refused_on_the_web_form(app, session, users, call):
    response = client_for(app, users["applicant"]).post(
        "/applications/new", data=ui_application(call.id, id_number="350102197506181234"), content_type=MULTIPART)
    assert response.status_code == 422
    assert "身份证号校验码不正确" in text_of(response)
    assert rows(session) == (0, 0, 0)


def test_a_birth_date_unlike_the_numbers_is_refused_through_the_api(client, session, users, call):
    response = api_submit(client, api_headers(client, users["applicant"]), call.id,
                          application_form(birth_date="1975-06-19"))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "birth_date": "出生日期 1975-06-19 与身份证号中的出生日期 1975-06-18 不一致"}
    assert rows(session) == (0, 0, 0)


@pytest.mark.parametrize("birth,message", [
    ("2026-03-03", "出生日期 2026-03-03 晚于今天（2026-03-02）"),
    ("2008-03-03", "按出生日期 2008-03-03，截至 2026-03-02 未满18周岁，不能申请入库"),
])
def test_a_future_or_under_18_birth_date_is_refused_on_paper(session, users, call, birth, message):
    form = application_form(birth_date=birth, id_number=id_number(9, birth=birth.replace("-", "")))
    with pytest.raises(ValidationFailed) as refused:
        admission.submit_public(session, users["talent_center"], form, {}, T0, call.id, paper=True)
    assert refused.value.errors == {"birth_date": message}
    assert rows(session) == (0, 0, 0)


def test_a_wrong_number_in_a_correction_is_refused(session, users, call):
    app = admission.submit_public(session, users["applicant"], application_form(), {}, T0, call.id)
    task_service.complete(session, open_task(session, app.id).id, users["talent_center"], {
        "decision": "return", "credit_checked": "on", "comment": "请补充材料"}, {}, T0)
    with pytest.raises(ValidationFailed) as refused:
        task_service.complete(session, open_task(session, app.id).id, users["applicant"],
                              application_form(id_number="350102197506181230"), {}, T0)
    assert "校验码不正确" in refused.value.errors["id_number"]


def test_a_lower_case_x_is_stored_upper_case(session, users, call):
    number = id_number(2, birth="19800101")
    assert number.endswith("X")
    app = admission.submit_public(session, users["applicant"], application_form(
        id_number=number.lower(), birth_date="1980-01-01"), {}, T0, call.id)
    assert app.form["id_number"] == number
