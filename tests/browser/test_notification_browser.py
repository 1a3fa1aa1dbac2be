"""In a real browser with a real local SMTP server (issue 15): talent_center returns an application for
correction on the task page; the applicant receives the e-mail, follows its link while logged out, logs in and
lands on the correction form; the in-app notification shows in the navigation badge."""

import re
import time
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from engine.admission import services as admission
from engine.core.models import HumanTask
from tests.assignment_support import LocalSmtp
from tests.support import PASSWORD, T0, application_form, make_call


@pytest.fixture()
def smtp(app, live_server, monkeypatch):
    server = LocalSmtp().start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
    monkeypatch.setenv("EXPERTPOOL_BASE_URL", live_server)  # mails carry absolute links to this server
    yield server
    server.stop()


def _mail_to(smtp, address: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for envelope in smtp.messages:
            if address in envelope.rcpt_tos:
                return message_from_bytes(envelope.content, policy=policy.default)
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address}")


def _login(page, username: str) -> None:
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_a_returned_applicant_follows_the_mail_to_the_correction_form(live_server, page, session, users, smtp):
    app = admission.submit_public(session, users["applicant"], application_form(), {}, T0, make_call(session).id)
    review = session.scalar(select(HumanTask).where(HumanTask.instance_id == app.instance_id))

    page.goto(f"{live_server}/login")
    _login(page, "tc_staff")
    page.wait_for_url(f"{live_server}/**")
    page.goto(f"{live_server}/tasks/{review.id}")
    page.check("input[name=decision][value=return]")
    page.check("input[name=credit_checked]")
    page.fill("textarea[name=comment]", "请补充高级工程师职称证书扫描件")
    page.click("text=提交办理")
    page.wait_for_selector("text=已办理")
    page.click("text=退出")
    page.wait_for_url("**/login**")

    mail = _mail_to(smtp, users["applicant"].email)
    assert "退回补正" in str(mail["Subject"])
    body = mail.get_body(("plain",)).get_content()
    assert "请补充高级工程师职称证书扫描件" in body
    link = re.search(rf"{re.escape(live_server)}/tasks/for/\S+", body).group(0)

    page.goto(link)  # logged out: the login page, which then returns to the link
    page.wait_for_url("**/login?next=**")
    _login(page, "zhang_applicant")
    session.expire_all()
    correction = session.scalar(select(HumanTask).where(HumanTask.instance_id == app.instance_id,
                                                        HumanTask.state == "open"))
    assert correction.bpmn_id == "correct_application"
    page.wait_for_url(f"{live_server}/tasks/{correction.id}")
    page.wait_for_selector("#task-form")
    assert page.locator("text=申请人补正材料").first.is_visible()
    assert page.inner_text("#nav-notifications").strip() == "通知 1"  # the unread badge
    page.click("#nav-notifications")
    page.wait_for_url(f"{live_server}/notifications")
    assert "请补充高级工程师职称证书扫描件" in page.inner_text("#notifications")
