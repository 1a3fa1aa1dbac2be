"""E-mail: notifications are queued with the action and really delivered to a local SMTP server."""

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from engine.core.jobs import JOBS
from engine.platform.models import Notification, OutboxMail
from engine.platform.notifications import send_outbox
from tests.assignment_support import LocalSmtp, create, engagements, make_pool, request_form, user_of
from tests.support import T0
from tests.webui.test_ui_support import client_for


@pytest.fixture()
def smtp():
    server = LocalSmtp().start()
    yield server
    server.stop()


def _subjects(server) -> dict[str, str]:
    found = {}
    for envelope in server.messages:
        message = message_from_bytes(envelope.content, policy=policy.default)
        for rcpt in envelope.rcpt_tos:
            found[rcpt] = str(message["Subject"])
    return found


def test_drawn_experts_get_mail_right_after_the_request(app, session, users, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp.port)
    make_pool(session, 5)
    response = client_for(app, users["using_unit"]).post("/assignment/requests/new", data=request_form())
    assert response.status_code == 302
    asked = [e for e in engagements(session, int(response.headers["Location"].rsplit("/", 1)[1])) if e.asked_at]
    addresses = {user_of(session, e).email for e in asked}
    subjects = _subjects(smtp)
    assert addresses <= set(subjects) and len(addresses) == 2
    assert all("请确认是否参加" in subjects[a] for a in addresses)
    assert session.scalars(select(OutboxMail).where(OutboxMail.sent_at.is_(None))).all() == []
    body = message_from_bytes(smtp.messages[0].content, policy=policy.default).get_content()
    assert "/assignment/engagements/" in body
    assert session.scalar(select(Notification).where(Notification.user_id == user_of(session, asked[0]).id))


def test_unreachable_server_keeps_mail_and_retries(session, users, smtp):
    make_pool(session, 3)
    create(session, users["using_unit"], n_experts="1", n_backups="0")
    mail = session.scalar(select(OutboxMail))
    assert send_outbox(session, "127.0.0.1", 1, T0) == 0  # nothing listens on port 1
    session.expire_all()
    mail = session.get(OutboxMail, mail.id)
    assert mail.sent_at is None and mail.attempts == 1 and mail.last_error
    assert mail.next_attempt_at > T0
    assert send_outbox(session, "127.0.0.1", smtp.port, T0) == 0  # backing off: not due yet
    later = mail.next_attempt_at + timedelta(seconds=1)
    assert send_outbox(session, "127.0.0.1", smtp.port, later) == 1
    session.expire_all()
    mail = session.get(OutboxMail, mail.id)
    assert mail.sent_at == later and mail.attempts == 2 and mail.last_error is None
    assert len(smtp.messages) == 1
    assert send_outbox(session, "127.0.0.1", smtp.port, later) == 0  # never sent twice


def test_outbox_job_is_registered_and_idle_without_smtp(session, monkeypatch):
    job = JOBS["send_outbox"]
    assert job.trigger == "interval" and job.trigger_args == {"minutes": 1}
    monkeypatch.delenv("EXPERTPOOL_SMTP_HOST", raising=False)
    assert job.run(session, T0) == 0


def test_outbox_job_sends_with_configured_server(session, users, smtp, monkeypatch):
    make_pool(session, 3)
    create(session, users["using_unit"], n_experts="1", n_backups="0")
    monkeypatch.setenv("EXPERTPOOL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("EXPERTPOOL_SMTP_PORT", str(smtp.port))
    assert JOBS["send_outbox"].run(session, T0) == 1
    assert len(smtp.messages) == 1
