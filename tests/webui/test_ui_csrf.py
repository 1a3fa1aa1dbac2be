"""CSRF protection is on in production: a POST without the token is refused with 400."""

import pytest

from engine.core.models import HumanTask
from tests.support import PASSWORD, make_call
from tests.webui.test_ui_support import PASS, advance, csrf_token_in, submit, text_of
from webui.app import create_app
from webui.extensions import db


@pytest.fixture()
def csrf_app(app):
    """A second app on the same database with CSRF enabled (as in production)."""
    return create_app({"TESTING": True, "SECRET_KEY": "csrf-test", "WTF_CSRF_ENABLED": True,
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "FIXED_NOW": app.config["FIXED_NOW"]})


def test_post_without_csrf_token_is_rejected(app, csrf_app, session, users):
    application = submit(session, users["applicant"], make_call(session))
    task = advance(session, users, application, "initial_review")
    client = csrf_app.test_client()
    assert client.post("/login", data={"username": "tc_staff", "password": PASSWORD}).status_code == 400
    token = csrf_token_in(text_of(client.get("/login")))
    login = client.post("/login", data={"username": "tc_staff", "password": PASSWORD, "csrf_token": token})
    assert login.status_code == 302

    page = text_of(client.get(f"/tasks/{task.id}"))
    token = csrf_token_in(page)
    for url in (f"/tasks/{task.id}", f"/tasks/{task.id}/claim", "/tasks/bulk-document", "/calls"):
        assert client.post(url, data=PASS).status_code == 400, url
    with csrf_app.app_context():
        assert db.session.get(HumanTask, task.id).state == "open"
        db.session.remove()

    done = client.post(f"/tasks/{task.id}", data={**PASS, "csrf_token": token})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "done"
