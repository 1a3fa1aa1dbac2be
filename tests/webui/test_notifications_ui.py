"""我的通知 (/notifications): the unread badge in the navigation, the list, marking one or all read; nobody marks
another's notification."""

from sqlalchemy import select

from engine.admission import services as admission
from engine.platform.models import Notification
from tests.admission.test_admission_paths import act
from tests.support import T0, application_form, make_call
from tests.webui.test_ui_support import client_for, text_of

RETURN = {"decision": "return", "credit_checked": "on", "comment": "请补充职称证书"}


def _returned(session, users):
    app = admission.submit_public(session, users["applicant"], application_form(), {}, T0, make_call(session).id)
    act(session, app.id, users["talent_center"], RETURN, "initial_review")
    return session.scalar(select(Notification).where(Notification.user_id == users["applicant"].id))


def test_the_badge_counts_unread_and_one_is_marked_read(app, session, users):
    note = _returned(session, users)
    client = client_for(app, users["applicant"])
    page = text_of(client.get("/tasks"))
    assert 'id="nav-notifications"' in page and '<span class="badge bg-danger">1</span>' in page
    listing = text_of(client.get("/notifications"))
    assert "入库申请退回补正" in listing and "请补充职称证书" in listing and f'href="{note.link}"'.replace(
        "&", "&amp;") in listing
    assert client_for(app, users["talent_center"]).post(f"/notifications/{note.id}/read").status_code == 404
    session.expire_all()
    assert session.get(Notification, note.id).read_at is None
    assert client.post(f"/notifications/{note.id}/read").status_code == 302
    session.expire_all()
    assert session.get(Notification, note.id).read_at is not None
    assert 'badge bg-danger">1<' not in text_of(client.get("/tasks"))
    assert client.post(f"/notifications/{note.id}/read").status_code == 404  # already read


def test_mark_all_read(app, session, users):
    _returned(session, users)
    client = client_for(app, users["applicant"])
    assert client.post("/notifications").status_code == 302
    assert "list-group-item-warning" not in text_of(client.get("/notifications"))


def test_the_task_link_refuses_an_off_site_case(app, session, users):
    client = client_for(app, users["applicant"])
    answer = client.get("/tasks/for/123456?case=//evil.example/x")
    assert answer.status_code == 302 and answer.headers["Location"] == "/notifications"
