"""Every timer-bounded task shows its real deadline: the world of the route matrix is seeded through the real
flows (承诺书, confirmations, evaluations, renewals ...); for each open user task a boundary timer bounds, the
deadline is the timer's, and the inbox, the task page and the procedure's own page of the user who acts on it
show that date."""

from sqlalchemy import select

from engine.core.inbox import can_act
from engine.core.models import HumanTask, ProcessVersion
from engine.core.spiff import parse_xml
from engine.evaluation import queries as evaluation_queries
from engine.platform.models import User
from tests.support import login
from tests.webui.matrix_support import seed_world
from tests.webui.test_ui_support import text_of
from webui.timeutil import local

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
MUST_COVER = {"sign_commitment", "confirm_availability", "group_leader_rating", "center_evaluation",
              "renewal_confirm"}


def _timer_bounded(version: ProcessVersion) -> set[str]:
    """The ids of the elements a boundary timer is attached to."""
    root = parse_xml(version.bpmn_xml)
    return {event.get("attachedToRef") for event in root.iter(f"{BPMN}boundaryEvent")
            if event.find(f"{BPMN}timerEventDefinition") is not None}


def _actor(session, task: HumanTask) -> User:
    if task.assignee_id is not None:
        return session.get(User, task.assignee_id)
    return next(u for u in session.scalars(select(User).order_by(User.id)) if can_act(u, task))


def _own_pages(session, task: HumanTask) -> list[tuple[str, str]]:
    """The procedure's own pages where the task is found or done, and the deadline's wording there."""
    due = local(task.due_at)
    if task.bpmn_id == "confirm_availability":  # 我的选派 and the confirmation page
        return [("/assignment", f"请于 {due} 前答复"), (f"/assignment/engagements/{task.item_id}", f"请于 {due} 前答复")]
    if task.bpmn_id == "sign_commitment":  # 我的申请
        return [("/applications/mine", f"办理期限 {due}")]
    if task.process_key == "annual_evaluation":
        evaluation_id = evaluation_queries.evaluation_id_for_instance(session, task.instance_id)
        return [(f"/yearly/evaluations/{evaluation_id}", f"期限 {due}")]
    return []


def test_every_timer_bounded_task_shows_its_deadline(app, session):
    seed_world(session)
    bounded = {v.id: _timer_bounded(v) for v in session.scalars(select(ProcessVersion))}
    tasks = [t for t in session.scalars(select(HumanTask).where(HumanTask.state == "open").order_by(HumanTask.id))
             if t.bpmn_id in bounded[t.instance.version_id]]
    assert {t.bpmn_id for t in tasks} >= MUST_COVER, {t.bpmn_id for t in tasks}
    for task in tasks:
        assert task.due_at is not None, task.bpmn_id
        client = app.test_client()
        assert login(client, _actor(session, task).username).status_code == 302
        shown = local(task.due_at)
        assert shown in text_of(client.get("/tasks?per_page=100")), task.bpmn_id
        assert f"办理期限 {shown}" in text_of(client.get(f"/tasks/{task.id}")), task.bpmn_id
        for url, wording in _own_pages(session, task):
            response = client.get(url)
            assert response.status_code == 200 and wording in text_of(response), (task.bpmn_id, url, wording)
