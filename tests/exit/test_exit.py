"""The real exit BPMN (Art 15, 10(4)): every trigger and path; exited experts stay on record and are never drawn."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.admission.models import Application
from engine.core.errors import Conflict, Forbidden, ValidationFailed
from engine.core.models import AuditEvent, JobRun, ProcessInstance
from engine.core.scripting import HOST_FUNCTIONS, HostContext
from engine.exit import services as exits
from engine.exit.models import ExitCase
from engine.experts.models import ExitRecord, Expert
from engine.platform.attachments import Upload
from tests import assignment_support as assignment
from tests.exit.exit_support import (
    AGREE,
    APPROVE,
    NOTICE,
    PROCEED,
    approve_through,
    lone_expert,
    refuse_unjustified,
    withdraw_through,
)
from tests.experts.roster_support import act, expert_user, make_engagement, make_expert, open_tasks
from tests.support import T0

PDF = Upload("证据.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")


@pytest.fixture()
def expert(session):
    """An active expert with an account."""
    return make_expert(session, "林建华", user=expert_user(session, "linjianhua"))


def test_voluntary_withdrawal_path_exits_and_keeps_the_record(session, users, expert):
    user = session.get(type(users["talent_center"]), expert.user_id)
    with pytest.raises(ValidationFailed):
        exits.request_withdrawal(session, user, {"reason": "工作调动", "confirm": ""}, T0)
    case = exits.request_withdrawal(session, user, {"reason": "工作调动，无法继续履职", "confirm": "on"}, T0)
    assert (case.source, case.trigger, case.ground) == ("expert", "voluntary", "voluntary")
    with pytest.raises(ValidationFailed) as err:  # Art 10(4): a right, never refused
        act(session, case.instance_id, users["talent_center"], {"decision": "dismiss", "facts": "不同意"})
    assert "第十条第（四）项" in err.value.errors["decision"]
    with pytest.raises(Conflict):
        exits.request_withdrawal(session, user, {"reason": "再次申请", "confirm": "on"}, T0)
    withdraw_through(session, users, case)
    expert = session.get(Expert, expert.id)
    record = session.scalar(select(ExitRecord).where(ExitRecord.expert_id == expert.id))
    assert expert.status == "exited"  # kept, never deleted
    assert (record.ground, record.source, record.notice_no, record.exited_on) == (
        "voluntary", "expert", NOTICE["notice_no"], date(2026, 3, 20))
    case = session.get(ExitCase, case.id)
    assert (case.status, case.notice_no) == ("exited", NOTICE["notice_no"])
    assert session.get(ProcessInstance, case.instance_id).end_event == "已出库"
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "expert_exited")) == 1
    with pytest.raises(Conflict):  # out of the pool: no second exit
        exits.request_withdrawal(session, user, {"reason": "x", "confirm": "on"}, T0)


def test_talent_center_starts_on_an_art_15_ground_with_evidence(session, users, expert):
    raw = {"expert_id": str(expert.id), "ground": "art15_4", "facts": "接受被检查企业宴请，有照片为证"}
    with pytest.raises(ValidationFailed) as err:
        exits.start_exit(session, users["talent_center"], raw, {}, T0)
    assert "evidence" in err.value.errors  # evidence is required
    with pytest.raises(Forbidden):
        exits.start_exit(session, users["quality_division"], raw, {"evidence": [PDF]}, T0)
    with pytest.raises(ValidationFailed) as err:
        exits.start_exit(session, users["talent_center"], raw | {"ground": "voluntary"}, {"evidence": [PDF]}, T0)
    assert "ground" in err.value.errors  # only the six grounds of Art 15
    case = exits.start_exit(session, users["talent_center"], raw, {"evidence": [PDF]}, T0)
    assert (case.source, case.trigger, case.ground, len(case.evidence_ids)) == ("talent_center", "manual", "art15_4", 1)
    approve_through(session, users, case, review={"decision": "proceed", "facts": "属实", "ground": ""})
    record = session.scalar(select(ExitRecord).where(ExitRecord.expert_id == expert.id))
    assert (record.ground, record.evidence_ids) == ("art15_4", case.evidence_ids)


@pytest.mark.parametrize("stage,values,status", [
    ("exit_center_review", {"decision": "dismiss", "facts": "拒绝理由正当，不予出库"}, "dismissed"),
    ("exit_division_review", {"decision": "disagree", "comment": "证据不足"}, "rejected"),
    ("exit_leader_approval", {"decision": "reject", "comment": "暂缓"}, "rejected"),
])
def test_each_refusal_ends_the_case_and_the_expert_stays(session, users, expert, stage, values, status):
    case = exits.start_exit(session, users["talent_center"], {"expert_id": str(expert.id), "ground": "art15_5",
                                                               "facts": "疑似泄露抽查计划"}, {"evidence": [PDF]}, T0)
    chain = [("exit_center_review", "talent_center", PROCEED), ("exit_division_review", "quality_division", AGREE),
             ("exit_leader_approval", "bureau_leader", APPROVE)]
    for step, role, ok in chain:
        act(session, case.instance_id, users[role], values if step == stage else ok, step, now=T0)
        if step == stage:
            break
    session.expire_all()
    assert session.get(ExitCase, case.id).status == status and session.get(Expert, expert.id).status == "active"
    assert open_tasks(session, case.instance_id) == []
    assert session.scalar(select(ExitRecord.id)) is None


def test_division_disagreement_needs_a_reason(session, users, expert):
    case = exits.start_exit(session, users["talent_center"], {"expert_id": str(expert.id), "ground": "art15_6",
                                                               "facts": "长期不能履职"}, {"evidence": [PDF]}, T0)
    act(session, case.instance_id, users["talent_center"], PROCEED)
    with pytest.raises(ValidationFailed) as err:
        act(session, case.instance_id, users["quality_division"], {"decision": "disagree", "comment": ""})
    assert "comment" in err.value.errors


def test_refusals_at_the_threshold_are_proposed_once_per_year(session, users, monkeypatch):
    """Refusals as the assignment flow records them (issue 11: a row the flow never writes hid the bug)."""
    monkeypatch.setenv("EXPERTPOOL_REFUSAL_THRESHOLD", "2")
    three, two, justified = (lone_expert(session, n, g) for n, g in (
        ("甲", "supervision_sampling"), ("乙", "risk_monitoring"), ("丙", "post_license")))
    refuse_unjustified(session, users, three, 2)
    refuse_unjustified(session, users, justified, 2, judgement=assignment.APPROVE_JUSTIFIED)
    refuse_unjustified(session, users, two, 1)
    refuse_unjustified(session, users, two, 1, now=datetime(2025, 12, 10, 2, tzinfo=UTC))  # last year
    result = exits.proposal_scan_job(session, T0 + timedelta(days=5))
    assert result == {"proposed": 1, "skipped": False}
    case = session.scalar(select(ExitCase))
    assert (case.expert_id, case.source, case.trigger, case.trigger_key, case.ground) == (
        three.id, "system", "refusals", "refusals:2026", "art15_1")
    assert "2次" in case.facts
    assert exits.proposal_scan_job(session, T0 + timedelta(days=5, hours=3)) == {"proposed": 0, "skipped": True}
    act(session, case.instance_id, users["talent_center"], {"decision": "dismiss", "facts": "经核实为时间冲突"})
    assert exits.proposal_scan_job(session, T0 + timedelta(days=6))["proposed"] == 0  # dismissed: not proposed again
    assert session.scalar(select(func.count()).select_from(JobRun).where(JobRun.job_name == "exit_proposal_scan")) == 2


def test_age_over_the_limit_without_exemption_is_proposed(session, users):
    old = make_expert(session, "老专家", birth=date(1965, 1, 2))  # 61 on T0 (2026-03-02)
    sixty = make_expert(session, "六十岁", birth=date(1966, 1, 2))  # 60: the whole year counts
    exempt = make_expert(session, "荣誉专家", birth=date(1964, 1, 2))
    app = Application(route="invited", entered_by=users["talent_center"].id, name="荣誉专家", groups=[],
                      form={"age_exemptions": ["provincial_honour"]}, created_at=T0, updated_at=T0)
    session.add(app)
    session.flush()
    exempt.application_id = app.id
    session.commit()
    assert exits.proposal_scan_job(session, T0)["proposed"] == 1
    case = session.scalar(select(ExitCase))
    assert (case.expert_id, case.trigger, case.ground) == (old.id, "age", "age")
    assert "年满61周岁" in case.facts
    assert sixty.id != case.expert_id


def test_confirmed_failure_to_recuse_is_tied_to_the_engagement(session, users, expert):
    engagement = make_engagement(session, expert, users["using_unit"], date(2026, 2, 1))
    raw = {"expert_id": str(expert.id), "ground": "art15_2", "engagement_id": str(engagement.id),
           "facts": "评审对象为其近三年任职单位，未申请回避"}
    other = make_expert(session, "王丽")
    with pytest.raises(ValidationFailed) as err:
        exits.start_exit(session, users["talent_center"], raw | {"expert_id": str(other.id)}, {"evidence": [PDF]}, T0)
    assert "engagement_id" in err.value.errors
    case = exits.start_exit(session, users["talent_center"], raw, {"evidence": [PDF]}, T0)
    assert (case.trigger, case.trigger_key, case.ground) == ("recusal_failure", f"recusal:{engagement.id}", "art15_2")


def test_propose_exit_host_function_for_other_processes(session, users, expert):
    ctx = HostContext(session, None, T0)
    first = HOST_FUNCTIONS["propose_exit"](ctx, expert_id=expert.id, trigger="recusal_failure", key="recusal:77",
                                           facts="抽取后发现未申报的利害关系")
    session.commit()
    again = HOST_FUNCTIONS["propose_exit"](ctx, expert_id=expert.id, trigger="recusal_failure", key="recusal:77",
                                           facts="重复")
    assert first["exit_case_id"] is not None and again == {"exit_case_id": None}


def test_exit_releases_open_engagements_and_the_expert_is_never_drawn(session, users):
    pool = assignment.make_pool(session, 5)
    request = assignment.create(session, users["using_unit"], n_experts="2", n_backups="0")
    first, second = assignment.engagements(session, request.id)
    assignment.answer(session, first, assignment.CONFIRM)
    assignment.answer(session, second, assignment.CONFIRM)  # staffed: the work is ahead
    leaving = first.expert_id
    case = exits.start_exit(session, users["talent_center"], {"expert_id": str(leaving), "ground": "art15_3",
                                                               "facts": "调离监管岗位，不能正常履职"},
                            {"evidence": [PDF]}, T0)
    approve_through(session, users, case)
    rows = assignment.engagements(session, request.id)
    assert [(r.round, r.status) for r in rows] == [(1, "released"), (1, "confirmed"), (2, "drawn")]  # redrawn
    assert leaving not in {r.expert_id for r in rows if r.status in ("drawn", "confirmed")}
    later = assignment.create(session, users["using_unit"], n_experts="4", n_backups="0",
                              title="2026年电线电缆产品风险监测")
    drawn = {r.expert_id for r in assignment.engagements(session, later.id)}
    assert leaving not in drawn and drawn <= {e.id for e in pool}  # exited experts are never drawn again
    assert session.get(Expert, leaving).status == "exited"  # still on record
