"""我的通知 through the JSON API (/api/v1/notifications): a notification a real flow produced (an application
returned for correction → the applicant's 退回补正) is listed newest first with the unread count, filtered to the
unread ones, paged, marked read by id or all at once — and the page then shows it read. Nobody marks another's:
any id not the caller's is a 404 and nothing at all is marked."""

import pytest
from sqlalchemy import select

from engine.admission import services as admission
from engine.platform.models import Notification
from tests.admission.test_admission_paths import act
from tests.support import T0, api_headers, application_form, id_number, make_call, make_user
from tests.webui.test_ui_support import client_for, text_of

API = "/api/v1/notifications"
RETURN = {"decision": "return", "credit_checked": "on", "comment": "请补充职称证书"}


def _returned(session, applicant, reviewer, call, n: int = 1, paper: bool = False) -> Notification:
    """An application of `applicant` (paper: a 推荐表 they entered) returned by 初审 (the real flow): their 退回补正
    notification."""
    app = admission.submit_public(session, applicant, application_form(id_number=id_number(600 + n)), {}, T0,
                                  call.id, paper=paper)
    act(session, app.id, reviewer, RETURN, "initial_review")
    return session.scalars(select(Notification).where(Notification.user_id == applicant.id)
                           .order_by(Notification.id.desc())).first()


def _unread(session, note_id: int) -> bool:
    session.expire_all()
    return session.get(Notification, note_id).read_at is None


@pytest.fixture()
def returned(session, users):
    call = make_call(session)
    note = _returned(session, users["applicant"], users["talent_center"], call)
    other = make_user(session, "li_applicant", "applicant")
    foreign = _returned(session, other, users["talent_center"], call, n=2)
    return note, foreign, other


def test_a_returned_application_is_listed_marked_read_by_id_and_shown_read_on_the_page(app, session, users, returned):
    note, foreign, _ = returned
    api, me = app.test_client(), api_headers(app.test_client(), users["applicant"])
    listed = api.get(API, headers=me).get_json()
    assert listed["unread"] == 1 and listed["total"] == 1 and (listed["page"], listed["per_page"]) == (1, 50)
    item = listed["items"][0]
    assert item["id"] == note.id and "入库申请退回补正" in item["subject"] and "请补充职称证书" in item["body"]
    assert item["link"] == note.link and item["read"] is False and item["read_at"] is None
    assert foreign.id not in [i["id"] for i in listed["items"]]  # another applicant's stays theirs

    page = client_for(app, users["applicant"])
    assert f'list-group-item-warning" id="notification-{note.id}"' in text_of(page.get("/notifications"))
    answer = api.post(f"{API}/read", json={"ids": [note.id]}, headers=me)
    assert answer.status_code == 200 and answer.get_json() == {"marked": 1, "unread": 0}
    assert not _unread(session, note.id) and _unread(session, foreign.id)
    shown = text_of(page.get("/notifications"))
    assert f'<li class="list-group-item" id="notification-{note.id}">' in shown and "请补充职称证书" in shown
    assert api.get(f"{API}?unread=1", headers=me).get_json() == {"items": [], "total": 0, "page": 1,
                                                                 "per_page": 50, "unread": 0}
    again = api.post(f"{API}/read", json={"ids": [note.id]}, headers=me)
    assert again.status_code == 200 and again.get_json() == {"marked": 0, "unread": 0}  # already read: harmless
    read = api.get(API, headers=me).get_json()["items"][0]
    assert read["read"] is True and read["read_at"].startswith(T0.date().isoformat())


