"""审计检索 through the JSON API: the same rows as the page, JSON errors for bad filters, 403 for other roles."""

from sqlalchemy import func, select

from engine.core.models import AuditEvent
from tests.support import PASSWORD
from tests.webui.audit_support import make_history, shown_ids
from tests.webui.test_ui_support import client_for, text_of

API = "/api/v1"


def _bearer(client, username: str) -> dict:
    token = client.post(f"{API}/auth/token", json={"username": username, "password": PASSWORD}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_api_search_answers_the_rows_the_page_shows(app, session, users):
    history = make_history(session, users)
    client = app.test_client()
    query = f"expert_id={history.confirmed.id}&sort=at&order=asc&per_page=10"
    body = client.get(f"{API}/audit/events?{query}", headers=_bearer(client, "auditor")).get_json()
    page = text_of(client_for(app, users["auditor"]).get(f"/audit/events?{query}"))
    assert [item["id"] for item in body["items"]] == shown_ids(page) and body["total"] == len(body["items"]) > 1
    assert sum(body["by_action"].values()) == body["total"]
    assert {item["instance_id"] for item in body["items"]} == {history.request.instance_id}


def test_api_bad_filters_are_json_errors_and_other_roles_are_refused(app, session, users):
    make_history(session, users)
    client = app.test_client()
    auditor, admin = _bearer(client, "auditor"), _bearer(client, "admin")  # issuing a token is an event itself
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    bad = client.get(f"{API}/audit/events?date_from=2026-02-30&outcome=x", headers=auditor)
    assert bad.status_code == 422 and bad.is_json
    assert bad.get_json()["error"]["fields"] == {"date_from": "日期格式应为 YYYY-MM-DD", "outcome": "未知的实例状态"}
    refused = client.get(f"{API}/audit/events", headers=admin)
    assert refused.status_code == 403 and refused.is_json
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
