"""Art 6(三): an applicant over 60 who asks for the age exemption passes 初审 only when the reviewer agrees to
it — "不同意放宽年龄限制" with "通过" is refused (it passed before), the answer is required, and an applicant
who asked for nothing cannot be "agreed" an exemption. Driven through the real admission flow."""

import pytest

from engine.core.errors import ValidationFailed
from engine.tasks import services as task_service
from tests.support import T0, birth_date_for_age, id_number, make_call, make_user
from tests.webui.test_ui_support import PASS, open_task, submit

OLD = birth_date_for_age(62, T0.date())
CLAIM = {"birth_date": OLD, "id_number": id_number(7, birth=OLD.replace("-", "")),
         "age_exemptions": ["urgent_need"], "exemption_note": "急需，身体状况良好，能胜任评审工作"}


def _review(session, users, application, **values):
    task = open_task(session, application)
    assert task.bpmn_id == "initial_review"
    task_service.complete(session, task.id, users["talent_center"], PASS | values, {}, T0)
    return open_task(session, application)


@pytest.mark.parametrize("answer,field", [("no", "decision"), ("na", "accept_age_exemption"),
                                          ("", "accept_age_exemption")])
def test_an_over_age_applicant_cannot_pass_without_the_exemption_agreed(session, users, answer, field):
    application = submit(session, users["applicant"], make_call(session), **CLAIM)
    with pytest.raises(ValidationFailed) as refused:
        _review(session, users, application, accept_age_exemption=answer)
    assert field in refused.value.errors and "第六条第三项" in refused.value.errors[field]
    assert open_task(session, application).bpmn_id == "initial_review"  # nothing moved


def test_agreeing_to_the_exemption_passes_and_refusing_it_can_still_reject(session, users):
    call = make_call(session)
    agreed = submit(session, users["applicant"], call, **CLAIM)
    assert _review(session, users, agreed, accept_age_exemption="yes").bpmn_id == "division_review"
    second = make_user(session, "second_applicant", "applicant")
    other = submit(session, second, call, **(CLAIM | {"id_number": id_number(8, birth=OLD.replace("-", ""))}))
    task = open_task(session, other)
    task_service.complete(session, task.id, users["talent_center"],
                          {"decision": "reject", "credit_checked": "on", "accept_age_exemption": "no",
                           "comment": "不同意放宽年龄限制"}, {}, T0)
    session.refresh(other)
    assert other.status == "rejected"


def test_an_exemption_cannot_be_agreed_for_an_applicant_who_asked_for_none(session, users):
    application = submit(session, users["applicant"], make_call(session))
    with pytest.raises(ValidationFailed) as refused:
        _review(session, users, application, accept_age_exemption="yes")
    assert "不适用" in refused.value.errors["accept_age_exemption"]
