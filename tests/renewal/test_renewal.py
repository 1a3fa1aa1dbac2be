"""The real term_renewal BPMN (Art 8): the daily scan, renewal, decline, lapse by timer, the paper path."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.core.errors import Conflict
from engine.core.models import HumanTask, ProcessInstance
from engine.core.timers import fire_due
from engine.experts.models import ExitRecord, Expert, ExpertDeclaration
from engine.renewal import services as renewals
from engine.renewal.models import RenewalCase
from tests.experts.roster_support import act as act_at
from tests.experts.roster_support import expert_user, make_expert, open_tasks
from tests.support import T0

TERM_END = date(2026, 5, 1)  # 60 days after T0 (2026-03-02)
LAPSE = datetime(2026, 5, 1, 16, 0, 1, tzinfo=UTC)  # 2026-05-02 00:00:01 Asia/Shanghai, just after the term
RENEW = {"renew": "yes", "recommit": "on", "unit_name": "福建省计量科学研究院", "title": "正高级工程师",
         "title_level": "senior", "phone": "13905910000"}


@pytest.fixture()
def due(session):
    """An expert with an account whose term ends in 60 days, and one whose term ends in 61."""
    expert = make_expert(session, "林建华", user=expert_user(session, "linjianhua"), term_start=date(2023, 5, 2),
                         term_end=TERM_END)
    later = make_expert(session, "王丽", term_start=date(2023, 5, 3), term_end=TERM_END + timedelta(days=1))
    return expert, later


def act(session, instance_id, actor, values, step=None, now=T0):
    """Complete the instance's open task on T0 (2026-03-02), within the term."""
    return act_at(session, instance_id, actor, values, step, now=now)


def case_of(session, expert) -> RenewalCase:
    session.expire_all()
    return session.scalar(select(RenewalCase).where(RenewalCase.expert_id == expert.id))


def test_scan_starts_renewal_60_days_before_the_end_once(session, due):
    expert, later = due
    assert renewals.renewal_scan_job(session, T0) == {"started": 1, "skipped": False}
    assert renewals.renewal_scan_job(session, T0 + timedelta(hours=2)) == {"started": 0, "skipped": True}
    assert renewals.renewal_scan_job(session, T0 + timedelta(days=1)) == {"started": 1, "skipped": False}  # 王丽
    assert renewals.renewal_scan_job(session, T0 + timedelta(days=2)) == {"started": 0, "skipped": False}
    case = case_of(session, expert)
    assert (case.old_term_end, case.status) == (TERM_END, "open")
    (task,) = open_tasks(session, case.instance_id)
    assert (task.bpmn_id, task.assignee_id) == ("renewal_confirm", expert.user_id)
    paper = open_tasks(session, case_of(session, later).instance_id)
    assert [(t.bpmn_id, t.lane_role, t.assignee_id) for t in paper] == [("renewal_confirm_paper", "talent_center", None)]
    assert session.scalar(select(func.count()).select_from(RenewalCase)) == 2


def test_renewal_gives_a_new_three_year_term_and_certificate(session, users, due):
    expert, _ = due
    renewals.renewal_scan_job(session, T0)
    case = case_of(session, expert)
    user = session.get(type(users["admin"]), expert.user_id)
    old_unit, old_certificate = expert.unit_name, expert.certificate_no
    act(session, case.instance_id, user, RENEW, "renewal_confirm", now=T0)
    case = case_of(session, expert)
    assert case.eligibility["eligible"] is True and case.updates["title_level"] == "senior"
    assert session.get(Expert, expert.id).unit_name == old_unit  # applied only when renewed
    act(session, case.instance_id, users["quality_division"], {"decision": "pass"}, "renewal_division_review", now=T0)
    act(session, case.instance_id, users["bureau_leader"], {"decision": "approve"}, "renewal_leader_approval", now=T0)
    case, renewed = case_of(session, expert), session.get(Expert, expert.id)
    assert (renewed.term_start, renewed.term_end) == (date(2026, 5, 2), date(2029, 5, 1))
    assert renewed.certificate_no == "闽质安专聘〔2026〕0001号" != old_certificate
    assert (renewed.unit_name, renewed.title_level, renewed.phone) == ("福建省计量科学研究院", "senior", "13905910000")
    assert (case.status, case.new_term_end, case.certificate_no) == ("renewed", date(2029, 5, 1), renewed.certificate_no)
    past = session.scalar(select(ExpertDeclaration).where(ExpertDeclaration.expert_id == expert.id))
    assert (past.kind, past.org_name, past.end) == ("employment", old_unit, T0.date())  # recusal looks back 3 years
    assert session.get(ProcessInstance, case.instance_id).end_event == "已续聘"
    assert fire_due(session, LAPSE + timedelta(days=1)) == 0  # the lapse timers went with the tasks


