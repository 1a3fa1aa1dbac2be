"""Issue 15: the reviewers' daily 待办日报 — one e-mail per reviewer per day listing their overdue and new open tasks
with links, only when there is something, sent once however often the job runs; a reviewer may turn it off on
我的账号. The tasks come from real submissions (talent_center's 初审 is due in 5 days)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.admission import services as admission
from engine.core.jobs import JOBS
from engine.core.models import HumanTask, JobRun
from engine.experts.models import Expert
from engine.platform.models import OutboxMail, User
from engine.tasks import digest
from tests.assignment_support import DECLINE, answer, create, engagements, make_pool
from tests.assignment_support import open_tasks as assignment_tasks
from tests.support import T0, application_form, id_number, make_call, make_user
from tests.webui.test_ui_support import client_for, text_of

MORNING = T0 + timedelta(hours=1)  # 2026-03-02 10:00 Asia/Shanghai


@pytest.fixture()
def two_applications(session):
    call = make_call(session)
    apps = []
    for n, name in ((1, "林建华"), (2, "陈志明")):
        applicant = make_user(session, f"applicant{n}", "applicant")
        apps.append(admission.submit_public(session, applicant, application_form(name=name, id_number=id_number(n)),
                                            {}, T0, call.id))
    return apps


def digests(session, user) -> list[OutboxMail]:
    session.expire_all()
    return list(session.scalars(select(OutboxMail).where(OutboxMail.to_address.contains(user.email),
                                                         OutboxMail.subject.contains("待办日报"))
                                .order_by(OutboxMail.id)))


def review_tasks(session) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "initial_review").order_by(HumanTask.id)))


def test_new_tasks_are_listed_with_links_once_a_day(session, users, two_applications):
    assert JOBS["reviewer_digest"].trigger == "cron"
    result = JOBS["reviewer_digest"].run(session, MORNING)
    assert result == {"sent": 1, "early": False}
    (mail,) = digests(session, users["talent_center"])
    assert "逾期 0 件，新待办 2 件" in mail.subject and "2026-03-02" in mail.subject
    for task in review_tasks(session):
        assert f"/tasks/{task.id}" in mail.body and task.subject in mail.body
    assert "/tasks?sort=-created" in mail.body and "/account" in mail.body
    assert "【逾期待办】" not in mail.body
    for role in ("quality_division", "bureau_leader"):  # nothing to do: no mail
        assert digests(session, users[role]) == []

    assert JOBS["reviewer_digest"].run(session, MORNING + timedelta(hours=5)) == {"sent": 0, "early": False}
    assert len(digests(session, users["talent_center"])) == 1  # once per day, however often it runs
    keys = set(session.scalars(select(JobRun.run_key).where(JobRun.job_name == "reviewer_digest")))
    assert f"2026-03-02:{users['talent_center'].id}" in keys


def test_overdue_tasks_come_first_with_days_late_and_the_overdue_view(session, users, two_applications):
    later = MORNING + timedelta(days=6)  # the 初审 was due in 5 days
    JOBS["reviewer_digest"].run(session, later)
    (mail,) = digests(session, users["talent_center"])
    assert "逾期 2 件，新待办 0 件" in mail.subject
    assert "/tasks?overdue=1&sort=due" in mail.body and "已逾期 1 天" in mail.body
    assert "近24小时新待办" not in mail.body


def test_before_eight_nothing_is_sent_or_claimed(session, users, two_applications):
    early = T0 + timedelta(days=1) - timedelta(hours=2)  # 07:00 local
    assert JOBS["reviewer_digest"].run(session, early) == {"sent": 0, "early": True}
    assert digests(session, users["talent_center"]) == []
    assert session.scalar(select(func.count()).select_from(JobRun).where(JobRun.job_name == "reviewer_digest")) == 0


def test_a_long_list_stops_at_the_limit_with_a_count(session, users, two_applications, monkeypatch):
    monkeypatch.setattr(digest, "MAX_LISTED", 1)
    JOBS["reviewer_digest"].run(session, MORNING)
    (mail,) = digests(session, users["talent_center"])
    first, second = review_tasks(session)
    assert f"/tasks/{second.id}" in mail.body and f"/tasks/{first.id}\n" not in mail.body + "\n"
    assert "另有 1 件未列出" in mail.body


def test_a_reviewer_turns_it_off_and_on_on_my_account(app, session, users, two_applications):
    client = client_for(app, users["talent_center"])
    page = text_of(client.get("/account"))
    assert "每日待办日报" in page and 'value="off"' in page
    assert client.post("/account/digest", data={"digest": "maybe"}).status_code == 422
    assert client.post("/account/digest", data={"digest": "off"}).status_code == 302
    session.expire_all()
    assert session.get(User, users["talent_center"].id).digest_opt_out is True
    assert 'value="on"' in text_of(client.get("/account"))
    JOBS["reviewer_digest"].run(session, MORNING)
    assert digests(session, users["talent_center"]) == []

    assert client.post("/account/digest", data={"digest": "on"}).status_code == 302
    JOBS["reviewer_digest"].run(session, MORNING + timedelta(days=6))  # overdue by then
    assert len(digests(session, users["talent_center"])) == 1


def test_applicants_and_experts_are_not_offered_the_digest(app, session, users):
    assert "每日待办日报" not in text_of(client_for(app, users["applicant"]).get("/account"))
    assert users["applicant"].id not in digest.reviewers(session)


def test_a_leaders_digest_names_no_drawn_expert(session, users):
    """Art 13: the bureau leader's cancellation task appears by the request's title, never the drawn name."""
    make_pool(session, 3, prefix="抽中专家")
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (drawn,) = engagements(session, request.id)
    answer(session, drawn, DECLINE)
    (task,) = assignment_tasks(session, request, "leader_approve_cancellation")
    JOBS["reviewer_digest"].run(session, MORNING)
    (mail,) = digests(session, users["bureau_leader"])
    name = session.get(Expert, drawn.expert_id).name
    assert f"/tasks/{task.id}" in mail.body and request.title in mail.body
    assert name not in mail.body and "抽中专家" not in mail.body + mail.subject