def test_another_users_id_is_404_and_nothing_is_marked(app, session, users, returned):
    note, foreign, other = returned
    api, me = app.test_client(), api_headers(app.test_client(), users["applicant"])
    for ids in ([foreign.id], [note.id, foreign.id], [note.id, 2_000_000_000]):
        answer = api.post(f"{API}/read", json={"ids": ids}, headers=me)
        assert answer.status_code == 404, ids
        assert "通知不存在" in answer.get_json()["error"]["message"]
        assert _unread(session, note.id) and _unread(session, foreign.id), ids
    reviewer = api_headers(app.test_client(), users["talent_center"])
    assert api.post(f"{API}/read", json={"ids": [note.id]}, headers=reviewer).status_code == 404
    assert api.post(f"{API}/read", json={"all": True}, headers=reviewer).get_json()["marked"] == 0
    assert _unread(session, note.id) and _unread(session, foreign.id)
    assert api.post(f"{API}/read", json={"all": True}, headers=api_headers(api, other)).get_json() == {
        "marked": 1, "unread": 0}
    assert _unread(session, note.id) and not _unread(session, foreign.id)


def test_newest_first_paged_unread_filter_and_mark_all(app, session, users):
    """Three paper 推荐表 entered by talent_center and returned by a colleague: the enterer hears of each."""
    call, entering = make_call(session), users["talent_center"]
    reviewer = make_user(session, "tc_colleague", "talent_center", unit_code="prov_talent")
    first, second, third = (_returned(session, entering, reviewer, call, n=n, paper=True) for n in (1, 2, 3))
    api, me = app.test_client(), api_headers(app.test_client(), entering)
    assert [i["id"] for i in api.get(API, headers=me).get_json()["items"]] == [third.id, second.id, first.id]
    paged = api.get(f"{API}?page=2&per_page=2", headers=me).get_json()
    assert [i["id"] for i in paged["items"]] == [first.id] and paged["total"] == 3 and paged["unread"] == 3
    assert api.post(f"{API}/read", json={"ids": [second.id, second.id]}, headers=me).get_json() == {
        "marked": 1, "unread": 2}
    unread = api.get(f"{API}?unread=true", headers=me).get_json()
    assert [i["id"] for i in unread["items"]] == [third.id, first.id] and unread["total"] == 2
    assert api.get(f"{API}?unread=0", headers=me).get_json()["total"] == 3
    assert api.post(f"{API}/read", json={"all": True}, headers=me).get_json() == {"marked": 2, "unread": 0}
    assert "list-group-item-warning" not in text_of(client_for(app, entering).get("/notifications"))


@pytest.mark.parametrize(("body", "field", "message"), [
    ({}, "ids", "二者取一"),
    ({"ids": [1], "all": True}, "ids", "二者取一"),
    ({"all": False}, "all", "只能为 true"),
    ({"ids": []}, "ids", "1 到 200 个"),
    ({"ids": "1"}, "ids", "数组"),
    ({"ids": list(range(1, 202))}, "ids", "1 到 200 个"),
    ({"ids": [True]}, "ids", "正整数"),
    ({"ids": ["1"]}, "ids", "正整数"),
    ({"ids": [0]}, "ids", "正整数"),
    ({"ids": [2**31]}, "ids", "正整数"),
])
def test_a_bad_mark_request_is_422_in_chinese_and_marks_nothing(app, session, users, returned, body, field, message):
    note = returned[0]
    api = app.test_client()
    answer = api.post(f"{API}/read", json=body, headers=api_headers(api, users["applicant"]))
    assert answer.status_code == 422 and message in answer.get_json()["error"]["fields"][field]
    assert _unread(session, note.id)


def test_bad_list_arguments_and_bodies_and_no_token(app, session, users):
    api = app.test_client()
    me = api_headers(api, users["applicant"])
    for query, field in (("unread=maybe", "unread"), ("page=0", "page"), ("per_page=201", "per_page")):
        answer = api.get(f"{API}?{query}", headers=me)
        assert answer.status_code == 422 and field in answer.get_json()["error"]["fields"], query
    answer = api.post(f"{API}/read", data="ids=1", headers=me)
    assert answer.status_code == 400 and "JSON" in answer.get_json()["error"]["message"]
    assert api.get(API).status_code == 401 and api.post(f"{API}/read", json={"all": True}).status_code == 401
