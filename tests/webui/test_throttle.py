"""Login throttling (Flask-Limiter): failed attempts per account name and every attempt per address are
limited on the UI login and the API token; with Redis the counters hold across workers (two apps = two
gunicorn workers sharing one store); a throttled attempt gets a Chinese 429 and changes nothing."""

import uuid

import pytest
from sqlalchemy import select

from engine.platform import accounts
from engine.platform.models import User
from tests.support import PASSWORD, T0
from webui.app import create_app

API = "/api/v1"
REDIS = "redis://127.0.0.1:6379/0"


def _worker(app, **config):
    """Another app (worker) on the test database with throttling on."""
    return create_app({"TESTING": True, "SECRET_KEY": "throttle", "WTF_CSRF_ENABLED": False,
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "FIXED_NOW": app.config["FIXED_NOW"], **config})


def _ui(worker, username, password="wrong-password"):
    return worker.test_client().post("/login", data={"username": username, "password": password})


def _api(worker, username, password="wrong-password"):
    return worker.test_client().post(f"{API}/auth/token", json={"username": username, "password": password})


def test_failed_attempts_per_account_are_throttled_with_a_chinese_429(app, session, users):
    worker = _worker(app, THROTTLE_PER_ACCOUNT="3 per minute")
    assert [_ui(worker, "leader").status_code for _ in range(3)] == [401, 401, 401]
    throttled = _ui(worker, "leader", PASSWORD)  # even the right password: the door is shut for a while
    assert throttled.status_code == 429 and "尝试过于频繁" in throttled.get_data(as_text=True)
    api = _api(worker, "LEADER ")  # the same account, however it is spelt
    assert api.status_code == 429 and api.get_json()["error"]["message"] == "尝试过于频繁，请稍后再试。"
    assert _ui(worker, "tc_staff", PASSWORD).status_code == 302  # another account from the same address
    session.expire_all()
    assert session.scalar(select(User.failed_logins).where(User.username == "leader")) == 3  # 429s not counted


def test_successful_logins_do_not_count_against_the_account(app, users):
    worker = _worker(app, THROTTLE_PER_ACCOUNT="2 per minute")
    assert [_ui(worker, "tc_staff", PASSWORD).status_code for _ in range(4)] == [302] * 4


def test_every_attempt_per_address_is_throttled(app, users):
    worker = _worker(app, THROTTLE_PER_ADDRESS="4 per minute")
    names = ["a1", "a2", "a3", "a4", "a5"]  # spraying many account names from one address
    assert [_ui(worker, name).status_code for name in names] == [401, 401, 401, 401, 429]


def _redis_available() -> bool:
    from redis import Redis

    try:
        return bool(Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except OSError:
        return False


def test_with_redis_the_counters_hold_across_workers(app, users):
    assert _redis_available(), "the test needs Redis at 127.0.0.1:6379 (.ci/run starts it)"
    prefix = f"test-{uuid.uuid4().hex}"  # this run's own counters in the shared store
    first, second = (_worker(app, RATELIMIT_STORAGE_URI=REDIS, RATELIMIT_KEY_PREFIX=prefix,
                             THROTTLE_PER_ACCOUNT="4 per minute") for _ in range(2))
    outcomes = [_ui(first, "owner").status_code, _api(second, "owner").status_code,
                _ui(second, "owner").status_code, _api(first, "owner").status_code]
    assert outcomes == [401, 401, 401, 401]
    assert _ui(first, "owner").status_code == 429 and _api(second, "owner").status_code == 429
    alone = _worker(app, RATELIMIT_STORAGE_URI="memory://", THROTTLE_PER_ACCOUNT="4 per minute")
    assert _ui(alone, "owner").status_code == 401  # a worker with its own memory store would let it through


def test_unknown_and_known_usernames_cost_the_same_password_check(session, users, monkeypatch):
    checked = []
    real = accounts.check_password
    monkeypatch.setattr(accounts, "check_password", lambda stored, pw: checked.append(stored) or real(stored, pw))
    for username in ("no-such-user", "tc_staff"):
        with pytest.raises(accounts.LoginFailed) as failed:
            accounts.authenticate(session, username, "wrong-password", T0)
        assert failed.value.message == accounts.FAILED
    assert len(checked) == 2 and all(stored.startswith("scrypt$") for stored in checked)

