"""The API's write path stays lean: a completion's statements are counted, and authenticated reads write nothing."""

from contextlib import contextmanager

from sqlalchemy import event

from tests.support import PASSWORD, application_form, make_call
from webui.extensions import db

API = "/api/v1"
INITIAL_PASS = {"decision": "pass", "checklist_ok": True, "credit_checked": True, "accept_age_exemption": "na"}
WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def statements(app):
    """The SQL statements the app's engine runs inside the block, the chain/write lock left out (SQLite's write-lock
    UPDATE, PostgreSQL's advisory lock: one per transaction either way, the database's own way of serializing)."""
    seen: list[str] = []

    def log(conn, cursor, statement, parameters, context, executemany):
        if "_write_lock" not in statement and "pg_advisory_xact_lock" not in statement:
            seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", log)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", log)


def _token(client, username: str) -> dict:
    response = client.post(f"{API}/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _open_initial_review(client, session, users) -> tuple[dict, int]:
    applicant, reviewer = _token(client, users["applicant"].username), _token(client, users["talent_center"].username)
    response = client.post(f"{API}/processes/admission_public/instances", headers=applicant,
                           json={"call_id": make_call(session).id, "form": application_form()})
    assert response.status_code == 201, response.get_json()
    items = client.get(f"{API}/tasks", headers=reviewer, query_string={"bpmn_id": "initial_review"}).get_json()["items"]
    return reviewer, items[0]["id"]


def test_a_completion_through_the_api_reads_each_row_once(app, client, session, users):
    reviewer, task_id = _open_initial_review(client, session, users)
    client.post(f"{API}/tasks/{task_id}/complete", headers=reviewer, json={"data": {"decision": "bogus"}})  # warm

    with statements(app) as seen:
        response = client.post(f"{API}/tasks/{task_id}/complete", headers=reviewer, json={"data": INITIAL_PASS})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["task"]["state"] == "done" and body["instance"]["lock_version"] == 3  # what was just written
    reads = [s for s in seen if s.startswith("SELECT")]
    # token+user, instance (locked), task, application, 3 writes, the new inbox row with its search text (the group
    # names read first), chain tail, event
    # A worker without the compiled spec (EXPERTPOOL_SPEC_CACHE=off, or the first request after a start) also
    # reads the version's BPMN and DMN files once: counted apart, so the bound holds in both modes.
    spec_reads = [s for s in reads if "process_version.bpmn_xml" in s or "process_version.dmn_files" in s]
    assert len(spec_reads) <= 2, spec_reads
    assert len(seen) - len(spec_reads) <= 10, seen  # the new inbox row goes out with its search columns in the INSERT
    assert sum(" FROM human_task " in s or " FROM process_instance " in s for s in reads) == 2, reads  # each once
    assert sum(" FROM application " in s for s in reads) == 1, reads  # the form hook's row, not read again
    assert not [s for s in reads if "process_version.forms" in s], reads  # the version's forms are cached
    assert not [s for s in seen if s.startswith(WRITES) and ("api_token" in s or "app_user" in s)], seen


def test_token_authenticated_reads_write_nothing(app, client, session, users):
    reviewer, task_id = _open_initial_review(client, session, users)
    with statements(app) as seen:
        for path in ("/tasks", f"/tasks/{task_id}", "/applications/mine"):
            assert client.get(API + path, headers=reviewer).status_code == 200
    writes = [s for s in seen if s.startswith(WRITES)]
    # Authentication writes nothing (no last-used stamps); the one write is the task detail's recorded view of the
    # applicant's unmasked personal data (talent_center sees it), as the task page records it.
    assert seen and len(writes) == 1 and writes[0].startswith("INSERT INTO audit_event"), writes
    assert sum("api_token" in s for s in seen) == 3  # one read per request: the token with its user and roles


def test_a_task_detail_reads_each_row_once(app, client, session, users):
    reviewer, task_id = _open_initial_review(client, session, users)
    client.get(f"{API}/tasks/{task_id}", headers=reviewer)  # warm
    with statements(app) as seen:
        assert client.get(f"{API}/tasks/{task_id}", headers=reviewer).status_code == 200
    reads = [s for s in seen if s.startswith("SELECT")]
    assert sum(" FROM process_instance " in s for s in reads) <= 1, reads  # held once, found again in the session
    assert sum(" FROM role " in s for s in reads) == 1, reads  # whether the viewer sees personal data: asked once
    # The recorded view of the applicant's data is the last write and reloads nothing (its commit changed no row
    # the answer shows): token+user, task, step forms (2), PII flag, history, instance, application, attachments,
    # groups, follow-up, chain tail, event.
    assert [s.split(" ")[0] for s in seen].count("INSERT") == 1 and len(seen) <= 13, seen
