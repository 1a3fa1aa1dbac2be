"""审计检索 by process instance: the instances whose events match, their matching counts, and the export."""

from sqlalchemy import func, select

from engine.core.models import AuditEvent
from tests.webui.audit_support import csv_rows, make_history, shown_instances, total_of, xlsx_rows
from tests.webui.test_ui_support import client_for, text_of


def _matching(session, *where) -> dict[int, int]:
    """instance id → number of its events satisfying `where` (the expected answer, read with SQL)."""
    query = (select(AuditEvent.instance_id, func.count()).where(AuditEvent.instance_id.is_not(None), *where)
             .group_by(AuditEvent.instance_id))
    return dict(session.execute(query).all())


def test_instances_view_lists_the_instances_with_matching_events(app, session, users):
    history = make_history(session, users)
    auditor = client_for(app, users["auditor"])
    cases = {
        "": _matching(session),
        "step=initial_review": _matching(session, AuditEvent.bpmn_id == "initial_review"),
        "action=draw_round": _matching(session, AuditEvent.action == "draw_round"),
        f"expert_id={history.confirmed.id}": _matching(session, AuditEvent.instance_id == history.request.instance_id),
    }
    assert list(cases["step=initial_review"]) == [history.application.instance_id]
    assert list(cases["action=draw_round"]) == [history.request.instance_id]
    for query, expected in cases.items():
        html = text_of(auditor.get(f"/audit/events?view=instances&{query}"))
        rows = shown_instances(html)
        assert {int(r[0]): int(r[8]) for r in rows} == expected, query
        assert total_of(html) == len(expected) and f'id="matched-events">{sum(expected.values())}<' in html
    newest_first = [int(r[0]) for r in shown_instances(text_of(auditor.get("/audit/events?view=instances")))]
    assert newest_first == [history.request.instance_id, history.application.instance_id]
    oldest_first = shown_instances(text_of(auditor.get("/audit/events?view=instances&order=asc")))
    assert [int(r[0]) for r in oldest_first] == newest_first[::-1]


def test_instances_export_holds_the_rows_shown_and_is_audited(app, session, users):
    make_history(session, users)
    auditor = client_for(app, users["auditor"])
    shown = shown_instances(text_of(auditor.get("/audit/events?view=instances&outcome=running")))
    assert len(shown) == 2
    for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        header, *rows = read(auditor.get(f"/audit/events/export.{fmt}?view=instances&outcome=running").data)
        assert header[0] == "实例" and rows == shown, fmt
    session.expire_all()
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "audit_search_exported")).all()
    assert [(e.data_after["view"], e.data_after["rows"], e.data_after["filters"]) for e in events] == [
        ("instances", 2, {"outcome": "running", "sort": "at", "descending": True})] * 2


def test_unknown_view_is_refused(app, session, users):
    auditor = client_for(app, users["auditor"])
    page = auditor.get("/audit/events?view=people")
    assert page.status_code == 422 and "未知的检索方式" in text_of(page)
    assert auditor.get("/audit/events/export.csv?view=people").status_code == 422
