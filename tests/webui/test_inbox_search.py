"""Inbox search (issue 15): q= over names, ID numbers (hashed, shown masked), units, groups and titles; sorts;
page sizes; saved filters (owner-only, counted); private follow-up dates; the cheap count — page and API."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from engine.core import inbox_index
from engine.core.errors import ValidationFailed
from engine.core.models import HumanTask, SavedFilter, TaskFollowUp
from engine.exit import services as exit_services
from engine.platform.attachments import Upload
from engine.tasks import inbox_prefs
from tests.assignment_support import create, engagements, make_pool, open_tasks, user_of
from tests.experts.roster_support import expert_user, make_expert
from tests.support import PASSWORD, T0, id_number, make_call, make_user
from tests.webui.test_ui_support import client_for, submit, text_of
from webui.tasks.cli import inbox_reindex_command

API = "/api/v1"
EVIDENCE = Upload("证据.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
ZHANG_ID = id_number(501, region="350203")  # 厦门市思明区, born 1975-06-18 as the form says


def _bearer(app, user) -> dict:
    response = app.test_client().post(f"{API}/auth/token", json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _three_applications(session, users):
    """Three real 推荐表 waiting for 初审: 张伟 (his own ID number, unit), 李娜 and 王芳."""
    call = make_call(session)
    zhang = submit(session, users["applicant"], call, name="张伟", id_number=ZHANG_ID, unit_name="厦门市计量检定测试院")
    li = submit(session, make_user(session, "li", "applicant"), call, name="李娜", id_number=id_number(502))
    wang = submit(session, make_user(session, "wang", "applicant"), call, name="王芳", id_number=id_number(503),
                  groups=["risk_monitoring"])
    return zhang, li, wang


def _subjects(response) -> list[str]:
    return [item["subject"].split(" — ")[0] for item in response.get_json()["items"]]


def test_the_row_keeps_search_facts_and_only_a_keyed_hash_of_the_id_number(session, users):
    zhang, _, _ = _three_applications(session, users)
    row = session.scalars(select(HumanTask).where(HumanTask.instance_id == zhang.instance_id)).one()
    assert "张伟" in row.search_text and "厦门市计量检定测试院" in row.search_text
    assert row.unit_name == "厦门市计量检定测试院"
    assert row.id_number_masked == ZHANG_ID[:4] + "*" * 10 + ZHANG_ID[-4:]
    assert ZHANG_ID not in row.search_text and ZHANG_ID not in (row.id_number_hash or "")
    assert row.id_number_hash == inbox_index.id_hash(ZHANG_ID)
    # the backfill recomputes exactly what the sync stored
    before = (row.search_text, row.id_number_hash, row.unit_name)
    row.search_text = row.id_number_hash = row.unit_name = None
    session.commit()
    assert inbox_index.reindex(session, only_missing=True) == 1  # the one row emptied above
    session.commit()
    assert (row.search_text, row.id_number_hash, row.unit_name) == before


def test_api_q_finds_by_name_unit_group_and_full_id_number(app, session, users):
    _three_applications(session, users)
    tc = _bearer(app, users["talent_center"])
    client = app.test_client()
    assert _subjects(client.get(f"{API}/tasks?q=张伟", headers=tc)) == ["张伟"]
    assert _subjects(client.get(f"{API}/tasks?q={quote('厦门市计量')}", headers=tc)) == ["张伟"]
    assert _subjects(client.get(f"{API}/tasks?q={ZHANG_ID}", headers=tc)) == ["张伟"]
    assert _subjects(client.get(f"{API}/tasks?q={ZHANG_ID.lower()}", headers=tc)) == ["张伟"]
    assert _subjects(client.get(f"{API}/tasks?q={ZHANG_ID[:-1]}0", headers=tc)) == []  # another number
    assert _subjects(client.get(f"{API}/tasks?q=%E6%9D%8E%E5%A8%9C+%E7%A6%8F%E5%BB%BA", headers=tc)) == ["李娜"]
    assert set(_subjects(client.get(f"{API}/tasks?q=风险监控组", headers=tc))) == {"张伟", "李娜", "王芳"}
    assert _subjects(client.get(f"{API}/tasks?q=%25", headers=tc)) == []  # LIKE wildcards are literal
    item = client.get(f"{API}/tasks?q=张伟", headers=tc).get_json()["items"][0]
    assert item["id_number_masked"].startswith(ZHANG_ID[:4]) and ZHANG_ID not in str(item)
    # the search never widens what a user sees
    assert client.get(f"{API}/tasks?q=张伟", headers=_bearer(app, users["quality_division"])).get_json()["total"] == 0


def test_api_sorts_page_sizes_and_refuses_unknown_ones(app, session, users):
    _three_applications(session, users)
    tc, client = _bearer(app, users["talent_center"]), app.test_client()
    by_subject = _subjects(client.get(f"{API}/tasks?sort=subject", headers=tc))
    assert by_subject == sorted(by_subject) and len(by_subject) == 3
    assert _subjects(client.get(f"{API}/tasks?sort=-subject", headers=tc)) == by_subject[::-1]
    ascending = _subjects(client.get(f"{API}/tasks?sort=unit", headers=tc))
    descending = _subjects(client.get(f"{API}/tasks?sort=-unit", headers=tc))
    assert "张伟" in (ascending[0], ascending[-1])  # the only other unit sorts to one end …
    assert (ascending[0] == "张伟") != (descending[0] == "张伟")  # … and to the other end reversed
    assert client.get(f"{API}/tasks?per_page=20", headers=tc).get_json()["per_page"] == 20
    for bad in ("sort=random", "per_page=30", "follow_up=soon", "sort=-"):
        response = client.get(f"{API}/tasks?{bad}", headers=tc)
        assert response.status_code == 422, bad
        assert response.get_json()["error"]["fields"], bad


def test_page_search_shows_masked_id_and_falls_back_on_bad_sort(app, session, users):
    _three_applications(session, users)
    tc = client_for(app, users["talent_center"])
    page = text_of(tc.get(f"/tasks?q={ZHANG_ID}"))
    assert page.count('data-task-id="') == 1 and "张伟" in page
    table = re.sub(r"<[^>]+>", " ", page[page.index("<tbody>"):page.index("</tbody>")])  # the text shown
    assert ZHANG_ID[:4] + "**********" + ZHANG_ID[-4:] in table and ZHANG_ID not in table  # only what was typed
    bad = text_of(tc.get("/tasks?sort=bogus&per_page=7"))
    assert "未知的排序方式" in bad and "每页条数只能是 20、50、100" in bad and bad.count('data-task-id="') == 3
    sorted_page = text_of(tc.get("/tasks?sort=-subject"))
    assert 'aria-sort="descending"' in sorted_page
    names = [n for n in ("王芳", "李娜", "张伟") if n in sorted_page]
    assert sorted(names, key=sorted_page.index) == sorted(["王芳", "李娜", "张伟"], reverse=True)


def test_assignment_tasks_are_found_by_title_and_unit_but_not_by_drawn_names(app, session, users):
    make_pool(session, 8)
    request = create(session, users["using_unit"], title="2026年电线电缆产品监督抽查")
    confirm = open_tasks(session, request, "confirm_availability")
    assert confirm and all("电线电缆产品监督抽查" in t.search_text for t in confirm)
    expert_user = user_of(session, engagements(session, request.id)[0])
    drawn = {user_of(session, e).display_name for e in engagements(session, request.id)}
    assert not any(name in t.search_text for t in confirm for name in drawn)  # Art 13: drawn names stay sealed
    mine = app.test_client().get(f"{API}/tasks?q=电线电缆", headers=_bearer(app, expert_user)).get_json()
    assert mine["total"] == 1 and mine["items"][0]["unit_name"]


def test_saved_filters_owner_only_counted_and_validated(app, session, users):
    _three_applications(session, users)
    tc = client_for(app, users["talent_center"])
    response = tc.post("/tasks/filters", data={"name": "  厦门 张伟 ", "query": "q=张伟&sort=-due&page=3&evil=1"})
    assert response.status_code == 302
    saved = session.scalars(select(SavedFilter)).one()
    assert saved.name == "厦门 张伟" and saved.query == "q=%E5%BC%A0%E4%BC%9F&sort=-due"
    assert response.headers["Location"].endswith("/tasks?" + saved.query)
    page = text_of(tc.get("/tasks"))
    assert 'class="badge bg-secondary float-end saved-filter-count">1<' in page and "厦门 张伟" in page

    for name, message in (("", "请填写筛选名称"), ("厦门 张伟", "已有名为"), ("名" * 31, "不能超过 30 个字"), ("a\u200bb\x07", "控制字符")):
        shown = text_of(tc.post("/tasks/filters", data={"name": name, "query": ""}, follow_redirects=True))
        assert message in shown, name
    assert session.scalars(select(SavedFilter)).all() == [saved]

    other = make_user(session, "tc_other", "talent_center", unit_code="prov_talent")
    intruder = client_for(app, other)
    assert intruder.post(f"/tasks/filters/{saved.id}/rename", data={"name": "mine"}).status_code == 404
    assert intruder.post(f"/tasks/filters/{saved.id}/delete").status_code == 404
    assert app.test_client().get(f"{API}/filters", headers=_bearer(app, other)).get_json()["items"] == []
    listed = app.test_client().get(f"{API}/filters", headers=_bearer(app, users["talent_center"])).get_json()
    assert listed["items"] == [{"id": saved.id, "name": "厦门 张伟", "query": saved.query, "count": 1}]

    assert tc.post(f"/tasks/filters/{saved.id}/rename", data={"name": "张伟"}).status_code == 302
    session.expire_all()
    assert session.get(SavedFilter, saved.id).name == "张伟"
    assert tc.post(f"/tasks/filters/{saved.id}/delete").status_code == 302
    assert session.scalars(select(SavedFilter)).all() == []


def test_at_most_twenty_filters_per_user(session, users):
    for i in range(inbox_prefs.MAX_FILTERS):
        inbox_prefs.create_filter(session, users["talent_center"], f"筛选{i}", f"q={i}", T0)
    with pytest.raises(ValidationFailed) as refused:
        inbox_prefs.create_filter(session, users["talent_center"], "第二十一个", "", T0)
    assert "最多只能保存 20 个筛选" in refused.value.errors["name"]
    assert len(session.scalars(select(SavedFilter)).all()) == 20
    inbox_prefs.create_filter(session, users["quality_division"], "筛选0", "", T0)  # names are per user


def test_follow_up_dates_are_private_filterable_and_sortable(app, session, users):
    zhang, li, _ = _three_applications(session, users)
    tc_user = users["talent_center"]
    tc, client = _bearer(app, tc_user), app.test_client()
    task_of = {a.name: session.scalars(select(HumanTask.id).where(HumanTask.instance_id == a.instance_id)).one()
               for a in (zhang, li)}
    today = T0.date()  # 09:00 in Fuzhou: the same calendar day
    put = client.put(f"{API}/tasks/{task_of['张伟']}/follow-up", headers=tc, json={"follow_up_on": today.isoformat()})
    assert put.status_code == 200 and put.get_json()["follow_up_on"] == today.isoformat()
    later = (today + timedelta(days=3)).isoformat()
    assert client.put(f"{API}/tasks/{task_of['李娜']}/follow-up", headers=tc, json={"follow_up_on": later}).status_code == 200
    for body, message in (({"follow_up_on": "2026-13-01"}, "格式"), ({"follow_up_on": "2020-01-01"}, "不能早于今天"), ({}, "格式")):
        refused = client.put(f"{API}/tasks/{task_of['李娜']}/follow-up", headers=tc, json=body)
        assert refused.status_code == 422 and message in refused.get_json()["error"]["fields"]["follow_up_on"]
    assert _subjects(client.get(f"{API}/tasks?follow_up=today", headers=tc)) == ["张伟"]
    assert _subjects(client.get(f"{API}/tasks?follow_up=due", headers=tc)) == ["张伟"]
    assert _subjects(client.get(f"{API}/tasks?follow_up=set&sort=-follow_up", headers=tc)) == ["李娜", "张伟"]
    assert _subjects(client.get(f"{API}/tasks?sort=follow_up", headers=tc))[:2] == ["张伟", "李娜"]  # unset last
    items = client.get(f"{API}/tasks?q=李娜", headers=tc).get_json()["items"]
    assert items[0]["follow_up_on"] == later
    assert client.get(f"{API}/tasks/count", headers=tc).get_json() == {"total": 3, "overdue": 0, "follow_up_due": 1}

    colleague = make_user(session, "tc_two", "talent_center", unit_code="prov_talent")
    other = _bearer(app, colleague)
    assert client.get(f"{API}/tasks?follow_up=set", headers=other).get_json()["total"] == 0  # private
    qd = _bearer(app, users["quality_division"])
    assert client.put(f"{API}/tasks/{task_of['张伟']}/follow-up", headers=qd,
                      json={"follow_up_on": later}).status_code == 403  # not a task of theirs
    assert client.delete(f"{API}/tasks/{task_of['张伟']}/follow-up", headers=tc).get_json()["removed"] is True
    assert session.scalars(select(TaskFollowUp.task_id)).all() == [task_of["李娜"]]


def test_follow_up_on_the_task_page_and_the_sidebar(app, session, users):
    zhang, _, _ = _three_applications(session, users)
    task_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == zhang.instance_id)).one()
    tc = client_for(app, users["talent_center"])
    assert 'id="follow-up-form"' in text_of(tc.get(f"/tasks/{task_id}"))
    response = tc.post(f"/tasks/{task_id}/follow-up", data={"follow_up_on": T0.date().isoformat()})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task_id}")
    page = text_of(tc.get("/tasks?follow_up=today"))
    assert page.count('data-task-id="') == 1 and "张伟" in page and "待跟进" in page
    html = tc.get("/tasks").get_data(as_text=True)
    sidebar = dict(re.findall(r'follow_up=(due|today)">[^<]+<span class="badge[^"]*">(\d+)</span>', html))
    assert sidebar == {"due": "1", "today": "1"}  # the sidebar's counts of the user's own follow-ups
    assert "已清除跟进日期" in text_of(tc.post(f"/tasks/{task_id}/follow-up", data={"clear": "1"},
                                              follow_redirects=True))
    assert text_of(tc.get("/tasks?follow_up=today")).count('data-task-id="') == 0


def test_the_page_count_route_answers_json(app, session, users):
    _three_applications(session, users)
    response = client_for(app, users["talent_center"]).get("/tasks/count")
    assert response.is_json and response.get_json()["total"] == 3
    assert client_for(app).get("/tasks/count").status_code == 302  # login first


def test_the_reindex_command_fills_rows_left_empty(app, session, users):
    zhang, _, _ = _three_applications(session, users)
    session.execute(HumanTask.__table__.update().values(search_text=None, id_number_hash=None, unit_name=None))
    session.commit()
    assert app.test_client().get(f"{API}/tasks?q=张伟", headers=_bearer(app, users["talent_center"])).get_json()["total"] == 0
    result = app.test_cli_runner().invoke(inbox_reindex_command, ["--missing-only"])
    assert result.exit_code == 0 and "已重建 3 条" in result.output
    found = app.test_client().get(f"{API}/tasks?q={ZHANG_ID}", headers=_bearer(app, users["talent_center"])).get_json()
    assert [i["instance_id"] for i in found["items"]] == [zhang.instance_id]


def test_an_exit_case_is_found_by_the_experts_name_unit_and_id_number(app, session, users):
    expert = make_expert(session, "陈立新", user=expert_user(session, "chenlixin"))
    raw = {"expert_id": str(expert.id), "ground": "art15_4", "facts": "接受被检查企业宴请，有照片为证"}
    case = exit_services.start_exit(session, users["talent_center"], raw, {"evidence": [EVIDENCE]}, T0)
    row = session.scalars(select(HumanTask).where(HumanTask.instance_id == case.instance_id,
                                                  HumanTask.state == "open")).one()
    assert row.unit_name == expert.unit_name and row.id_number_masked == inbox_index.mask(expert.id_number)
    reviewer = _bearer(app, users["talent_center"])
    for q in ("陈立新", expert.id_number, expert.unit_name[:4]):
        found = app.test_client().get(f"{API}/tasks", query_string={"q": q}, headers=reviewer).get_json()
        assert row.id in [i["id"] for i in found["items"]], q
