"""Every error a user can meet is in Chinese: each route of the url_map walked as an anonymous user, as a user
without the route's capability (and on ids that do not exist), with a wrong method and, with CSRF on, without
a token — no English error text (Werkzeug's, Flask-WTF's, Flask-Login's) in any HTML or JSON body."""

import re
from html import unescape
from io import BytesIO

from werkzeug.routing.converters import AnyConverter, NumberConverter, PathConverter

from tests.support import PASSWORD, login, make_user
from tests.webui.test_ui_csrf import csrf_app  # noqa: F401  (fixture: the app with CSRF on)

MISSING = 1_999_999_999  # an id no row has (within the routes' bound)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ENGLISH = re.compile(
    r"Forbidden|Not Found|Method Not Allowed|Unauthorized|Bad Request|Internal Server Error|Too Many Requests|"
    r"Request Entity Too Large|Content Too Large|Conflict|Unprocessable|CSRF token|Please log in|"
    r"You don't have the permission|The requested URL|The method is not allowed|The server could not|"
    r"The browser \(or proxy\)|rate limit|per \d+ (?:second|minute|hour)|session has expired|[Rr]equired|"
    r"\b(?:the|is|are|not|was|this|your|please|invalid|missing|error)\b", re.IGNORECASE)


def _url(rule) -> str:
    """The rule's URL with every argument filled by a value naming nothing."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, NumberConverter):
            values[name] = MISSING
        else:
            values[name] = "nothing/here.txt" if isinstance(converter, PathConverter) else "nothing-here"
    return rule.build(values, append_unknown=False)[1]


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "auth.logout":  # logging out would end the walk's session
            continue
        yield _url(rule)


def _visible_text(response) -> str:
    """What the user reads: the JSON messages, or the page's <main> text."""
    if response.is_json:
        return " ".join(_strings(response.get_json()))
    html = response.get_data(as_text=True)
    main = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    body = main.group(1) if main else html
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "request_id":
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _english(response) -> str | None:
    if response.status_code < 400:
        return None
    found = ENGLISH.search(_visible_text(response))
    return found.group(0) if found else None


def _walk(client, app, only=None):
    bad = []
    for url in _routes(app):
        for method in METHODS:
            if only and method not in only:
                continue
            response = client.open(url, method=method, data={} if method != "GET" else None)
            english = _english(response)
            if english:
                bad.append(f"{method} {url} {response.status_code}: {english!r}")
    return bad


def test_anonymous_and_wrong_method_errors_are_chinese(app, session):
    client = app.test_client()
    assert _walk(client, app) == []


def test_redirects_say_so_in_chinese(app, session):
    response = app.test_client().get("/tasks")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    body = response.get_data(as_text=True)
    assert "正在跳转" in body and "Redirecting" not in body and "You should be redirected" not in body


def test_forbidden_and_missing_errors_are_chinese(app, session):
    make_user(session, "nobody_much", "applicant")
    client = app.test_client()
    assert login(client, "nobody_much").status_code == 302
    assert _walk(client, app) == []


def test_api_errors_are_chinese_json(app, session):
    client = app.test_client()
    bad = []
    for url in _routes(app):
        if not url.startswith("/api/"):
            continue
        for method in METHODS:
            response = client.open(url, method=method, json={}, headers={"Authorization": "Bearer not-a-token"})
            assert response.is_json or response.status_code < 400, f"{method} {url}"
            english = _english(response)
            if english:
                bad.append(f"{method} {url} {response.status_code}: {english!r}")
    assert bad == []


def test_posts_without_csrf_token_are_refused_in_chinese(csrf_app, session):  # noqa: F811
    make_user(session, "csrf_user", "talent_center", unit_code="prov_talent")
    client = csrf_app.test_client()
    anonymous = client.post("/login", data={"username": "csrf_user", "password": PASSWORD})
    assert anonymous.status_code == 400 and "安全令牌" in _visible_text(anonymous)
    with csrf_app.app_context():
        bad = _walk(client, csrf_app, only=("POST",))
    assert bad == []


def test_too_long_login_and_too_large_upload_are_refused_in_chinese(app, session):
    client = app.test_client()
    long_name = client.post("/login", data={"username": "x" * 61, "password": "y" * 201})
    text = _visible_text(long_name)
    assert "用户名不超过60个字符" in text and "密码不超过200个字符" in text
    assert not ENGLISH.search(text.replace("x" * 61, ""))
    make_user(session, "uploader", "applicant")
    assert login(client, "uploader").status_code == 302
    huge = client.post("/applications/new", data={"file": (BytesIO(b"0" * (26 * 1024 * 1024)), "big.pdf")})
    assert huge.status_code == 413 and "上传文件过大" in _visible_text(huge)
    assert _english(huge) is None
