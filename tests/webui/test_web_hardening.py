"""Web hardening: local-only redirects after login, security headers on pages, API responses and downloads,
Chinese error pages (never Werkzeug's English text), and hostile ids/parameters answered 400/404, not 500."""

import pytest
from sqlalchemy import select

from engine.core.models import ProcessVersion
from tests.support import PASSWORD, UserClient, login
from tests.webui.test_ui_csrf import csrf_app  # noqa: F401  (fixture: the app with CSRF on)

API = "/api/v1"
OFF_SITE = ["/%09/evil.example/", "//evil.example/", "/\\evil.example", "/%5Cevil.example", "https://evil.example/",
            "/%0d%0a/evil.example", "javascript:alert(1)"]


def _client(app, user=None):
    client = UserClient(app, app.response_class)
    if user is not None:
        assert login(client, user.username).status_code == 302
    return client


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(app, users, target):
    client = _client(app)
    response = client.post(f"/login?next={target}", data={"username": "tc_staff", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/tasks"


def test_a_nul_byte_in_next_is_a_bad_request(app, users):
    response = _client(app).post("/login?next=/%00/evil.example", data={"username": "tc_staff", "password": PASSWORD})
    assert response.status_code == 400 and "Location" not in response.headers


def test_login_keeps_a_local_next(app, users):
    response = _client(app).post("/login?next=/experts%3Fq%3D1", data={"username": "tc_staff", "password": PASSWORD})
    assert response.headers["Location"] == "/experts?q=1"


def _assert_hardened(response, cacheable=False):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self' 'nonce-" in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "same-origin"
    assert (headers.get("Cache-Control") == "no-store") != cacheable


def test_security_headers_on_a_page_an_api_response_and_a_download(app, session, users):
    client = _client(app, users["process_owner"])
    page = client.get("/tasks")
    _assert_hardened(page)
    nonce = page.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert client.get("/tasks").headers["Content-Security-Policy"].count(nonce) == 0  # a new nonce per request
    token = client.post(f"{API}/auth/token", json={"username": "owner", "password": PASSWORD}).get_json()["token"]
    _assert_hardened(client.get(f"{API}/tasks", headers={"Authorization": f"Bearer {token}"}))
    version = session.scalars(select(ProcessVersion)).first()
    download = client.get(f"/workbench/versions/{version.id}/files/process.bpmn")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    _assert_hardened(download)
    _assert_hardened(client.get("/static/select-all.js"), cacheable=True)


def test_secure_cookies_when_configured(monkeypatch):
    from webui.app import create_app

    monkeypatch.setenv("EXPERTPOOL_SECURE_COOKIES", "1")
    assert create_app({"TESTING": True}).config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.delenv("EXPERTPOOL_SECURE_COOKIES")
    assert create_app({"TESTING": True}).config["SESSION_COOKIE_SECURE"] is False


ENGLISH = ("You don't have the permission", "The method is not allowed", "The CSRF token", "Bad Request",
           "Not Found", "requested URL was not found")


def _chinese(response, status, title):
    text = response.get_data(as_text=True)
    assert response.status_code == status and title in text, text[:300]
    assert not any(english in text for english in ENGLISH), text


def test_error_pages_are_in_chinese(app, csrf_app, users):  # noqa: F811
    client = _client(app, users["applicant"])
    _chinese(client.get("/workbench"), 403, "无权访问")
    _chinese(client.get("/logout"), 405, "不支持该请求方式")
    _chinese(client.get("/no/such/page"), 404, "页面不存在")
    api = client.get(f"{API}/no-such")
    assert api.status_code == 404 and api.get_json()["error"]["message"] == "页面不存在"
    csrf_client = UserClient(csrf_app, csrf_app.response_class)
    _chinese(csrf_client.post("/login", data={"username": "tc_staff", "password": PASSWORD}), 400,
             "表单已过期或缺少安全令牌")


def test_hostile_ids_and_parameters_are_400_or_404_never_500(app, users):
    client = _client(app, users["talent_center"])
    token = client.post(f"{API}/auth/token", json={"username": "tc_staff", "password": PASSWORD}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/tasks/99999999999").status_code == 404
    assert client.get(f"/instances/{2**63}").status_code == 404
    assert client.get(f"{API}/tasks/99999999999", headers=bearer).status_code == 404
    assert client.get("/tasks?q=%00abc").status_code == 400
    assert client.get(f"{API}/tasks?q=a%00b", headers=bearer).status_code == 400
    assert client.get("/tasks?page=" + "9" * 30).status_code == 400
    assert client.get("/experts?page=" + "9" * 30).status_code == 400
    too_big = client.get(f"{API}/tasks?page=" + "9" * 30, headers=bearer)
    assert too_big.status_code == 400 and "超出范围" in too_big.get_json()["error"]["message"]
    assert client.get(f"{API}/tasks?per_page=0", headers=bearer).status_code == 422
    assert client.get(f"{API}/tasks?page=2147483647", headers=bearer).status_code == 200
