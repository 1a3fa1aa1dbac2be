"""The year-end campaign (Art 14): the 1 December job fires once at local midnight, launch, restart, workers, counts."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from engine.core.errors import Conflict, Forbidden, ValidationFailed
from engine.core.jobs import JOBS
from engine.core.models import AuditEvent, HumanTask, JobRun, ProcessInstance
from engine.evaluation import campaign
from engine.evaluation.models import Evaluation, EvaluationCampaign
from engine.platform import settings
from engine.platform.models import Notification
from engine.platform.settings import LOCAL_TZ
from tests.experts.roster_support import DEC1, expert_user, make_engagement, make_expert
from webui.extensions import db

LATE = "上年12月系统停机未能开展评价，补充启动"


def count(session, model, *where) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture()
def pool(session, users):
    """A leader with an account in 监督抽查组, three members, one exited and one suspended expert."""
    leader = make_expert(session, "吴国华", user=expert_user(session, "wuguohua", "group_leader"), position="leader")
    members = [make_expert(session, name) for name in ("林建华", "王丽", "陈志明")]
    make_expert(session, "已出库专家", status="exited")
    make_expert(session, "暂停专家", status="suspended")
    return {"leader": leader, "members": members}


def test_job_fires_once_at_local_midnight_of_1_december(session, pool):
    just_before = DEC1 - timedelta(seconds=1)  # 2026-11-30 23:59:59 Asia/Shanghai
    assert just_before.astimezone(LOCAL_TZ).month == 11 and DEC1.date() == date(2026, 11, 30)  # UTC is still 30 Nov
    assert campaign.year_end_job(session, just_before) == {"year": None, "started": 0}
    assert count(session, EvaluationCampaign) == 0
    first = campaign.year_end_job(session, DEC1)
    assert first == {"year": 2026, "created": True, "started": 4}
    again = campaign.year_end_job(session, DEC1 + timedelta(hours=1))  # the next hourly run, or a restart
    assert again == {"year": 2026, "created": False, "started": 0}
    assert count(session, JobRun, JobRun.job_name == "year_end_campaign") == 1
    assert count(session, Evaluation) == 4 and count(session, ProcessInstance) == 4
    found = session.scalar(select(EvaluationCampaign))
    assert (found.year, found.status, found.trigger, found.deadline) == (2026, "open", "schedule", date(2026, 12, 31))
    assert sorted(found.roster) == sorted([pool["leader"].id] + [m.id for m in pool["members"]])


def test_registered_trigger_fires_at_local_midnight_of_1_december():
    job = JOBS["year_end_campaign"]
    trigger = CronTrigger(timezone=LOCAL_TZ, **job.trigger_args)
    after = datetime(2026, 6, 1, 12, 0, tzinfo=LOCAL_TZ)
    assert trigger.get_next_fire_time(None, after) == datetime(2026, 12, 1, 0, 0, tzinfo=LOCAL_TZ)
    fire = trigger.get_next_fire_time(None, datetime(2026, 12, 1, 0, 0, 1, tzinfo=LOCAL_TZ))
    assert fire == datetime(2026, 12, 1, 1, 0, tzinfo=LOCAL_TZ)  # hourly in December: catches up after downtime
    assert job.run is campaign.year_end_job


def test_each_expert_gets_a_form_for_the_right_rater_due_31_december(session, pool):
    campaign.year_end_job(session, DEC1)
    rows = {e.expert_id: e for e in session.scalars(select(Evaluation))}
    leader_user = pool["leader"].user_id
    for member in pool["members"]:
        assert (rows[member.id].rater_user_id, rows[member.id].status) == (leader_user, "group_pending")
    assert rows[pool["leader"].id].rater_user_id is None  # no deputy: talent_center evaluates directly
    assert rows[pool["leader"].id].status == "center_pending"
    due = datetime(2026, 12, 31, 23, 59, 59, tzinfo=LOCAL_TZ)
    tasks = session.scalars(select(HumanTask)).all()
    assert {t.bpmn_id for t in tasks} == {"group_leader_rating", "center_evaluation"}
    assert all(t.due_at == due for t in tasks)
    assert {t.assignee_id for t in tasks if t.bpmn_id == "group_leader_rating"} == {leader_user}
    note = session.scalar(select(Notification).where(Notification.user_id == leader_user))
    assert "2026年度专家履职评价已启动" in note.subject and "3名专家" in note.body


def test_launch_interrupted_by_a_crash_resumes_without_duplicates(session, pool, monkeypatch):
    monkeypatch.setattr(settings, "LAUNCH_CHUNK", 2)
    real, calls = campaign.launch_chunk, []

    def crash_on_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed mid-launch")
        return real(*args, **kwargs)

    monkeypatch.setattr(campaign, "launch_chunk", crash_on_second_chunk)
    with pytest.raises(RuntimeError):
        campaign.year_end_job(session, DEC1)
    assert count(session, Evaluation) == 2 and count(session, ProcessInstance) == 2  # first chunk committed
    assert session.scalar(select(EvaluationCampaign.status)) == "launching"
    resumed = campaign.year_end_job(session, DEC1 + timedelta(hours=1))
    assert resumed == {"year": 2026, "created": False, "started": 2}
    assert count(session, Evaluation) == 4 and count(session, ProcessInstance) == 4 and count(session, HumanTask) == 4
    assert session.scalar(select(EvaluationCampaign.status)) == "open"


def test_manual_start_now_by_talent_center_only_once(session, users, pool):
    december = DEC1 + timedelta(days=1)  # Art 14: a manual start is in December (tests/evaluation/test_campaign_month.py)
    with pytest.raises(Forbidden):
        campaign.start_now(session, users["quality_division"], 2026, december)
    with pytest.raises(ValidationFailed) as err:
        campaign.start_now(session, users["talent_center"], 2024, december)
    assert "只能启动2026年度" in err.value.errors["year"]
    started = campaign.start_now(session, users["talent_center"], 2026, december)
    assert (started.status, started.trigger, started.expert_count) == ("open", "manual", 4)
    events = count(session, AuditEvent, AuditEvent.action == "evaluation_campaign_started")
    with pytest.raises(Conflict):
        campaign.start_now(session, users["talent_center"], 2026, december)
    assert campaign.year_end_job(session, december)["created"] is False  # the December job finds it started
    assert count(session, Evaluation) == 4
    assert count(session, AuditEvent, AuditEvent.action == "evaluation_campaign_started") == events == 1


def test_last_years_campaign_can_be_started_in_january(session, users, pool):
    january = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
    started = campaign.start_now(session, users["talent_center"], 2026, january, reason=LATE)
    assert (started.year, started.deadline, started.start_reason) == (2026, date(2026, 12, 31), LATE)


def test_prefilled_counts_are_this_years_and_cumulative(session, users, pool):
    member = pool["members"][0]
    unit = users["using_unit"]
    for start, status in [(date(2024, 5, 6), "completed"), (date(2025, 4, 1), "completed"),
                          (date(2025, 10, 9), "completed"), (date(2026, 3, 3), "completed"),
                          (date(2026, 11, 20), "confirmed"), (date(2026, 6, 1), "declined"),
                          (date(2026, 7, 1), "cancelled")]:
        make_engagement(session, member, unit, start, status, usage={} if status == "completed" else None)
    january = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    campaign.start_now(session, users["talent_center"], 2025, january, reason=LATE)  # last year's, started late
    campaign.year_end_job(session, DEC1)
    by_year = {y: (c, t) for y, c, t in session.execute(
        select(EvaluationCampaign.year, Evaluation.this_year_count, Evaluation.total_count)
        .join(EvaluationCampaign).where(Evaluation.expert_id == member.id))}
    assert by_year == {2025: (2, 3), 2026: (2, 5)}


def test_two_workers_start_the_campaign_once(app, session, pool, monkeypatch):
    """Two scheduler workers fire at the same instant (own sessions and connections): one campaign, no error."""
    monkeypatch.setattr(settings, "LAUNCH_CHUNK", 1)  # four chunks: both workers compete for every one
    new_session = sessionmaker(bind=db.engine)
    barrier, results, errors = threading.Barrier(2), [], []

    def worker():
        with new_session() as own:
            barrier.wait()
            try:
                results.append(campaign.year_end_job(own, DEC1))
            except Exception as exc:  # any error fails the assertion below, with its message
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(results) == 2
    assert sorted(r["created"] for r in results) == [False, True]
    assert sum(r["started"] for r in results) == 4  # the launch is shared out, never doubled
    assert count(session, JobRun) == 1 and count(session, EvaluationCampaign) == 1
    assert count(session, Evaluation) == 4 and count(session, ProcessInstance) == 4 and count(session, HumanTask) == 4
