"""Helpers for the issue-11 assignment tests: after-the-work time, usage records, draw exports, sealed walks."""

from datetime import UTC, datetime, time, timedelta

from tests.assignment_support import START, USAGE, complete_all

# 18:00 in Fuzhou on the last day of the default request's work (START .. START + 2 days): usage may be recorded.
AFTER_WORK = datetime.combine(START + timedelta(days=2), time(10, 0), tzinfo=UTC)


def record_usage(session, request, unit_user, values=None, now=AFTER_WORK) -> int:
    """The using unit records every open usage task once the work has ended; returns how many."""
    return complete_all(session, request, "record_usage", unit_user, values or USAGE, now)


def api_headers(client, user) -> dict:
    """Bearer token headers for `user`, obtained through the API's token endpoint."""
    from tests.support import PASSWORD

    response = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
