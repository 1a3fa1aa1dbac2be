"""In a real browser with a real local SMTP server: a member of the public reads the open call, registers,
gets the code by e-mail, verifies, logs in, answers the call with the 推荐表, and the application appears in
talent_center's inbox."""

import re
import time
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from engine.admission.models import Application
from engine.core.models import HumanTask
from engine.platform.models import User
from tests.assignment_support import LocalSmtp
from tests.support import PASSWORD as STAFF_PASSWORD
from tests.support import application_form, make_call

PASSWORD = "鼓浪屿-琴声-2026"
PERSON = {"username": "lin_jianhua", "display_name": "林建华", "id_number": "350102197506181233",
          "phone": "13805912345", "email": "ljh@example.test"}


@pytest.fixture()
def smtp(app, monkeypatch):
    server = LocalSmtp().start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
    yield server
    server.stop()


def _mailed_code(smtp, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while not smtp.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    assert smtp.messages, "no mail arrived"
    message = message_from_bytes(smtp.messages[-1].content, policy=policy.default)
    return re.search(r"为 (\d{6})", message.get_body(("plain",)).get_content()).group(1)


def _fill(page, name: str, value) -> None:
    field = page.locator(f"[name={name}]").first
    kind = (field.get_attribute("type") or field.evaluate("e => e.tagName")).lower()
    if kind == "select":
        page.select_option(f"select[name={name}]", value)
    elif kind == "radio":
        page.check(f"input[name={name}][value='{value}']")
    elif kind == "checkbox":
        for item in value if isinstance(value, list) else ([value] if value else []):
            selector = f"input[name={name}]" if item == "on" else f"input[name={name}][value='{item}']"
            page.check(selector)
    elif value:
        field.fill(str(value))


def test_a_new_applicant_registers_verifies_and_answers_the_open_call(live_server, page, session, users, smtp):
    make_call(session, title="2026年度福建省产品质量安全监管专家征集")
    page.goto(f"{live_server}/calls/open")
    page.click("text=申请入库（注册账号）")
    for name, value in PERSON.items():
        page.fill(f"#{name}", value)
    page.fill("#password", PASSWORD)
    page.fill("#confirm_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/register/verify**")
    page.fill("#code", _mailed_code(smtp))
    page.click("button[type=submit]")
    page.wait_for_url("**/login**")
    page.fill("#username", PERSON["username"])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/applications/new")
    assert page.input_value("[name=id_number]") == PERSON["id_number"]  # carried over from registration
    page.select_option("select[name=call_id]", index=0)  # the one open call
    for name, value in application_form().items():
        if name not in PERSON and name != "email":
            _fill(page, name, value)
    page.click("#application-form button[type=submit]")
    page.wait_for_selector(".alert")
    assert "已提交：林建华" in page.inner_text(".alert"), page.inner_text("main")[:1500]
    session.expire_all()
    registered = session.scalar(select(User).where(User.username == PERSON["username"]))
    application = session.scalar(select(Application).where(Application.applicant_user_id == registered.id))
    assert application.form["id_number"] == PERSON["id_number"]
    task = session.scalar(select(HumanTask).where(HumanTask.instance_id == application.instance_id,
                                                  HumanTask.state == "open"))
    assert task.bpmn_id == "initial_review"
    page.click("text=退出")
    page.fill("#username", "tc_staff")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/tasks")
    assert page.locator(f"a:has-text('{task.subject}')").count() == 1  # in talent_center's inbox
