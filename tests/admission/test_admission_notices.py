"""Issue 15: the applicant is told — in-app and by e-mail through the outbox, in the unit of work of the step
that decides it — of 退回补正, 不予通过, 请签订承诺书 and 入库; a notice that asks for something links to their
own task (the correction form, the 承诺书), which the link opens after login; otherwise to the application."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from engine.admission import services as admission
from engine.admission.models import Application
from engine.core.errors import ValidationFailed
from engine.core.models import HumanTask
from engine.core.timers import fire_due
from engine.platform.models import Notification, OutboxMail
from engine.tasks import services as task_service
from tests.admission.test_admission_paths import DOC, PASS, SIGN, act, approve_to_commitment, open_task
from tests.support import T0, application_form, make_call
from tests.webui.test_ui_support import client_for

RETURN = {"decision": "return", "credit_checked": "on", "comment": "请补充高级工程师职称证书扫描件"}


@pytest.fixture()
def submitted(session, users):
    return admission.submit_public(session, users["applicant"], application_form(), {}, T0,
                                   make_call(session).id)


def notes(session, user) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id)))


def mails(session, user) -> list[OutboxMail]:
    return list(session.scalars(select(OutboxMail).where(OutboxMail.to_address.contains(user.email))
                                .order_by(OutboxMail.id)))


def one(session, user, words: str) -> tuple[Notification, OutboxMail]:
    """The single notification (and its e-mail) whose subject holds `words`."""
    found = [n for n in notes(session, user) if words in n.subject]
    sent = [m for m in mails(session, user) if words in m.subject]
    assert len(found) == 1 and len(sent) == 1, ([n.subject for n in notes(session, user)], words)
    assert found[0].link in sent[0].body and found[0].body in sent[0].body
    return found[0], sent[0]


def task_link(app: Application) -> str:
    return f"/tasks/for/{app.instance_id}?case={quote(f'/applications/{app.id}', safe='')}"


def test_a_return_tells_the_applicant_what_to_correct_and_links_the_correction_form(app, session, users, submitted):
    act(session, submitted.id, users["talent_center"], RETURN, "initial_review")
    note, mail = one(session, users["applicant"], "退回补正")
    assert "请补充高级工程师职称证书扫描件" in note.body and "第八条第（一）项" in note.body
    assert note.link == task_link(submitted) and note.read_at is None
    correction = open_task(session, submitted.id)
    assert correction.bpmn_id == "correct_application"
    answer = client_for(app, users["applicant"]).get(note.link)
    assert answer.status_code == 302 and answer.headers["Location"] == f"/tasks/{correction.id}"
    # a reviewer following the same link has nothing to do there: the application page
    answer = client_for(app, users["talent_center"]).get(note.link)
    assert answer.status_code == 302 and answer.headers["Location"] == f"/applications/{submitted.id}"
    assert notes(session, users["talent_center"]) == []


def test_a_refused_decision_tells_nobody(session, users, submitted):
    task = open_task(session, submitted.id)
    with pytest.raises(ValidationFailed):  # no age exemption was asked for: the step is refused, nothing stays
        task_service.complete(session, task.id, users["talent_center"], RETURN | {"accept_age_exemption": "yes"},
                              {}, T0)
    assert notes(session, users["applicant"]) == [] and mails(session, users["applicant"]) == []


def test_the_corrected_application_link_then_leads_to_the_application(app, session, users, submitted):
    act(session, submitted.id, users["talent_center"], RETURN, "initial_review")
    act(session, submitted.id, users["applicant"], application_form(response="已补充"), "correct_application")
    note, _ = one(session, users["applicant"], "退回补正")
    answer = client_for(app, users["applicant"]).get(note.link)
    assert answer.headers["Location"] == f"/applications/{submitted.id}"


def test_a_rejection_at_initial_review_quotes_the_opinion(session, users, submitted):
    act(session, submitted.id, users["talent_center"], PASS | {"decision": "reject", "comment": "职称不符合条件"},
        "initial_review")
    note, _ = one(session, users["applicant"], "未予通过")
    assert "人才开发中心初审" in note.body and "职称不符合条件" in note.body and "第八条" in note.body
    assert note.link == f"/applications/{submitted.id}"


@pytest.mark.parametrize("step", ["division_review", "leader_approval"])
def test_a_rejection_later_names_the_stage_but_not_the_internal_opinion(session, users, submitted, step):
    act(session, submitted.id, users["talent_center"], PASS, "initial_review")
    reject = {"decision": "reject", "comment": "内部意见：名额已满"}
    if step == "leader_approval":
        act(session, submitted.id, users["quality_division"], {"decision": "pass", "propose_role": "none"},
            "division_review")
    act(session, submitted.id, users["quality_division" if step == "division_review" else "bureau_leader"],
        reject, step)
    note, mail = one(session, users["applicant"], "未予通过")
    assert ("质量监督处审核" if step == "division_review" else "省市场监管局领导审批") in note.body
    assert "名额已满" not in note.body and "名额已满" not in mail.body


def test_the_commitment_notice_links_the_signing_task_and_admission_follows(app, session, users, submitted):
    approve_to_commitment(session, users, submitted.id)
    note, _ = one(session, users["applicant"], "请签订《专家履职承诺书》")
    assert DOC["doc_no"] in note.body and "2026-03-16 09:00" in note.body and "第八条" in note.body  # T0 + 14 d
    sign = open_task(session, submitted.id)
    assert sign.bpmn_id == "sign_commitment" and note.link == task_link(submitted)
    assert client_for(app, users["applicant"]).get(note.link).headers["Location"] == f"/tasks/{sign.id}"
    assert [n.subject for n in notes(session, users["applicant"]) if "入库通知" in n.subject] == []

    act(session, submitted.id, users["applicant"], SIGN, "sign_commitment")
    note, _ = one(session, users["applicant"], "入库通知")
    assert "闽质安专聘〔2026〕0001号" in note.body and "2026-03-02 至 2029-03-01" in note.body
    assert note.link == f"/applications/{submitted.id}"
    assert session.get(HumanTask, sign.id).state == "done"


def test_a_paper_application_tells_the_staff_member_who_entered_it(app, session, users):
    paper = admission.submit_public(session, users["talent_center"], application_form(), {}, T0,
                                    make_call(session).id, paper=True)
    act(session, paper.id, users["talent_center"], RETURN, "initial_review")
    note, _ = one(session, users["talent_center"], "退回补正")
    correction = open_task(session, paper.id)
    assert correction.assignee_id == users["talent_center"].id
    assert client_for(app, users["talent_center"]).get(note.link).headers["Location"] == f"/tasks/{correction.id}"


def test_an_unsigned_commitment_lapses_and_the_applicant_is_told(session, users, submitted):
    approve_to_commitment(session, users, submitted.id)
    assert fire_due(session, T0 + timedelta(days=14, seconds=1)) == 1
    note, _ = one(session, users["applicant"], "不予入库")
    assert "未签订《专家履职承诺书》的，不得入库" in note.body and note.link == f"/applications/{submitted.id}"
