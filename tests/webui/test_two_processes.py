"""Two app processes on one PostgreSQL act as one system (issue 14): real gunicorn servers started with
deploy/gunicorn.conf.py, each its own process. A task completed through one is gone from the other's inbox
(and cannot be completed there again); a due timer fires exactly once whether both servers run the scheduler
in leader mode or two processes run fire_due at the same moment. PostgreSQL only (SQLite is one host, one
file): collected when DATABASE_URL points to PostgreSQL, which CI's second run always does."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.admission import services as admission
from engine.admission.models import Application
from engine.core.models import AuditEvent
from tests.admission.test_admission_paths import PASS, approve_to_commitment
from tests.support import PASSWORD, T0, application_form, make_call

pytestmark = pytest.mark.postgresql_only
ROOT = Path(__file__).resolve().parents[2]
BOOT_SECONDS = 60
LEADER_LINE = "is now the scheduler leader"


class Server:
    """One gunicorn server (one worker) on a free loopback port, logging to a file."""

    def __init__(self, name: str, database_url: str, tmp_path: Path, scheduler: str):
        env = {**os.environ, "DATABASE_URL": database_url, "EXPERTPOOL_SECRET_KEY": "two-processes-test",
               "EXPERTPOOL_WORKERS": "1", "EXPERTPOOL_BIND": "127.0.0.1:0", "EXPERTPOOL_SCHEDULER": scheduler,
               "EXPERTPOOL_TIMER_SECONDS": "1", "PYTHONPATH": str(ROOT),
               "EXPERTPOOL_CHECKPOINT_FILE": str(tmp_path / f"{name}-checkpoints.jsonl")}
        env.pop("EXPERTPOOL_AUDIT_KEY_FILE", None)
        self.log = tmp_path / f"{name}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
                                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.url = ""

    def wait_ready(self) -> "Server":
        """Until it listens and its worker answers."""
        self.url = self._wait_listening()
        self._wait_ready()
        return self

    def text(self) -> str:
        """Everything the server logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def _wait_listening(self) -> str:
        deadline = time.monotonic() + BOOT_SECONDS
        while time.monotonic() < deadline:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", self.text())
            if found:
                return found.group(1)
            assert self.process.poll() is None, f"server exited:\n{self.text()}"
            time.sleep(0.1)
        raise AssertionError(f"server did not listen:\n{self.text()}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + BOOT_SECONDS
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/api/v1/openapi.json")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"worker did not boot:\n{self.text()}")

    def call(self, method: str, path: str, token: str | None = None, body: dict | None = None):
        """(status, JSON) of one request."""
        request = urllib.request.Request(self.url + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def token(self, username: str) -> str:
        """A bearer token issued by this server."""
        status, body = self.call("POST", "/api/v1/auth/token", body={"username": username, "password": PASSWORD})
        assert status == 200, body
        return body["token"]

    def inbox(self, token: str) -> dict[int, str]:
        """My open tasks on this server: {task id: step}."""
        status, body = self.call("GET", "/api/v1/tasks?per_page=100", token)
        assert status == 200, body
        return {t["id"]: t["bpmn_id"] for t in body["items"]}

    def stop(self) -> None:
        """SIGTERM (as systemd stops it): gunicorn lets the worker finish, the worker gives up the lead."""
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture()
def servers(app, tmp_path):
    """Starts servers on the test database: servers(name, scheduler="off"); all stopped after the test."""
    started: list[Server] = []

    def start(name: str, scheduler: str = "off") -> Server:
        started.append(Server(name, app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, scheduler))
        return started[-1].wait_ready()  # stopped after the test even when it never became ready

    yield start
    for server in started:
        server.stop()


def _submitted(session, users) -> Application:
    call = make_call(session)
    return admission.submit_public(session, users["applicant"], application_form(), {}, T0, call.id)


def test_a_task_completed_on_one_process_is_gone_from_the_others_inbox(session, users, servers):
    application = _submitted(session, users)
    a, b = servers("a"), servers("b")
    assert a.process.pid != b.process.pid
    talent = a.token(users["talent_center"].username)  # a token issued by A is good on B: it is a row
    on_a, on_b = a.inbox(talent), b.inbox(talent)
    assert on_a == on_b and list(on_b.values()) == ["initial_review"]
    (review,) = on_b
    status, body = a.call("POST", f"/api/v1/tasks/{review}/complete", talent, {"data": PASS})
    assert status == 200, body
    assert review not in b.inbox(talent) and review not in a.inbox(talent)
    again, body = b.call("POST", f"/api/v1/tasks/{review}/complete", talent, {"data": PASS})
    assert 400 <= again < 500 and "error" in body, (again, body)  # done once, on whichever process
    division = b.token(users["quality_division"].username)
    (next_task,) = a.inbox(division)
    assert b.inbox(division) == {next_task: "division_review"}
    status, body = b.call("POST", f"/api/v1/tasks/{next_task}/complete", division,
                          {"data": {"decision": "pass", "propose_role": "none"}})
    assert status == 200, body
    assert next_task not in a.inbox(division)
    session.expire_all()
    assert session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.instance_id == application.instance_id, AuditEvent.action == "task_completed")) == 2


def _timer_events(session, application: Application) -> int:
    session.expire_all()
    count = session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.instance_id == application.instance_id, AuditEvent.action == "timer_fired"))
    session.rollback()
    return count


def _awaiting_commitment(session, users) -> Application:
    application = _submitted(session, users)
    approve_to_commitment(session, users, application.id)  # the 承诺书 timer (T0 + 14 days) is due by now
    return application


def test_a_due_timer_fires_once_with_both_schedulers_running_in_leader_mode(session, users, servers):
    application = _awaiting_commitment(session, users)
    a, b = servers("a", scheduler="leader"), servers("b", scheduler="leader")
    deadline = time.monotonic() + 60
    while _timer_events(session, application) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)  # several more ticks of both schedulers (every second)
    assert _timer_events(session, application) == 1
    assert session.get(Application, application.id).status == "lapsed"
    assert [LEADER_LINE in s.text() for s in (a, b)].count(True) == 1, a.text() + b.text()
    session.rollback()


def test_a_due_timer_fires_once_when_two_processes_run_fire_due_at_once(app, session, users):
    application = _awaiting_commitment(session, users)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from webui.cli import main; main()", "fire-timers",
               "--now", "2026-03-20T10:00:00+08:00"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    fired = sorted(int(re.search(r"fired (\d+)", out).group(1)) for out in outputs)
    assert fired == [0, 1], outputs
    assert _timer_events(session, application) == 1
    assert session.get(Application, application.id).status == "lapsed"
    session.rollback()
