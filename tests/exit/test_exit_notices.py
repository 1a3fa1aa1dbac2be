"""Issue 15: the expert is told of the exit decision (出库决定) — in-app and by e-mail, with the notice, the ground
and its article of the Measures — linking their own exit case page; a case refused along the way tells nobody."""

import pytest
from sqlalchemy import select

from engine.exit import services as exits
from engine.platform.attachments import Upload
from engine.platform.models import Notification, OutboxMail, User
from tests.exit.exit_support import NOTICE, approve_through, withdraw_through
from tests.experts.roster_support import act, expert_user, make_expert
from tests.support import T0
from tests.webui.test_ui_support import client_for, text_of

PDF = Upload("证据.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")


@pytest.fixture()
def member(session):
    user = expert_user(session, "linjianhua")
    return user, make_expert(session, "林建华", user=user)


def _exit_notes(session, user) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                           Notification.subject.contains("出库决定"))))


def test_an_art_15_exit_tells_the_expert_with_ground_and_notice(app, session, users, member):
    user, expert = member
    case = exits.start_exit(session, users["talent_center"], {"expert_id": str(expert.id), "ground": "art15_4",
                                                               "facts": "接受宴请"}, {"evidence": [PDF]}, T0)
    assert _exit_notes(session, user) == []
    approve_through(session, users, case)
    (note,) = _exit_notes(session, user)
    assert NOTICE["notice_no"] in note.body and "2026-03-20" in note.body and "第十五条第（四）项" in note.body
    assert note.link == f"/yearly/exits/{case.id}"
    mail = session.scalar(select(OutboxMail).where(OutboxMail.to_address.contains(user.email),
                                                   OutboxMail.subject.contains("出库决定")))
    assert mail is not None and note.link in mail.body
    page = client_for(app, user).get(note.link)
    assert page.status_code == 200 and NOTICE["notice_no"] in text_of(page)


def test_a_voluntary_withdrawal_cites_article_10(session, users, member):
    user, _ = member
    case = exits.request_withdrawal(session, user, {"reason": "工作调动，无法继续履职", "confirm": "on"}, T0)
    withdraw_through(session, users, case)
    (note,) = _exit_notes(session, user)
    assert "第十条第（四）项" in note.body


def test_a_refused_exit_tells_nobody(session, users, member):
    user, expert = member
    case = exits.start_exit(session, users["talent_center"], {"expert_id": str(expert.id), "ground": "art15_5",
                                                               "facts": "疑似泄露"}, {"evidence": [PDF]}, T0)
    act(session, case.instance_id, users["talent_center"], {"decision": "dismiss", "facts": "不属实"},
        "exit_center_review", now=T0)
    session.expire_all()
    assert session.scalars(select(Notification).where(Notification.user_id == user.id)).all() == []
    assert session.get(User, user.id).active
