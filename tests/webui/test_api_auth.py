"""JSON API: token login and throttling, bearer-token guard, the OpenAPI document."""

import json
import re
from datetime import timedelta

from engine.platform.accounts import FAILED
from tests.support import PASSWORD, T0

API = "/api/v1"


def _login(client, username: str, password: str = PASSWORD):
    return client.post(f"{API}/auth/token", json={"username": username, "password": password})


def test_token_login_returns_token_and_expiry(client, users):
    response = _login(client, "tc_staff")
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["token"]) >= 32 and body["token_type"] == "Bearer"
    assert body["expires_at"] == (T0 + timedelta(hours=12)).isoformat()
    assert body["user"]["username"] == "tc_staff" and body["user"]["roles"] == ["talent_center"]
    tasks = client.get(f"{API}/tasks", headers={"Authorization": f"Bearer {body['token']}"})
    assert tasks.status_code == 200


def test_wrong_password_is_401_json(client, users):
    response = _login(client, "tc_staff", "wrong-password")
    assert response.status_code == 401
    assert response.get_json()["error"] == {"status": 401, "message": FAILED}
    unknown = _login(client, "nobody")  # the same answer for an account that does not exist (no enumeration)
    assert unknown.status_code == 401 and unknown.get_json()["error"] == {"status": 401, "message": FAILED}


def test_five_failures_lock_the_account(client, users):
    for _ in range(5):
        assert _login(client, "qd_staff", "bad").status_code == 401
    locked = _login(client, "qd_staff")  # the right password, while locked: the same answer as any failure
    assert locked.status_code == 401 and locked.get_json()["error"]["message"] == FAILED
    client.application.config["FIXED_NOW"] = T0 + timedelta(minutes=16)
    assert _login(client, "qd_staff").status_code == 200


def test_login_body_must_be_a_json_object(client, users):
    bad = client.post(f"{API}/auth/token", data="{username:", content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["error"]["status"] == 400
    assert client.post(f"{API}/auth/token", json=["tc_staff", PASSWORD]).status_code == 400
    assert client.post(f"{API}/auth/token", data={"username": "tc_staff"}).status_code == 400
    typed = client.post(f"{API}/auth/token", json={"username": "tc_staff", "password": 123})
    assert typed.status_code == 422 and "password" in typed.get_json()["error"]["fields"]


def test_endpoints_need_a_bearer_token(client, users):
    for path in ("/tasks", "/tasks/1", "/instances/1", "/experts", "/experts/1", "/applications/mine"):
        response = client.get(API + path)
        assert response.status_code == 401, path
        assert response.get_json()["error"]["status"] == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post(f"{API}/tasks/1/complete", json={"data": {}}).status_code == 401
    assert client.post(f"{API}/processes/admission_public/instances", json={}).status_code == 401


def test_invalid_and_expired_tokens_are_rejected(client, users):
    assert client.get(f"{API}/tasks", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.get(f"{API}/tasks", headers={"Authorization": "Basic dGM6eA=="}).status_code == 401
    token = _login(client, "tc_staff").get_json()["token"]
    client.application.config["FIXED_NOW"] = T0 + timedelta(hours=12, seconds=1)
    expired = client.get(f"{API}/tasks", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401 and "过期" in expired.get_json()["error"]["message"]


def test_deactivated_user_token_is_forbidden(client, session, users):
    token = _login(client, "tc_staff").get_json()["token"]
    users["talent_center"].active = False
    session.commit()
    assert client.get(f"{API}/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_unknown_api_path_is_json_404(client, users):
    response = client.get(f"{API}/no-such-thing")
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404


def _document(client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return json.loads(response.data)


def _registered_operations(app) -> set[tuple[str, str]]:
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(API):])
        operations |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return operations


def test_openapi_lists_exactly_the_registered_routes(client, app):
    doc = _document(client)
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert documented == _registered_operations(app)


def test_openapi_operations_are_complete(client):
    doc = _document(client)
    assert doc["openapi"].startswith("3.1")
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert doc["security"] == [{"bearerAuth": []}]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert re.search(r"[\u4e00-\u9fff]", op["summary"]), (path, method)
            names = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path)), (path, method)
            if op.get("security") != []:
                assert "401" in op["responses"], (path, method)
            if method == "post" and not path.endswith("claim"):
                content = op["requestBody"]["content"]
                schema = (content.get("application/json") or content["multipart/form-data"])["schema"]
                assert schema.get("$ref") or schema["properties"], (path, method)
                assert "400" in op["responses"], (path, method)


def test_openapi_references_resolve(client):
    doc = _document(client)
    text = json.dumps(doc)
    for ref in set(re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', text)):
        assert ref[1] in doc["components"][ref[0]], ref
