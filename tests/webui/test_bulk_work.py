"""Bulk work in the inbox table (issue 15): "all matching" the filter is re-evaluated by the server with the
actor's visibility, capped; each item is its own unit of work; results by name with a retry of the failed ones;
the same through POST /api/v1/tasks/bulk; per-row facts respect Art 13 sealing."""

import re

import pytest

from engine.admission.models import Application
from engine.core.errors import Forbidden, ValidationFailed
from engine.core.inbox import InboxFilter
from engine.core.models import HumanTask
from engine.tasks import bulk
from engine.tasks import services as task_service
from tests.support import PASSWORD, T0, id_number, make_call, make_user
from tests.webui.test_ui_support import advance, client_for, open_task, submit, text_of

API = "/api/v1"


def _cases(session, users, n: int, step: str = "leader_approval", first: int = 0):
    call = make_call(session, title=f"征集{first}")
    cases = []
    for i in range(first, first + n):
        applicant = make_user(session, f"bulk_applicant_{i}", "applicant")
        application = submit(session, applicant, call, name=f"申请人{i:02d}", id_number=id_number(500 + i))
        cases.append((application, advance(session, users, application, step)))
    return cases


def _state(session, task_id: int) -> str:
    session.expire_all()
    return session.get(HumanTask, task_id).state


def _results(page: str) -> dict[int, bool]:
    return {int(i): ok == "true" for i, ok in re.findall(r'data-task-id="(\d+)" data-ok="(true|false)"', page)}


