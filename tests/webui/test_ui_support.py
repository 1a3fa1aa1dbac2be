"""Helpers shared by the UI tests (no tests here): uploads, submitting and driving admission cases."""

import io
import re

from sqlalchemy import func, select

from engine.admission import services as admission
from engine.admission.models import Application
from engine.core.models import AuditEvent, HumanTask
from engine.platform.attachments import Upload
from engine.tasks import services as task_service
from tests.support import T0, application_form, login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
PASS = {"decision": "pass", "credit_checked": "on", "checklist_ok": "on", "comment": "材料齐全"}
DIVISION_PASS = {"decision": "pass", "propose_role": "none", "comment": "同意"}
APPROVE = {"decision": "approve", "comment": ""}
DOC = {"doc_no": "闽市监函〔2026〕88号", "doc_date": "2026-03-02"}
STEPS = [("initial_review", "talent_center", PASS), ("division_review", "quality_division", DIVISION_PASS),
         ("leader_approval", "bureau_leader", APPROVE), ("record_document", "talent_center", DOC)]


def pdf(name: str = "证明材料.pdf") -> Upload:
    """A small valid PDF upload."""
    return Upload(filename=name, content_type="application/pdf", data=PDF)


def submit(session, applicant, call, **overrides) -> Application:
    """Submit a valid 推荐表 with one PDF attachment through the service."""
    return admission.submit_public(session, applicant, application_form(**overrides),
                                   {"attachments": [pdf()]}, T0, call.id)


def open_task(session, app: Application) -> HumanTask:
    """The single open task of an application's instance."""
    session.expire_all()
    rows = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == app.instance_id, HumanTask.state == "open")).all()
    assert len(rows) == 1, [r.bpmn_id for r in rows]
    return rows[0]


def advance(session, users, app: Application, until: str) -> HumanTask:
    """Complete the admission steps through the services until the step `until` is open."""
    for step, role, values in STEPS:
        task = open_task(session, app)
        assert task.bpmn_id == step
        if step == until:
            return task
        task_service.complete(session, task.id, users[role], values, {}, T0)
    return open_task(session, app)


def count(session, model, *where) -> int:
    """Row count of a model (optionally filtered)."""
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def completed_events(session, task_id: int) -> int:
    """task_completed audit events of one inbox row."""
    task = session.get(HumanTask, task_id)
    return count(session, AuditEvent, AuditEvent.action == "task_completed", AuditEvent.task_guid == task.task_guid)


def text_of(response) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)


def csrf_token_in(html: str) -> str:
    """The CSRF token of a rendered page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no csrf token in page"
    return match.group(1)


def client_for(app, user=None):
    """A fresh test client, logged in as `user` when given (anonymous otherwise)."""
    client = app.test_client()
    if user is None:
        return client
    response = login(client, user.username)
    assert response.status_code == 302, response.status_code
    return client


def ui_application(call_id=None, files=None, **overrides) -> dict:
    """A 推荐表 as a multipart POST body: the valid form, a call and one PDF (or the given files)."""
    data = application_form(**overrides)
    data["attachments"] = files if files is not None else [(io.BytesIO(PDF), "证明材料.pdf", "application/pdf")]
    if call_id is not None:
        data["call_id"] = str(call_id)
    return data
