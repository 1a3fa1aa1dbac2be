"""Helpers of the history and privacy tests (no tests here): a returned-and-redone review, audit events read back."""

from sqlalchemy import select

from engine.core.models import AuditEvent
from tests.support import application_form
from tests.webui.test_ui_support import PASS, advance, client_for, open_task

RETURN = {"decision": "return", "credit_checked": "on", "checklist_ok": "on", "comment": "请补正联系电话"}
LONG_COMMENT = "同意入库。\n" + "材料齐全，业绩突出。" * 12


def returned_then_passed(app, session, users, application):
    """talent_center returns the 推荐表, the applicant answers, talent_center passes it with a long opinion."""
    task = advance(session, users, application, "initial_review")
    assert client_for(app, users["talent_center"]).post(f"/tasks/{task.id}", data=RETURN).status_code == 302
    correction = open_task(session, application)
    answer = application_form(phone="13900001111") | {"response": "已更正联系电话"}  # the whole 推荐表 again
    assert client_for(app, users["applicant"]).post(f"/tasks/{correction.id}", data=answer).status_code == 302
    review = open_task(session, application)
    assert review.bpmn_id == "initial_review"
    passed = {**PASS, "comment": LONG_COMMENT}
    assert client_for(app, users["talent_center"]).post(f"/tasks/{review.id}", data=passed).status_code == 302


def pii_events(session) -> list[AuditEvent]:
    """Every unmasked-view audit event, oldest first."""
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "pii_viewed").order_by(AuditEvent.id)))
