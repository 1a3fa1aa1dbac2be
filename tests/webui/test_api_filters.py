"""Saved inbox filters through the JSON API (/api/v1/filters): created (a query string or an object of the same
keys, checked strictly by the inbox's own parser), renamed and deleted by their owner only, under the page's
limits (20 per user, names of at most 30 characters, unique per user) — and what the API saves is what the
inbox page's sidebar shows, with its live count."""

import re

import pytest
from sqlalchemy import func, select

from engine.core.errors import ValidationFailed
from engine.core.models import SavedFilter
from engine.tasks import inbox_prefs
from tests.support import T0, api_headers, make_user
from tests.webui.test_inbox_search import _three_applications
from tests.webui.test_ui_support import client_for, text_of

API = "/api/v1/filters"


def _saved(session) -> list[tuple[int, str, str]]:
    session.expire_all()
    return [(f.user_id, f.name, f.query) for f in session.scalars(select(SavedFilter).order_by(SavedFilter.id))]


def _sidebar(client) -> dict[str, int]:
    """The inbox page's saved filters: name → the count badge beside it."""
    page = text_of(client.get("/tasks"))
    found = re.findall(r'saved-filter-link" href="[^"]*">([^<]+)</a>\s*'
                       r'<span class="badge bg-secondary float-end saved-filter-count">(\d+)</span>', page)
    return {name: int(count) for name, count in found}


def test_a_filter_created_by_the_api_is_in_the_sidebar_with_its_live_count(app, session, users):
    _three_applications(session, users)
    api, tc = app.test_client(), users["talent_center"]
    me = api_headers(api, tc)
    made = api.post(API, json={"name": "  厦门 张伟 ", "query": "q=张伟&sort=-due&page=3"}, headers=me)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["name"] == "厦门 张伟" and body["query"] == "q=%E5%BC%A0%E4%BC%9F&sort=-due"
    by_keys = api.post(API, json={"name": "未认领的风险监测", "filter": {"claimed": "unclaimed", "overdue": False,
                                                                      "per_page": 20}}, headers=me)
    assert by_keys.status_code == 201 and by_keys.get_json()["query"] == "claimed=unclaimed&per_page=20"

    page = client_for(app, tc)
    assert _sidebar(page) == {"厦门 张伟": 1, "未认领的风险监测": 3}
    listed = api.get(API, headers=me).get_json()["items"]
    assert [(i["id"], i["count"]) for i in listed] == [(body["id"], 1), (by_keys.get_json()["id"], 3)]

    renamed = api.patch(f"{API}/{body['id']}", json={"name": "张伟"}, headers=me)
    assert renamed.status_code == 200 and renamed.get_json() == {"id": body["id"], "name": "张伟",
                                                                  "query": body["query"]}
    assert _sidebar(page) == {"张伟": 1, "未认领的风险监测": 3}
    gone = api.delete(f"{API}/{body['id']}", headers=me)
    assert gone.status_code == 200 and gone.get_json() == {"id": body["id"], "name": "张伟", "deleted": True}
    assert _sidebar(page) == {"未认领的风险监测": 3}
    assert api.delete(f"{API}/{body['id']}", headers=me).status_code == 404


@pytest.mark.parametrize(("body", "fields"), [
    ({"name": "坏的", "query": "sort=sideways&per_page=7&unit=x&claimed=all&follow_up=later&page=0"},
     {"sort": "未知的排序方式", "per_page": "每页条数只能是", "unit_id": "单位应为正整数", "claimed": "claimed 只能取",
      "follow_up": "跟进筛选只能取", "page": "页码应为正整数"}),
    ({"name": "坏的", "query": "q=张伟&evil=1"}, {"evil": "未知的筛选条件“evil”"}),
    ({"name": "坏的", "filter": {"sort": "sideways", "evil": 1}}, {"sort": "未知的排序方式", "evil": "未知的筛选条件"}),
    ({"name": "", "query": "sort=sideways"}, {"name": "请填写筛选名称", "sort": "未知的排序方式"}),  # all at once
    ({"name": "名" * 31}, {"name": "不能超过 30 个字"}),
    ({"name": "a\x07b"}, {"name": "控制字符"}),
    ({"name": 7}, {"name": "应为字符串"}),
    ({"name": "坏的", "query": ["q=1"]}, {"query": "应为字符串"}),
    ({"name": "坏的", "query": "q=1", "filter": {"q": "1"}}, {"query": "只能提供其一"}),
    ({"name": "坏的", "filter": {"q": ["1"]}}, {"filter": "JSON 对象"}),
    ({"name": "坏的", "filter": "q=1"}, {"filter": "JSON 对象"}),
    ({"name": "坏的", "query": "process=" + "x" * 1001}, {"query": "筛选条件过长"}),
    ({"name": "坏的", "query": "&".join(f"k{i}=1" for i in range(2000))}, {"query": "筛选条件过长"}),
])
def test_bad_criteria_or_names_are_422_with_field_messages_and_nothing_is_saved(app, session, users, body, fields):
    api = app.test_client()
    answer = api.post(API, json=body, headers=api_headers(api, users["talent_center"]))
    assert answer.status_code == 422, answer.get_json()
    got = answer.get_json()["error"]["fields"]
    assert set(got) == set(fields), got
    for field, message in fields.items():
        assert message in got[field], (field, got[field])
    assert _saved(session) == []


