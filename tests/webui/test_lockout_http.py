"""25 wrong passwords sent at once over HTTP to a threaded server lock the account: the failure counter is
one atomic update per attempt, whatever the interleaving (SQLite and PostgreSQL)."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from engine.platform.accounts import MAX_FAILURES
from engine.platform.models import User
from tests.live_server import serving
from tests.support import PASSWORD


@pytest.fixture()
def server(app, session):
    """The test app on a threaded loopback server (each request in its own thread and session)."""
    with serving(app) as base:
        yield base


def _token(base: str, password: str) -> int:
    request = urllib.request.Request(f"{base}/api/v1/auth/token", method="POST",
                                     data=json.dumps({"username": "leader", "password": password}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_parallel_wrong_passwords_lock_the_account(server, session, users):
    with ThreadPoolExecutor(max_workers=25) as pool:
        codes = list(pool.map(lambda _: _token(server, "wrong-password"), range(25)))
    assert codes == [401] * 25
    session.expire_all()
    leader = session.scalar(select(User).where(User.username == "leader"))
    assert leader.locked_until is not None and leader.failed_logins < MAX_FAILURES
    assert _token(server, PASSWORD) == 401  # locked: even the right password is refused for now
