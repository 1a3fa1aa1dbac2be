"""Sessions held on the server: logout ends a session for good (a saved cookie stops working), a password
change ends the user's other sessions and tokens, a user sees and ends their own sessions and tokens (never
another's), and the password policy refuses weak passwords without changing anything."""

from sqlalchemy import select

from engine.platform.models import UserSession
from tests.support import PASSWORD, UserClient, login

API = "/api/v1"
NEW = "春江潮水连海平-2026"


def _client(app, username: str) -> UserClient:
    client = UserClient(app, app.response_class)
    assert login(client, username).status_code == 302
    return client


def _logged_in(client) -> bool:
    response = client.get("/tasks")
    return response.status_code == 200  # else 302 to the login page


def _token(client, username: str, password: str = PASSWORD) -> str:
    return client.post(f"{API}/auth/token", json={"username": username, "password": password}).get_json()["token"]


def _api_ok(client, token: str) -> bool:
    return client.get(f"{API}/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_saved_cookie_does_not_work_after_logout(app, users):
    client = _client(app, "tc_staff")
    saved = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    replay = UserClient(app, app.response_class)
    replay.set_cookie("session", saved)
    assert not _logged_in(replay)
    assert replay.get("/tasks").headers["Location"].startswith("/login")


def test_changing_my_password_ends_my_other_sessions_and_tokens(app, session, users):
    mine, other = _client(app, "qd_staff"), _client(app, "qd_staff")
    token = _token(other, "qd_staff")
    assert _logged_in(other) and _api_ok(other, token)
    changed = mine.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW,
                                                   "confirm_password": NEW})
    assert changed.status_code == 302
    assert _logged_in(mine)  # the session that changed it stays
    assert not _logged_in(other) and not _api_ok(other, token)
    assert login(UserClient(app, app.response_class), "qd_staff").status_code == 401  # the old one is gone
    assert login(UserClient(app, app.response_class), "qd_staff", NEW).status_code == 302


def test_a_weak_or_mistyped_new_password_is_refused_and_nothing_changes(app, users):
    client = _client(app, "tc_staff")
    cases = [({"current_password": "wrong-one-123", "new_password": NEW, "confirm_password": NEW}, "当前密码不正确"),
             ({"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"}, "至少 10 位"),
             ({"current_password": PASSWORD, "new_password": "1234567890", "confirm_password": "1234567890"},
              "过于常见"),
             ({"current_password": PASSWORD, "new_password": "tc_staff-2026!", "confirm_password": "tc_staff-2026!"},
              "不能包含用户名"),
             ({"current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW + "x"}, "不一致")]
    for data, message in cases:
        response = client.post("/account/password", data=data)
        assert response.status_code == 422 and message in response.get_data(as_text=True), message
    assert login(UserClient(app, app.response_class), "tc_staff").status_code == 302  # unchanged


def test_i_see_and_end_my_own_sessions_and_tokens_but_not_anothers(app, session, users):
    laptop, office = _client(app, "leader"), _client(app, "leader")
    token = _token(office, "leader")
    page = laptop.get("/account").get_data(as_text=True)
    assert page.count("本次登录") == 1 and "撤销" in page
    rows = session.scalars(select(UserSession).where(UserSession.user_id == users["bureau_leader"].id,
                                                     UserSession.ended_at.is_(None))).all()
    assert len(rows) == 2
    stranger = _client(app, "auditor")
    for row in rows:
        assert stranger.post(f"/account/sessions/{row.id}/revoke").status_code == 404
    assert _logged_in(office)
    office_row = next(r for r in rows if f"/account/sessions/{r.id}/revoke" in page)
    assert laptop.post(f"/account/sessions/{office_row.id}/revoke").status_code == 302
    assert not _logged_in(office) and _logged_in(laptop)
    form = laptop.get("/account").get_data(as_text=True)
    token_path = form.split('action="/account/tokens/')[1].split('"')[0]
    assert stranger.post(f"/account/tokens/{token_path}").status_code == 404
    assert laptop.post(f"/account/tokens/{token_path}").status_code == 302 and not _api_ok(laptop, token)
