"""系统管理 as an administrator uses it: create staff, change roles and unit, deactivate and reactivate, reset
passwords, unlock, units, the role list, and the account log auditors read. Refusals (stale form, last admin,
weak password, duplicates) change nothing."""

import re

from sqlalchemy import func, select

from engine.core.models import AuditEvent
from engine.platform.models import Unit, User
from tests.support import PASSWORD, UserClient, login

STRONG = "武夷山茶-质量-2026"


def _as(app, username: str, password: str = PASSWORD) -> UserClient:
    client = UserClient(app, app.response_class)
    assert login(client, username, password).status_code == 302
    return client


def _fingerprint(page: str) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)


def _user(session, username: str) -> User:
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


def test_admin_creates_a_staff_account_that_works_with_its_roles(app, session, users):
    admin = _as(app, "admin")
    made = admin.post("/admin/users/new", data={"username": "qd_chen", "display_name": "陈质量", "unit": "prov_quality",
                                                 "roles": ["quality_division"], "password": STRONG,
                                                 "email": "chen@example.test"})
    assert made.status_code == 302
    chen = _as(app, "qd_chen", STRONG)
    assert chen.get("/applications/invite").status_code == 200  # quality_division may invite (Art 6)
    assert chen.get("/admin/users").status_code == 403
    duplicate = admin.post("/admin/users/new", data={"username": "QD_CHEN", "display_name": "重名", "password": STRONG})
    assert duplicate.status_code == 422 and "该用户名已被使用" in duplicate.get_data(as_text=True)


def test_roles_and_unit_change_and_a_stale_form_is_refused(app, session, users):
    admin, target = _as(app, "admin"), users["talent_center"]
    page = admin.get(f"/admin/users/{target.id}").get_data(as_text=True)
    seen = _fingerprint(page)
    data = {"display_name": "人才中心-王", "unit": "prov_quality", "roles": ["quality_division"], "fingerprint": seen}
    assert admin.post(f"/admin/users/{target.id}", data=data).status_code == 302
    changed = _user(session, target.username)
    assert changed.roles == {"quality_division"} and changed.unit.code == "prov_quality"
    stale = admin.post(f"/admin/users/{target.id}", data=data | {"roles": ["admin"]})  # the old fingerprint
    assert stale.status_code == 409 and "已被他人修改" in stale.get_data(as_text=True)
    assert _user(session, target.username).roles == {"quality_division"}
    assert _as(app, target.username).get("/applications/paper").status_code == 403  # talent_center's page


def test_deactivation_ends_sessions_keeps_the_account_and_can_be_undone(app, session, users):
    admin, leader = _as(app, "admin"), _as(app, "leader")
    target = users["bureau_leader"]
    assert admin.post(f"/admin/users/{target.id}/active", data={"active": "0"}).status_code == 302
    assert leader.get("/tasks").status_code == 302  # the open session ended
    assert login(UserClient(app, app.response_class), "leader").status_code == 401
    assert _user(session, "leader") is not None  # never deleted
    assert admin.post(f"/admin/users/{target.id}/active", data={"active": "1"}).status_code == 302
    assert login(UserClient(app, app.response_class), "leader").status_code == 302


def test_the_last_active_admin_cannot_be_deactivated_or_lose_the_role(app, session, users):
    admin, me = _as(app, "admin"), users["admin"]
    page = admin.get(f"/admin/users/{me.id}").get_data(as_text=True)
    lose = admin.post(f"/admin/users/{me.id}", data={"display_name": "管理员", "roles": ["auditor"],
                                                     "fingerprint": _fingerprint(page)})
    assert lose.status_code == 409 and "最后一个启用的系统管理员" in lose.get_data(as_text=True)
    assert _user(session, "admin").roles == {"admin"}
    second = admin.post("/admin/users/new", data={"username": "admin2", "display_name": "副管理员",
                                                  "roles": ["admin"], "password": STRONG})
    assert second.status_code == 302
    other = _as(app, "admin2", STRONG)
    assert other.post(f"/admin/users/{me.id}/active", data={"active": "0"}).status_code == 302
    admin2 = _user(session, "admin2")
    last = other.post(f"/admin/users/{admin2.id}/active", data={"active": "0"})
    assert last.status_code == 409 and _user(session, "admin2").active


def test_reset_password_and_unlock(app, session, users):
    admin, target = _as(app, "admin"), users["quality_division"]
    weak = admin.post(f"/admin/users/{target.id}/password", data={"password": "12345"}, follow_redirects=True)
    assert "至少 10 位" in weak.get_data(as_text=True)
    assert login(UserClient(app, app.response_class), "qd_staff").status_code == 302  # unchanged
    for _ in range(5):
        login(UserClient(app, app.response_class), "qd_staff", "wrong-password")
    assert "解除锁定" in admin.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert admin.post(f"/admin/users/{target.id}/unlock").status_code == 302
    assert admin.post(f"/admin/users/{target.id}/password", data={"password": STRONG}).status_code == 302
    assert login(UserClient(app, app.response_class), "qd_staff", STRONG).status_code == 302


def test_units_roles_and_the_account_log(app, session, users):
    admin = _as(app, "admin")
    assert admin.post("/admin/units", data={"code": "np_test", "name": "南平测试局", "kind": "city"}).status_code == 302
    unit = session.scalar(select(Unit).where(Unit.code == "np_test"))
    renamed = admin.post("/admin/units", data={"unit_id": unit.id, "name": "南平市市场监督管理局（测试）", "kind": "city"})
    assert renamed.status_code == 302
    taken = admin.post("/admin/units", data={"code": "np_x", "name": "南平市市场监督管理局（测试）", "kind": "city"})
    assert taken.status_code == 422 and "已有同名单位" in taken.get_data(as_text=True)
    roles = admin.get("/admin/roles").get_data(as_text=True)
    assert "GRANT_DELEGATION" in roles and "人才开发中心" in roles
    log = _as(app, "auditor").get("/admin/log").get_data(as_text=True)
    assert log.count("保存单位") == 2 and "南平测试局" in log
    events = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "unit_saved"))
    assert events == 2