def test_the_page_limits_hold_twenty_per_user_and_unique_names(app, session, users):
    api, tc = app.test_client(), users["talent_center"]
    me = api_headers(api, tc)
    for i in range(inbox_prefs.MAX_FILTERS):
        assert api.post(API, json={"name": f"筛选{i}", "query": f"q={i}"}, headers=me).status_code == 201
    full = api.post(API, json={"name": "第二十一个"}, headers=me)
    assert full.status_code == 422 and "最多只能保存 20 个筛选" in full.get_json()["error"]["fields"]["name"]
    assert api.delete(f"{API}/{_first_id(session, tc)}", headers=me).status_code == 200
    twin = api.post(API, json={"name": "筛选1"}, headers=me)
    assert twin.status_code == 422 and "已有名为“筛选1”的筛选" in twin.get_json()["error"]["fields"]["name"]
    clash = api.patch(f"{API}/{_first_id(session, tc)}", json={"name": " 筛选2 "}, headers=me)
    assert clash.status_code == 422 and "已有名为“筛选2”" in clash.get_json()["error"]["fields"]["name"]
    assert api.post(API, json={"name": "第二十个"}, headers=me).status_code == 201
    assert len(_saved(session)) == 20 and "第二十一个" not in {name for _, name, _ in _saved(session)}
    other = api_headers(api, users["quality_division"])
    assert api.post(API, json={"name": "筛选1"}, headers=other).status_code == 201  # names are per user


def _first_id(session, user) -> int:
    return session.scalar(select(func.min(SavedFilter.id)).where(SavedFilter.user_id == user.id))


def test_only_the_owner_renames_or_deletes_another_users_is_404_and_unchanged(app, session, users):
    api = app.test_client()
    mine = api.post(API, json={"name": "我的", "query": "overdue=1"}, headers=api_headers(api, users["talent_center"]))
    saved_id, before = mine.get_json()["id"], _saved(session)
    intruder = api_headers(api, make_user(session, "tc_other", "talent_center", unit_code="prov_talent"))
    for answer in (api.patch(f"{API}/{saved_id}", json={"name": "改名"}, headers=intruder),
                   api.patch(f"{API}/{saved_id}", json={"name": ""}, headers=intruder),
                   api.delete(f"{API}/{saved_id}", headers=intruder)):
        assert answer.status_code == 404 and answer.get_json()["error"]["message"] == "该筛选不存在"
    assert api.get(API, headers=intruder).get_json()["items"] == []
    assert _saved(session) == before
    assert api.patch(f"{API}/{saved_id}", json={"name": "x"}).status_code == 401
    assert api.post(API, json={"name": "x"}).status_code == 401 and _saved(session) == before


def test_bad_bodies_are_400_in_chinese(app, session, users):
    api = app.test_client()
    me = api_headers(api, users["talent_center"])
    for answer in (api.post(API, data="name=x", headers=me), api.post(API, json=["x"], headers=me),
                   api.patch(f"{API}/1", data="name=x", headers=me)):
        assert answer.status_code == 400 and "JSON 对象" in answer.get_json()["error"]["message"]
    assert _saved(session) == []


def test_strict_is_the_apis_the_page_still_drops_a_bad_criterion(session, users):
    tc = users["talent_center"]
    with pytest.raises(ValidationFailed) as refused:
        inbox_prefs.create_filter(session, tc, "坏的", "sort=sideways", T0, strict=True)
    assert set(refused.value.errors) == {"sort"}
    kept = inbox_prefs.create_filter(session, tc, "宽松", "sort=sideways&q=张伟", T0)
    assert kept.query == "q=%E5%BC%A0%E4%BC%9F"
