"""Schemathesis against /api/v1/openapi.json: generated requests (valid and invalid, with a real token) never
get a server error — every bad input is a 4xx JSON error. Bounded examples per operation, so CI stays fast.
(Schemathesis' own pytest plugin does not run under this pytest; its strategies drive Hypothesis directly.)"""

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.support import PASSWORD

EXAMPLES = 12


def _bearer(app) -> dict:
    token = app.test_client().post("/api/v1/auth/token",
                                   json={"username": "tc_staff", "password": PASSWORD}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _fuzz(operation, headers: dict, seen: list) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers=headers)
        seen.append(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body,
                                            response.text[:500])
        if response.status_code >= 400:
            content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type")
            assert "application/json" in str(content_type), (response.headers, response.text[:200])

    run()


def test_generated_requests_never_get_a_server_error(app, session, users):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers, seen, operations = _bearer(app), [], 0
    for result in schema.get_all_operations():
        _fuzz(result.ok(), headers, seen)
        operations += 1
    assert operations >= 10 and len(seen) >= operations * 2  # every operation was really exercised
    assert any(code < 300 for code in seen) and any(400 <= code < 500 for code in seen)
