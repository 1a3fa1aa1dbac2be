"""Authorization matrix over every registered route: anonymous users never get in, no role ever gets a 500."""

import re

import pytest

from tests.support import PASSWORD, login

PUBLIC = {"auth.login", "static", "vendor", "api.issue_token", "api.openapi_document"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: "versions" if m.group(1) == "source" else "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_anonymous_requests_are_turned_away_everywhere(app, client):
    checked = 0
    for endpoint, method, path in _routes(app):
        response = client.open(path, method=method)
        if path.startswith("/api/"):
            assert response.status_code == 401, (endpoint, method, path, response.status_code)
        else:
            assert response.status_code in (302, 401), (endpoint, method, path, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], (endpoint, path)
        checked += 1
    assert checked > 60  # the matrix really covers the application


@pytest.mark.parametrize("role", ["applicant", "talent_center", "quality_division", "bureau_leader",
                                  "using_unit", "auditor", "process_owner", "admin"])
def test_every_page_answers_each_role_without_a_server_error(app, session, users, role):
    client = app.test_client()
    assert login(client, users[role].username).status_code == 302
    for endpoint, method, path in _routes(app):
        if method != "GET" or path.startswith("/api/") or endpoint == "auth.logout":
            continue
        response = client.get(path)
        assert response.status_code in (200, 302, 400, 403, 404, 422), (role, endpoint, path, response.status_code)


@pytest.mark.parametrize("role", ["applicant", "talent_center", "using_unit", "auditor"])
def test_every_api_read_answers_each_role_without_a_server_error(app, client, users, role):
    token = client.post("/api/v1/auth/token", json={"username": users[role].username, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    for endpoint, method, path in _routes(app):
        if method != "GET" or not path.startswith("/api/"):
            continue
        response = client.get(path, headers=headers)
        assert response.status_code in (200, 403, 404, 422), (role, endpoint, path, response.status_code)
        assert response.is_json, (endpoint, path)
