"""Public registration (Art 6 公开征集) as a member of the public does it: read the open call without login,
register, get the code by e-mail, verify, log in and reach the 推荐表; the forgotten-password reset. Neither
door tells whether an account exists; bad input is refused with reasons and nothing is saved."""

import re

from sqlalchemy import func, select

from engine.platform.models import OutboxMail, User
from tests.support import PASSWORD, UserClient, login, make_call

GOOD = {"username": "lin_applicant", "display_name": "林建华", "id_number": "350102197506180011",
        "phone": "13805912345", "email": "ljh@example.test", "password": "榕城-春天-2026",
        "confirm_password": "榕城-春天-2026"}


def _client(app) -> UserClient:
    return UserClient(app, app.response_class)


def _mails(session, address: str) -> list[OutboxMail]:
    session.expire_all()
    return list(session.scalars(select(OutboxMail).where(OutboxMail.to_address.contains(address))
                                .order_by(OutboxMail.id)))


def _code(mail: OutboxMail) -> str:
    return re.search(r"为 (\d{6})", mail.body).group(1)


def _users(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(User))


def test_the_open_call_is_public_and_leads_to_registration(app, session):
    make_call(session, title="2026年度福建省产品质量安全监管专家征集")
    page = _client(app).get("/calls/open").get_data(as_text=True)
    assert "2026年度福建省产品质量安全监管专家征集" in page and "申请时间" in page and "/register" in page


def test_register_verify_by_mailed_code_log_in_and_apply(app, session, users):
    make_call(session)
    client = _client(app)
    sent = client.post("/register", data=GOOD)
    assert sent.status_code == 302 and "/register/verify" in sent.headers["Location"]
    assert login(_client(app), GOOD["username"], GOOD["password"]).status_code == 401  # not verified yet
    (mail,) = _mails(session, GOOD["email"])
    wrong = client.post("/register/verify", data={"username": GOOD["username"], "code": "000000"
                                                  if _code(mail) != "000000" else "111111"})
    assert wrong.status_code == 422 and "验证码不正确" in wrong.get_data(as_text=True)
    assert client.post("/register/verify", data={"username": GOOD["username"], "code": _code(mail)}).status_code == 302
    applicant = _client(app)
    assert login(applicant, GOOD["username"], GOOD["password"]).status_code == 302
    form = applicant.get("/applications/new").get_data(as_text=True)  # the applicant may fill the 推荐表
    for given in (GOOD["display_name"], GOOD["id_number"], "1975-06-18", GOOD["phone"], GOOD["email"]):
        assert given in form  # what registration asked is filled in


def test_a_taken_username_or_address_gets_the_same_reply_and_its_owner_is_told(app, session, users):
    before = _users(session)
    taken = dict(GOOD, username="tc_staff", email="someone@example.test")
    reply = _client(app).post("/register", data=taken)
    fresh = _client(app).post("/register", data=GOOD)
    assert reply.status_code == fresh.status_code == 302  # the same answer: no enumeration
    assert _users(session) == before + 1  # only the fresh one
    (notice,) = _mails(session, "someone@example.test")
    assert "已被使用" in notice.body and not re.search(r"\d{6}", notice.body)


def test_bad_input_is_refused_with_every_reason_and_nothing_is_saved(app, session, users):
    before = _users(session)
    bad = dict(GOOD, id_number="350102197506180018", phone="12345", email="not-an-address",
               password="1234567890", confirm_password="1234567890", username="1x")
    page = _client(app).post("/register", data=bad)
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    for reason in ("校验码不正确", "电话号码", "电子邮箱", "过于常见", "用户名为"):
        assert reason in text, reason
    minor = _client(app).post("/register", data=dict(GOOD, id_number="350102201501010012"))
    assert minor.status_code == 422 and "未满18周岁" in minor.get_data(as_text=True)
    assert _users(session) == before and _mails(session, "@") == []


def test_five_wrong_codes_use_the_code_up(app, session, users):
    client = _client(app)
    client.post("/register", data=GOOD)
    code = _code(_mails(session, GOOD["email"])[0])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post("/register/verify", data={"username": GOOD["username"], "code": wrong}).status_code == 422
    assert client.post("/register/verify", data={"username": GOOD["username"], "code": code}).status_code == 422


def test_forgotten_password_by_mailed_code_ends_every_session(app, session, users):
    old = _client(app)
    assert login(old, "qd_staff").status_code == 302
    unknown = _client(app).post("/password/forgot", data={"username": "nobody"})
    known = _client(app).post("/password/forgot", data={"username": "qd_staff"})
    assert unknown.status_code == known.status_code == 302
    (mail,) = _mails(session, "qd_staff@example.test")
    new = "闽南红砖-古厝-2026"
    weak = _client(app).post("/password/reset", data={"username": "qd_staff", "code": _code(mail),
                                                      "new_password": "short", "confirm_password": "short"})
    assert weak.status_code == 422 and "至少 10 位" in weak.get_data(as_text=True)
    done = _client(app).post("/password/reset", data={"username": "qd_staff", "code": _code(mail),
                                                      "new_password": new, "confirm_password": new})
    assert done.status_code == 302
    assert old.get("/tasks").status_code == 302  # the old session ended
    assert login(_client(app), "qd_staff", PASSWORD).status_code == 401
    assert login(_client(app), "qd_staff", new).status_code == 302