def test_declining_waits_for_the_end_then_lapses_with_an_exit_record(session, users, due):
    expert, _ = due
    renewals.renewal_scan_job(session, T0)
    case = case_of(session, expert)
    user = session.get(type(users["admin"]), expert.user_id)
    with pytest.raises(Exception) as err:
        act(session, case.instance_id, user, {"renew": "yes"})  # must re-confirm the commitment
    assert "recommit" in getattr(err.value, "errors", {})
    act(session, case.instance_id, user, {"renew": "no", "note": "年龄原因不再续聘"})
    case = case_of(session, expert)
    assert case.status == "not_renewing" and session.get(Expert, expert.id).status == "active"
    assert fire_due(session, LAPSE - timedelta(seconds=2)) == 0  # the last day of the term is still in it
    assert fire_due(session, LAPSE) == 1
    session.expire_all()
    record = session.scalar(select(ExitRecord).where(ExitRecord.expert_id == expert.id))
    assert session.get(Expert, expert.id).status == "expired"
    assert (record.ground, record.source, record.exited_on, record.renewal_case_id) == (
        "term_lapsed", "system", date(2026, 5, 2), case.id)
    assert case_of(session, expert).status == "lapsed"
    assert session.get(ProcessInstance, case.instance_id).end_event == "聘期届满未续聘"


@pytest.mark.parametrize("stage", ["renewal_confirm", "renewal_division_review", "renewal_leader_approval"])
def test_term_lapses_by_timer_when_renewal_is_not_done_by_the_end_date(session, users, due, stage):
    expert, _ = due
    renewals.renewal_scan_job(session, T0)
    case = case_of(session, expert)
    chain = [("renewal_confirm", session.get(type(users["admin"]), expert.user_id), RENEW),
             ("renewal_division_review", users["quality_division"], {"decision": "pass"}),
             ("renewal_leader_approval", users["bureau_leader"], {"decision": "approve"})]
    for step, actor, values in chain:
        if step == stage:
            break
        act(session, case.instance_id, actor, values, step, now=T0)
    (waiting,) = open_tasks(session, case.instance_id)
    assert waiting.bpmn_id == stage
    assert fire_due(session, LAPSE) == 1
    session.expire_all()
    assert session.get(HumanTask, waiting.id).state == "cancelled"
    assert session.get(Expert, expert.id).status == "expired"
    assert session.scalar(select(ExitRecord.ground).where(ExitRecord.expert_id == expert.id)) == "term_lapsed"


def test_rejected_renewal_lapses_at_the_end(session, users, due):
    _, later = due
    renewals.renewal_scan_job(session, T0 + timedelta(days=1))
    case = case_of(session, later)
    act(session, case.instance_id, users["talent_center"], {"renew": "yes", "recommit": "on"}, "renewal_confirm_paper")
    act(session, case.instance_id, users["quality_division"], {"decision": "reject", "comment": "近三年未参加工作"})
    assert case_of(session, later).status == "not_renewing"
    assert fire_due(session, LAPSE + timedelta(days=1)) == 2  # 王丽 (rejected) and 林建华 (never answered)
    session.expire_all()
    assert session.get(Expert, later.id).status == "expired"


def test_an_exited_expert_is_not_renewed_and_lapse_records_nothing_twice(session, users, due):
    expert, _ = due
    renewals.renewal_scan_job(session, T0)
    case = case_of(session, expert)
    act(session, case.instance_id, session.get(type(users["admin"]), expert.user_id), RENEW)
    act(session, case.instance_id, users["quality_division"], {"decision": "pass"})
    session.get(Expert, expert.id).status = "exited"
    session.commit()
    with pytest.raises(Conflict):
        act(session, case.instance_id, users["bureau_leader"], {"decision": "approve"})
    result = renewals.lapse(session, case.id, None, T0)
    assert result == {"status": "exited", "recorded": False}
