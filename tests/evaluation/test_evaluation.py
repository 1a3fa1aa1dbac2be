"""The real annual_evaluation BPMN through every path: rating, validation, 差 → exit review, deadline, bulk, reminders."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.core.errors import Forbidden, ValidationFailed
from engine.core.models import HumanTask, JobRun, ProcessInstance
from engine.core.timers import fire_due
from engine.evaluation import campaign
from engine.evaluation import services as evaluations
from engine.evaluation.models import Evaluation
from engine.exit.models import ExitCase
from engine.experts.models import Expert
from engine.platform.models import Notification
from engine.platform.settings import LOCAL_TZ
from tests.experts.roster_support import DEC1, act, expert_user, make_engagement, make_expert, open_tasks

GOOD = {"rating": "good", "opinion": "按时参加方案评审，意见具体可行"}
EXCELLENT = {"rating": "excellent", "opinion": "全年参加抽查方案评审3次，提出的修改意见均被采纳，报告质量高"}
POOR_CENTER = {"overall_rating": "poor", "opinion": "全年两次无正当理由拒绝任务，一次评审报告逾期两周未提交"}


@pytest.fixture()
def launched(session, users):
    """A group leader with an account, two members with 2026 work, the 2026 campaign launched on 1 December."""
    leader_user = expert_user(session, "wuguohua", "group_leader")
    leader = make_expert(session, "吴国华", user=leader_user, position="leader")
    member = make_expert(session, "林建华")
    other = make_expert(session, "王丽")
    make_engagement(session, member, users["using_unit"], date(2026, 4, 8), usage={"comment": "评审意见专业"})
    make_engagement(session, member, users["using_unit"], date(2026, 11, 2), "confirmed")
    campaign.year_end_job(session, DEC1)
    forms = {e.expert_id: e for e in session.scalars(select(Evaluation))}
    return {"leader_user": leader_user, "leader": forms[leader.id], "member": forms[member.id],
            "other": forms[other.id], "member_expert": member}


def test_group_leader_then_talent_center_finalizes(session, users, launched):
    form = launched["member"]
    act(session, form.instance_id, launched["leader_user"], GOOD, "group_leader_rating")
    session.expire_all()
    assert (form.status, form.group_rating, form.group_rated_by) == ("center_pending", "good", launched["leader_user"].id)
    later = DEC1 + timedelta(days=5)
    act(session, form.instance_id, users["talent_center"], {"overall_rating": "good", "opinion": "同意专家组意见"},
        "center_evaluation", now=later)
    session.expire_all()
    assert (form.status, form.overall_rating, form.finalized_at) == ("finalized", "good", later)
    assert (form.this_year_count, form.total_count) == (2, 2)
    assert [r["title"] for r in form.usage_snapshot] == ["家用电器监督抽查方案评审"] * 2
    assert form.usage_snapshot[0]["comment"] == "评审意见专业" and form.usage_snapshot[1]["recorded"] is False
    instance = session.get(ProcessInstance, form.instance_id)
    assert (instance.status, instance.end_event) == ("completed", "评价完成")
    assert form.exit_case_id is None


def test_excellent_or_poor_need_a_specific_explanation_and_nothing_changes(session, users, launched):
    form = launched["member"]
    task = open_tasks(session, form.instance_id)[0]
    for values in ({"rating": "excellent", "opinion": "优秀"}, {"rating": "poor", "opinion": "太差了"}):
        with pytest.raises(ValidationFailed) as err:
            act(session, form.instance_id, launched["leader_user"], values)
        assert "须书面说明具体情况" in err.value.errors["opinion"]
    with pytest.raises(ValidationFailed) as err:
        act(session, form.instance_id, launched["leader_user"], {"rating": "", "opinion": "x"})
    assert "rating" in err.value.errors
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "open" and form.group_rating is None
    act(session, form.instance_id, launched["leader_user"], EXCELLENT)
    with pytest.raises(ValidationFailed) as err:
        act(session, form.instance_id, users["talent_center"], {"overall_rating": "excellent", "opinion": "好"})
    assert "overall_rating" not in err.value.errors and "opinion" in err.value.errors


def test_poor_overall_rating_proposes_an_exit_review_not_an_exit(session, users, launched):
    form = launched["member"]
    act(session, form.instance_id, launched["leader_user"], {"rating": "fair", "opinion": "参与度一般"})
    act(session, form.instance_id, users["talent_center"], POOR_CENTER)
    session.expire_all()
    case = session.get(ExitCase, form.exit_case_id)
    assert (case.source, case.trigger, case.trigger_key, case.ground) == ("system", "poor_rating", "poor_rating:2026",
                                                                          "art15_6")
    assert "总评价为“差”" in case.facts and POOR_CENTER["opinion"] in case.facts
    review = open_tasks(session, case.instance_id)
    assert [(t.bpmn_id, t.lane_role) for t in review] == [("exit_center_review", "talent_center")]
    assert session.get(Expert, form.expert_id).status == "active"  # a proposal, never an automatic exit
    assert session.get(ProcessInstance, form.instance_id).end_event == "评价完成（已提出出库审查）"


def test_expert_without_a_rater_goes_straight_to_talent_center(session, users, launched):
    form = launched["leader"]  # leads the only group, no deputy
    task = open_tasks(session, form.instance_id)[0]
    assert (task.bpmn_id, task.assignee_id, task.lane_role) == ("center_evaluation", None, "talent_center")
    act(session, form.instance_id, users["talent_center"], {"overall_rating": "good", "opinion": "组织协调有力"})
    session.expire_all()
    assert form.status == "finalized" and form.group_rating is None


def test_only_the_named_rater_may_rate(session, users, launched):
    other_leader = expert_user(session, "other_leader", "group_leader")
    with pytest.raises(Forbidden):
        act(session, launched["member"].instance_id, other_leader, GOOD)
    with pytest.raises(Forbidden):
        act(session, launched["member"].instance_id, users["talent_center"], GOOD)


def test_deadline_timer_marks_open_forms_overdue_once(session, users, launched):
    act(session, launched["member"].instance_id, launched["leader_user"], GOOD)
    new_year = datetime(2026, 12, 31, 16, 0, 1, tzinfo=UTC)  # 2027-01-01 00:00:01 Asia/Shanghai
    assert fire_due(session, new_year - timedelta(seconds=5)) == 0
    assert fire_due(session, new_year) == 3
    session.expire_all()
    forms = {k: session.get(Evaluation, launched[k].id) for k in ("member", "other", "leader")}
    assert all(f.overdue_at == new_year for f in forms.values())
    due = datetime(2026, 12, 31, 23, 59, 59, tzinfo=LOCAL_TZ)
    tasks = session.scalars(select(HumanTask).where(HumanTask.state == "open")).all()
    assert len(tasks) == 3 and all(t.due_at == due for t in tasks)  # the center task got the campaign's due time
    assert fire_due(session, new_year + timedelta(days=3)) == 0  # a fired deadline never fires again
    act(session, forms["member"].instance_id, users["talent_center"], {"overall_rating": "good", "opinion": "同意"},
        now=new_year + timedelta(days=2))  # an overdue form can still be completed
    session.expire_all()
    assert forms["member"].status == "finalized"


def test_bulk_finalize_with_per_item_results(session, users, launched):
    member, other, leader = launched["member"], launched["other"], launched["leader"]
    act(session, member.instance_id, launched["leader_user"], GOOD)
    act(session, other.instance_id, launched["leader_user"], EXCELLENT)
    raw = {"mode": "adopt", "opinion": "同意专家组评价"}
    results = evaluations.bulk_finalize(session, users["talent_center"], [member.id, other.id, leader.id, 9999],
                                        raw, DEC1)
    outcome = {r.task_id: (r.ok, r.message) for r in results}
    assert outcome[member.id] == (True, "已完成评价")
    assert outcome[other.id][0] is False and "须书面说明具体情况" in outcome[other.id][1]  # 优秀 needs more
    assert outcome[leader.id] == (False, "该专家没有专家组评价，不能采用专家组评价")
    assert outcome[9999] == (False, "评价表不存在")
    session.expire_all()
    assert (session.get(Evaluation, member.id).overall_rating, session.get(Evaluation, other.id).status) == \
        ("good", "center_pending")
    fixed = evaluations.bulk_finalize(session, users["talent_center"], [other.id, leader.id],
                                      {"mode": "good", "opinion": "全年按要求完成工作"}, DEC1)
    assert all(r.ok for r in fixed)
    with pytest.raises(Forbidden):
        evaluations.bulk_finalize(session, users["quality_division"], [member.id], raw, DEC1)
    with pytest.raises(ValidationFailed):
        evaluations.bulk_finalize(session, users["talent_center"], [member.id], {"mode": "adopt", "opinion": ""}, DEC1)


def test_reminder_digests_once_per_day_and_overdue_after_the_deadline(session, users, launched):
    before = session.scalar(select(func.count()).select_from(Notification))
    quiet = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)
    assert evaluations.reminders_job(session, quiet) == {"sent": 0}
    ten_days = datetime(2026, 12, 21, 1, 0, tzinfo=UTC)  # 09:00 local, 10 days before 31 December
    first = evaluations.reminders_job(session, ten_days)
    assert first["sent"] >= 2 and evaluations.reminders_job(session, ten_days) == {"sent": 0}
    leader_notes = session.scalars(select(Notification).where(
        Notification.user_id == launched["leader_user"].id, Notification.subject.like("%即将截止"))).all()
    assert len(leader_notes) == 1 and "2份" in leader_notes[0].body  # one digest, not one per form
    overdue = evaluations.reminders_job(session, datetime(2027, 1, 1, 1, 0, tzinfo=UTC))
    assert overdue["sent"] >= 2
    assert session.scalar(select(func.count()).select_from(Notification).where(
        Notification.subject.like("%已逾期"))) >= 2
    assert session.scalar(select(func.count()).select_from(JobRun).where(JobRun.job_name == "evaluation_reminders")) == 2
    assert session.scalar(select(func.count()).select_from(Notification)) > before

