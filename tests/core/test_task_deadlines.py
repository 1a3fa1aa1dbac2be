"""Issue 11 item 17: a user task that a boundary timer ends or escalates shows that timer's fire time as its
deadline — in the inbox row, the inbox page, the task page and the API — read from the timer the engine armed.

Each test drives the shipped BPMN through the services as users do, then lets the timer fire to prove the shown
deadline is the instant the engine acts on (a second earlier nothing happens, a second later it does).
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update

from engine.admission.models import Application
from engine.core.models import HumanTask
from engine.core.timers import fire_due
from engine.evaluation import campaign
from engine.evaluation.models import Evaluation
from engine.platform.settings import LOCAL_TZ
from tests.assignment_support import (
    APPROVE_UNJUSTIFIED,
    CONFIRM,
    answer,
    complete_all,
    create,
    engagements,
    make_pool,
    open_tasks,
    user_of,
)
from tests.experts.roster_support import DEC1, act, expert_user, make_expert
from tests.support import PASSWORD, T0, make_call
from tests.webui.test_ui_support import advance, client_for, submit, text_of
from webui.timeutil import local

SECOND = timedelta(seconds=1)


def _api_task(client, user, task_id: int) -> dict:
    token = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    listed = client.get("/api/v1/tasks", headers=headers).get_json()["items"]
    shown = client.get(f"/api/v1/tasks/{task_id}", headers=headers).get_json()
    return {"listed": next(t for t in listed if t["id"] == task_id), "shown": shown}


def test_confirmation_tasks_are_due_when_the_no_answer_timer_fires(app, session, users):
    make_pool(session, 4)
    request = create(session, users["using_unit"], response_hours="24")
    tasks = open_tasks(session, request, "confirm_availability")
    due = T0 + timedelta(hours=24)
    assert len(tasks) == 2 and all(t.due_at == due for t in tasks)

    expert = user_of(session, engagements(session, request.id)[0])
    task = next(t for t in tasks if t.assignee_id == expert.id)
    api = _api_task(client_for(app), expert, task.id)
    assert api["listed"]["due_at"] == due.isoformat() and api["shown"]["task"]["due_at"] == due.isoformat()
    web = client_for(app, expert)
    assert local(due) in text_of(web.get("/tasks")) and f"办理期限 {local(due)}" in text_of(web.get(f"/tasks/{task.id}"))

    assert fire_due(session, due - SECOND) == 0  # the shown deadline is when the engine acts, not before
    assert len(open_tasks(session, request, "confirm_availability")) == 2
    assert fire_due(session, due + SECOND) == 1
    assert open_tasks(session, request, "confirm_availability") == []
    assert [e.status for e in engagements(session, request.id)][:2] == ["declined", "declined"]


def test_a_redrawn_experts_confirmation_is_due_from_its_own_timer(session, users):
    make_pool(session, 5)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0", response_hours="24")
    assert fire_due(session, T0 + timedelta(hours=24) + SECOND) == 1  # no answer: declined
    later = T0 + timedelta(hours=25)
    complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_UNJUSTIFIED, later)
    (task,) = open_tasks(session, request, "confirm_availability")
    assert task.due_at == later + timedelta(hours=24)  # the round-2 timer armed when the redraw asked


def test_commitment_task_is_due_when_the_unsigned_timer_lapses_it(app, session, users):
    application = submit(session, users["applicant"], make_call(session))
    task = advance(session, users, application, "sign_commitment")
    due = T0 + timedelta(days=14)  # EXPERTPOOL_COMMITMENT_DAYS (Art 8)
    assert task.bpmn_id == "sign_commitment" and task.due_at == due
    api = _api_task(client_for(app), users["applicant"], task.id)
    assert api["listed"]["due_at"] == due.isoformat()
    assert f"办理期限 {local(due)}" in text_of(client_for(app, users["applicant"]).get(f"/tasks/{task.id}"))

    assert fire_due(session, due - SECOND) == 0
    assert fire_due(session, due + SECOND) == 1
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "cancelled"
    assert session.get(Application, application.id).status != "admitted"


def test_evaluation_tasks_are_due_at_the_campaign_deadline_timer(session, users):
    leader_user = expert_user(session, "wuguohua", "group_leader")
    make_expert(session, "吴国华", user=leader_user, position="leader")
    member = make_expert(session, "林建华")
    campaign.year_end_job(session, DEC1)
    form = session.scalar(select(Evaluation).where(Evaluation.expert_id == member.id))
    deadline = datetime(2026, 12, 31, 23, 59, 59, tzinfo=LOCAL_TZ)
    act(session, form.instance_id, leader_user, {"rating": "good", "opinion": "按时参加评审"}, "group_leader_rating")
    (center,) = session.scalars(select(HumanTask).where(HumanTask.instance_id == form.instance_id,
                                                        HumanTask.state == "open")).all()
    assert center.bpmn_id == "center_evaluation" and center.due_at == deadline  # was empty until overdue
    assert fire_due(session, deadline) == 0
    assert fire_due(session, deadline + SECOND) >= 1
    session.expire_all()
    assert session.get(Evaluation, form.id).overdue_at == deadline + SECOND


def test_confirmations_opened_before_the_upgrade_get_their_deadline_on_the_next_step(session, users):
    make_pool(session, 4)
    request = create(session, users["using_unit"], response_hours="24")
    # What the previous release wrote for these rows: no deadline.
    session.execute(update(HumanTask).where(HumanTask.instance_id == request.instance_id).values(due_at=None))
    session.commit()
    first, second = engagements(session, request.id)[:2]
    answer(session, first, CONFIRM, now=T0 + timedelta(hours=2))
    (waiting,) = open_tasks(session, request, "confirm_availability")
    assert waiting.assignee_id == user_of(session, second).id and waiting.due_at == T0 + timedelta(hours=24)
