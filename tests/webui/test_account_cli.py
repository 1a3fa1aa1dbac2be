"""A fresh install's first administrator comes from `expertpool create-user`; `set-password` and `unlock`
recover an account. Each refuses bad input with reasons and changes nothing; each change is audited."""

from sqlalchemy import func, select

from engine.core.models import AuditEvent
from engine.platform.models import User
from tests.support import PASSWORD, UserClient, login
from webui.auth.cli import create_user_command, set_password_command, unlock_command

STRONG = "闽江夜色-Admin-2026"


def _events(session, action: str) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_the_first_administrator_is_created_from_the_cli_and_can_log_in(app, session):
    runner = app.test_cli_runner()
    made = runner.invoke(create_user_command, ["chief", "--name", "系统管理员", "--role", "admin", "--unit",
                                               "prov_office", "--email", "chief@example.test"], input=f"{STRONG}\n{STRONG}\n")
    assert made.exit_code == 0, made.output
    session.expire_all()
    chief = session.scalar(select(User).where(User.username == "chief"))
    assert chief.roles == {"admin"} and chief.unit.code == "prov_office" and _events(session, "user_created") == 1
    client = UserClient(app, app.response_class)
    assert login(client, "chief", STRONG).status_code == 302


def test_create_user_refuses_bad_input_with_every_reason_and_saves_nothing(app, session, users):
    runner = app.test_cli_runner()
    bad = runner.invoke(create_user_command, ["tc_staff", "--name", "重名", "--role", "wizard", "--unit", "mars",
                                              "--password", "1234567890"])
    assert bad.exit_code == 1
    for reason in ("该用户名已被使用", "未知角色：wizard", "未知单位：mars", "过于常见"):
        assert reason in bad.output, bad.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(User)) == len(users)
    assert _events(session, "user_created") == 0


def test_set_password_ends_sessions_and_unlock_lifts_a_lock_out(app, session, users):
    client = UserClient(app, app.response_class)
    assert login(client, "qd_staff").status_code == 302
    runner = app.test_cli_runner()
    weak = runner.invoke(set_password_command, ["qd_staff", "--password", "qd_staff123456"])
    assert weak.exit_code == 1 and "不能包含用户名" in weak.output
    assert client.get("/tasks").status_code == 200  # the refused reset changed nothing
    reset = runner.invoke(set_password_command, ["qd_staff", "--password", STRONG])
    assert reset.exit_code == 0 and client.get("/tasks").status_code == 302  # the old session ended
    for _ in range(5):
        assert login(UserClient(app, app.response_class), "leader", "wrong-password").status_code == 401
    assert login(UserClient(app, app.response_class), "leader", PASSWORD).status_code == 401  # locked
    assert runner.invoke(unlock_command, ["leader"]).exit_code == 0
    assert login(UserClient(app, app.response_class), "leader", PASSWORD).status_code == 302
    assert runner.invoke(unlock_command, ["nobody"]).exit_code == 1
    assert _events(session, "password_reset") == 1 and _events(session, "account_unlocked") == 1