def _token(client, user) -> dict:
    response = client.post(f"{API}/auth/token", json={"username": user.username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_all_matching_is_evaluated_at_action_time_and_each_item_stands_alone(session, users):
    cases = _cases(session, users, 4)
    leader, other_leader = users["bureau_leader"], make_user(session, "leader2", "bureau_leader")
    review = open_task(session, submit(session, make_user(session, "bulk_x", "applicant"), make_call(session, title="二"),
                                       id_number=id_number(900)))
    (_, done_meanwhile), (_, claimed_by_other) = cases[1], cases[2]
    task_service.complete(session, done_meanwhile.id, other_leader, {"decision": "approve"}, {}, T0)
    task_service.claim(session, claimed_by_other.id, other_leader, T0)

    results = bulk.bulk_decide(session, leader, "leader_approval", {"decision": "approve", "comment": "同意"}, T0,
                               flt=InboxFilter())
    by_id = {r.task_id: r for r in results}
    assert set(by_id) == {cases[0][1].id, claimed_by_other.id, cases[3][1].id}  # the done one no longer matches
    assert not by_id[claimed_by_other.id].ok and "已被他人认领" in by_id[claimed_by_other.id].message
    assert by_id[cases[0][1].id].ok and by_id[cases[3][1].id].ok
    assert by_id[cases[0][1].id].subject.startswith("申请人00") and by_id[cases[0][1].id].step == "局领导批准"
    assert _state(session, claimed_by_other.id) == "open" and _state(session, review.id) == "open"
    assert open_task(session, cases[0][0]).bpmn_id == "record_document"


def test_the_selection_is_the_actors_own_visibility(session, users):
    (_, approval), = _cases(session, users, 1)
    review = open_task(session, submit(session, make_user(session, "bulk_y", "applicant"), make_call(session, title="三"),
                                       id_number=id_number(901)))
    # the same filter selects by who asks: the leader sees no 初审 task, the talent centre does
    assert bulk.select_matching(session, users["bureau_leader"], InboxFilter(), T0, "initial_review") == []
    assert bulk.select_matching(session, users["talent_center"], InboxFilter(), T0, "initial_review") == [review.id]
    both = make_user(session, "both", "bureau_leader", "talent_center", unit_code="prov_office")
    results = bulk.bulk_decide(session, both, "leader_approval", {"decision": "approve"}, T0, flt=InboxFilter())
    assert [r.task_id for r in results] == [approval.id]
    assert _state(session, review.id) == "open"
    with pytest.raises(Forbidden):  # no bulk capability for this form: nothing selected, nothing changed
        bulk.bulk_decide(session, users["talent_center"], "leader_approval", {"decision": "approve"}, T0,
                         flt=InboxFilter())
    assert _state(session, approval.id) == "done"


def test_a_selection_over_the_cap_is_refused_whole(session, users):
    cases = _cases(session, users, 3)
    with pytest.raises(ValidationFailed) as refused:
        bulk.bulk_decide(session, users["bureau_leader"], "leader_approval", {"decision": "approve"}, T0,
                         flt=InboxFilter(), cap=2)
    assert "共匹配 3 项" in refused.value.summary() and "上限 2 项" in refused.value.summary()
    assert all(_state(session, t.id) == "open" for _, t in cases)


def test_the_bar_rows_and_facts_on_the_inbox(app, session, users):
    (application, task), = _cases(session, users, 1)
    session.expire_all()
    session.get(Application, application.id)
    page = text_of(client_for(app, users["bureau_leader"]).get("/"))
    assert 'id="bulk-form"' in page and 'id="select-page"' in page and 'name="all_matching"' in page
    assert f'name="task_ids" value="{task.id}" form="bulk-form"' in page
    facts = page[page.index(f'id="facts-{task.id}"'):]
    facts = facts[:facts.index("</tr>")]
    assert "符合入库条件" in facts and "申请人00" in facts and "福建省产品质量检验研究院" in facts
    assert "人才开发中心初审" in facts and "质量监督处审核" in facts and "材料齐全" in facts  # earlier opinions
    assert 'id="kbd-help"' in page and "键盘快捷键" in page and "inbox-keys.js" in page
    assert 'id="bulk-form"' not in text_of(client_for(app, users["quality_division"]).get("/"))


def test_result_page_by_name_and_retry_of_the_failed(app, session, users):
    (_, t1), (_, t2) = _cases(session, users, 2)
    other_leader = make_user(session, "leader2", "bureau_leader")
    task_service.claim(session, t2.id, other_leader, T0)
    leader = client_for(app, users["bureau_leader"])
    page = text_of(leader.post("/tasks/bulk-approve", data={
        "task_ids": [str(t1.id), str(t2.id)], "leader_approval-comment": "同意入库"}))
    assert _results(page) == {t1.id: True, t2.id: False}
    assert "申请人00" in page and "申请人01" in page and "局领导批准" in page and "已被他人认领" in page
    retry = page[page.index('id="bulk-retry"'):]
    assert f'value="{t2.id}" id="retry_{t2.id}" checked' in retry and f'value="{t1.id}"' not in retry
    assert 'name="leader_approval-comment" value="同意入库"' in retry and "重试失败项" in retry
    task_service.unclaim(session, t2.id, other_leader, T0)
    again = text_of(leader.post("/tasks/bulk-approve", data={
        "task_ids": [str(t2.id)], "leader_approval-decision": "approve", "leader_approval-comment": "同意入库"}))
    assert _results(again) == {t2.id: True} and 'id="bulk-retry"' not in again
    session.expire_all()
    assert session.get(HumanTask, t2.id).completed_by == users["bureau_leader"].id


def test_all_matching_from_the_page_posts_the_filter_not_ids(app, session, users):
    cases = _cases(session, users, 2)
    leader = client_for(app, users["bureau_leader"])
    page = text_of(leader.post("/tasks/bulk-approve", data={
        "all_matching": "1", "f_process": "admission_public", "f_step": "leader_approval"}))
    assert _results(page) == {t.id: True for _, t in cases}
    empty = leader.post("/tasks/bulk-approve", data={"all_matching": "1", "f_step": "no_such_step"})
    assert empty.status_code == 302 and "step=no_such_step" in empty.headers["Location"]


def test_too_many_ids_are_refused_before_anything_changes(app, session, users):
    (_, task), = _cases(session, users, 1)
    ids = [str(task.id)] + [str(10_000 + i) for i in range(bulk.BULK_CAP)]
    response = client_for(app, users["bureau_leader"]).post("/tasks/bulk-approve", data={"task_ids": ids})
    assert response.status_code == 302
    assert _state(session, task.id) == "open"


def test_api_bulk_by_ids_and_by_filter(app, session, users):
    cases = _cases(session, users, 3)
    client = app.test_client()
    headers = _token(client, users["bureau_leader"])
    task_service.claim(session, cases[0][1].id, make_user(session, "leader2", "bureau_leader"), T0)
    response = client.post(f"{API}/tasks/bulk", headers=headers, json={
        "form_key": "leader_approval", "task_ids": [cases[0][1].id, cases[1][1].id], "decision": "approve",
        "comment": "同意"})
    body = response.get_json()
    assert response.status_code == 200 and body["done"] == 1 and body["failed"] == 1
    failed = next(i for i in body["items"] if not i["ok"])
    assert failed["task_id"] == cases[0][1].id and "已被他人认领" in failed["message"]
    assert failed["subject"].startswith("申请人00") and failed["step"] == "局领导批准"
    by_filter = client.post(f"{API}/tasks/bulk", headers=headers, json={
        "form_key": "leader_approval", "filter": {"bpmn_id": "leader_approval", "claimed": "unclaimed"},
        "decision": "approve"}).get_json()
    assert [i["task_id"] for i in by_filter["items"]] == [cases[2][1].id] and by_filter["done"] == 1


def test_api_bulk_refusals(app, session, users):
    (_, task), = _cases(session, users, 1)
    client = app.test_client()
    leader, center = _token(client, users["bureau_leader"]), _token(client, users["talent_center"])
    for body in ({}, {"form_key": "leader_approval"}, {"form_key": "leader_approval", "task_ids": "1"},
                 {"form_key": "leader_approval", "task_ids": [1], "filter": {}},
                 {"form_key": "leader_approval", "filter": {"nope": 1}},
                 {"form_key": "leader_approval", "filter": {"unit_id": 10 ** 12}},
                 {"form_key": "leader_approval", "filter": {"sort": "bogus"}},
                 {"form_key": "leader_approval", "filter": {"q": ["申请人"]}},
                 {"form_key": "leader_approval", "filter": {"follow_up": "later"}},
                 {"form_key": "no_such_form", "task_ids": [task.id]},
                 {"form_key": "leader_approval", "task_ids": list(range(1, bulk.BULK_CAP + 2))}):
        response = client.post(f"{API}/tasks/bulk", headers=leader, json=body)
        assert response.status_code == 422, (body, response.get_json())
    # the filter is the inbox's own: a search that matches nobody selects nothing (without q it would match the task)
    nobody = client.post(f"{API}/tasks/bulk", headers=leader, json={
        "form_key": "leader_approval", "filter": {"q": "查无此人"}, "decision": "approve"})
    assert nobody.status_code == 422 and "selection" in nobody.get_json()["error"]["fields"], nobody.get_json()
    forbidden = client.post(f"{API}/tasks/bulk", headers=center,
                            json={"form_key": "leader_approval", "task_ids": [task.id], "decision": "approve"})
    assert forbidden.status_code == 403
    assert _state(session, task.id) == "open"


def _facts_text(facts) -> str:
    return "\n".join(f"{f.unit} {f.title} {f.applicant} " + " ".join(f"{o.step} {o.actor} {o.decision} {o.comment}"
                                                                    for o in f.opinions) for f in facts.values())


def test_row_facts_keep_drawn_names_sealed(session, users):
    from sqlalchemy import select

    from engine.tasks.facts import row_facts
    from tests.assignment.test_sealed_walk import staffed_after_a_redraw

    world = staffed_after_a_redraw(session, users)
    rows = list(session.scalars(select(HumanTask).where(HumanTask.id.in_(world["tasks"]))))
    sealed = _facts_text(row_facts(session, users["bureau_leader"], rows))
    assert not [n for n in world["names"].values() if n in sealed], sealed
    unit = _facts_text(row_facts(session, users["using_unit"], rows))  # full access: the same read names them
    assert [n for n in world["names"].values() if n in unit]


def _inbox_queries(client) -> int:
    from sqlalchemy import event

    from webui.extensions import db

    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_row_facts_cost_the_same_queries_for_a_page_of_rows(app, session, users):
    _cases(session, users, 2)
    leader = client_for(app, users["bureau_leader"])
    few = _inbox_queries(leader)
    _cases(session, users, 8, first=2)
    page = text_of(leader.get("/"))
    assert page.count('class="facts-row"') == 10
    assert _inbox_queries(leader) == few  # no query per row: the facts are read for the page at once


def test_bulk_reject_needs_the_shared_reason_and_the_retry_form_lets_it_be_given(app, session, users):
    (a1, t1), (a2, t2) = _cases(session, users, 2)
    leader = client_for(app, users["bureau_leader"])
    ids = [str(t1.id), str(t2.id)]
    page = text_of(leader.post("/tasks/bulk-approve", data={"task_ids": ids, "leader_approval-decision": "reject"}))
    assert _results(page) == {t1.id: False, t2.id: False} and "意见" in page
    retry = page[page.index('id="bulk-retry"'):]
    assert retry.count("checked") == 2 and '<option value="reject" selected>' in retry
    again = text_of(leader.post("/tasks/bulk-approve", data={
        "task_ids": ids, "leader_approval-decision": "reject", "leader_approval-comment": "年龄不符合第六条"}))
    assert _results(again) == {t1.id: True, t2.id: True}
    session.expire_all()
    assert {session.get(Application, a.id).status for a in (a1, a2)} == {"rejected"}


def test_odd_bulk_posts_are_refused_cleanly(app, session, users):
    (_, task), = _cases(session, users, 1)
    leader = client_for(app, users["bureau_leader"])
    assert leader.post("/tasks/bulk-approve", data={"task_ids": ["9" * 40]}).status_code == 400  # at the door
    odd = leader.post("/tasks/bulk-approve", data={"all_matching": "1", "f_unit": "9" * 40, "f__external": "1",
                                                   "f__scheme": "x", "f_step": "none"})
    assert odd.status_code == 302 and odd.headers["Location"].startswith("/") and "step=none" in odd.headers["Location"]
    page = text_of(leader.post("/tasks/bulk-approve", data={"task_ids": [str(task.id), "2000000000"]}))
    assert _results(page) == {task.id: True, 2000000000: False} and "待办 #2000000000" in page
