"""The real admission BPMN through every path, via the services (one unit of work per step)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.admission import services as admission
from engine.admission.models import Application
from engine.core.errors import Conflict, ValidationFailed
from engine.core.models import AuditEvent, HumanTask, ProcessInstance
from engine.core.timers import fire_due
from engine.experts.models import Expert
from engine.platform.attachments import Upload
from engine.tasks import services as task_service
from tests.support import T0, application_form, id_number, make_call

PASS = {"decision": "pass", "credit_checked": "on", "checklist_ok": "on", "comment": "材料齐全"}
DOC = {"doc_no": "闽市监函〔2026〕88号", "doc_date": "2026-03-02"}  # the day of the approval (T0)
SIGN = {"agree": "on", "signature": "林建华"}
SCAN = {"signed_scan": [Upload("承诺书签字页.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")]}  # a paper signature


def open_task(session, app_id: int) -> HumanTask:
    """The single open inbox row of an application's instance."""
    app = session.get(Application, app_id)
    rows = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == app.instance_id, HumanTask.state == "open")).all()
    assert len(rows) == 1, [r.bpmn_id for r in rows]
    return rows[0]


def act(session, app_id, actor, values, step=None, now=T0, files=None):
    """Complete the open task of an application (asserting which step it is)."""
    task = open_task(session, app_id)
    if step:
        assert task.bpmn_id == step
    task_service.complete(session, task.id, actor, values, files or {}, now)
    assert session.get(HumanTask, task.id).state == "done"
    return task


@pytest.fixture()
def submitted(session, users):
    """A public application submitted by the applicant in an open call."""
    call = make_call(session)
    return admission.submit_public(session, users["applicant"], application_form(), {}, T0, call.id)


def approve_to_commitment(session, users, app_id, now=T0):
    act(session, app_id, users["talent_center"], PASS, "initial_review", now)
    act(session, app_id, users["quality_division"], {"decision": "pass", "propose_role": "none"}, "division_review", now)
    act(session, app_id, users["bureau_leader"], {"decision": "approve"}, "leader_approval", now)
    act(session, app_id, users["talent_center"], DOC, "record_document", now)


def test_full_approval_admits_expert_with_three_year_term(session, users, submitted):
    assert open_task(session, submitted.id).lane_role == "talent_center"
    approve_to_commitment(session, users, submitted.id)
    task = open_task(session, submitted.id)
    assert (task.bpmn_id, task.assignee_id) == ("sign_commitment", users["applicant"].id)
    act(session, submitted.id, users["applicant"], SIGN)
    session.expire_all()
    app = session.get(Application, submitted.id)
    expert = session.get(Expert, app.expert_id)
    assert app.status == "admitted"
    assert expert.status == "active" and expert.term_start == date(2026, 3, 2)
    assert expert.term_end == date(2029, 3, 1)
    assert expert.certificate_no == "闽质安专聘〔2026〕0001号"
    assert sorted(m.group.code for m in expert.memberships) == ["risk_monitoring", "supervision_sampling"]
    assert "expert" in session.get(type(users["applicant"]), users["applicant"].id).roles
    instance = session.get(ProcessInstance, app.instance_id)
    assert instance.status == "completed" and instance.end_event == "已入库"


def test_return_for_correction_then_resubmit(session, users, submitted):
    act(session, submitted.id, users["talent_center"], {"decision": "return", "credit_checked": "on",
                                                         "comment": "请补充职称证书"}, "initial_review")
    assert session.get(Application, submitted.id).status == "returned"
    corrected = application_form(title="正高级工程师", title_level="senior", response="已补充")
    act(session, submitted.id, users["applicant"], corrected, "correct_application")
    app = session.get(Application, submitted.id)
    assert app.form["title_level"] == "senior" and app.status == "in_review"
    assert open_task(session, submitted.id).bpmn_id == "initial_review"


@pytest.mark.parametrize("stage,values,end", [
    ("initial_review", {"decision": "reject", "credit_checked": "on", "comment": "不符合条件"}, "初审不予通过"),
    ("division_review", {"decision": "reject", "comment": "专业不匹配"}, "审核不予通过"),
    ("leader_approval", {"decision": "reject", "comment": "暂缓"}, "局领导不予批准"),
])
def test_reject_at_each_step(session, users, submitted, stage, values, end):
    chain = [("initial_review", "talent_center", PASS),
             ("division_review", "quality_division", {"decision": "pass", "propose_role": "none"}),
             ("leader_approval", "bureau_leader", {"decision": "approve"})]
    for step, role, ok in chain:
        act(session, submitted.id, users[role], values if step == stage else ok, step)
        if step == stage:
            break
    app = session.get(Application, submitted.id)
    assert (app.status, app.status_stage) == ("rejected", stage)
    assert session.get(ProcessInstance, app.instance_id).end_event == end


def test_ineligible_application_goes_to_the_initial_review_with_every_reason(session, users):
    call = make_call(session)
    form = application_form(birth_date="1960-01-01", id_number=id_number(1, birth="19600101"),
                            title_level="intermediate", field_years="2")
    app = admission.submit_public(session, users["applicant"], form, {}, T0, call.id)
    assert app.status == "in_review" and app.status_stage == "eligibility"
    codes = {r["code"] for r in app.eligibility["reasons"]}
    assert codes == {"age_over_limit", "experience_insufficient"}
    assert open_task(session, app.id).bpmn_id == "initial_review"


def test_commitment_lapses_when_timer_fires(session, users, submitted):
    approve_to_commitment(session, users, submitted.id)
    instance = session.get(ProcessInstance, session.get(Application, submitted.id).instance_id)
    assert instance.next_timer_at == T0 + timedelta(days=14)
    assert fire_due(session, T0 + timedelta(days=13)) == 0
    assert fire_due(session, T0 + timedelta(days=14, seconds=1)) == 1
    session.expire_all()
    app = session.get(Application, submitted.id)
    assert app.status == "lapsed" and app.expert_id is None
    assert session.get(ProcessInstance, app.instance_id).end_event == "未签承诺书未入库"
    assert session.scalar(select(HumanTask.state).where(HumanTask.bpmn_id == "sign_commitment")) == "cancelled"


def test_invited_path_admits(session, users):
    app = admission.nominate(session, users["quality_division"], application_form(id_number=id_number(5)),
                             {}, T0, "急需风险监控专家")
    act(session, app.id, users["quality_division"], {"decision": "pass", "propose_role": "none"}, "division_review")
    act(session, app.id, users["bureau_leader"], {"decision": "approve"}, "leader_approval")
    act(session, app.id, users["talent_center"], DOC, "record_document")
    act(session, app.id, users["quality_division"], SIGN, "sign_commitment", files=SCAN)
    session.expire_all()
    assert session.get(Application, app.id).status == "admitted"
    assert session.get(Expert, session.get(Application, app.id).expert_id).admission_route == "invited"


def test_double_completion_is_a_conflict_and_changes_nothing(session, users, submitted):
    task = act(session, submitted.id, users["talent_center"], PASS)
    events = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    with pytest.raises(Conflict):
        task_service.complete(session, task.id, users["talent_center"], PASS, {}, T0)
    assert session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == events


def test_invalid_form_saves_nothing(session, users, submitted):
    task = open_task(session, submitted.id)
    with pytest.raises(ValidationFailed) as err:
        task_service.complete(session, task.id, users["talent_center"], {"decision": "return"}, {}, T0)
    assert set(err.value.errors) >= {"comment", "credit_checked"}
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "open"
