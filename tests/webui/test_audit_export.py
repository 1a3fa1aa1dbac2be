"""Exports: the audit search's CSV and XLSX hold exactly the rows the pages show, and each export is an audit
event; the expert list (入库名单) exports as the list shows it, masked per role."""

import pytest
from sqlalchemy import select

from engine.core.models import AuditEvent
from engine.tasks import search
from tests.webui.audit_support import all_pages, csv_rows, make_history, xlsx_rows
from tests.webui.test_ui_support import client_for, text_of


def _exported(session, actor_id: int, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                         AuditEvent.actor_id == actor_id)))


@pytest.mark.parametrize("fmt, read", [("csv", csv_rows), ("xlsx", xlsx_rows)])
def test_search_export_holds_exactly_the_rows_shown_and_is_audited(app, session, users, fmt, read):
    history = make_history(session, users)
    auditor = client_for(app, users["auditor"])
    query = f"expert_id={history.confirmed.id}&sort=action&order=asc&per_page=10"
    shown = all_pages(auditor, query)
    assert len(shown) > 1
    response = auditor.get(f"/audit/events/export.{fmt}?{query}")
    assert response.status_code == 200 and f".{fmt}" in response.headers["Content-Disposition"]
    header, *rows = read(response.data)
    assert tuple(header) == search.COLUMNS
    assert rows == shown  # same rows, same order, same cells as the pages (all of them, not just the first)
    [event] = _exported(session, users["auditor"].id, "audit_search_exported")
    assert event.data_after["format"] == fmt and event.data_after["rows"] == len(shown)
    assert event.data_after["filters"]["expert_id"] == history.confirmed.id
    assert event.data_after["event_ids"] == [int(r[0]) for r in shown]
    # the export is itself found by the search
    assert any(r[3] == "audit_search_exported" for r in all_pages(auditor, "action=audit_search_exported"))


def test_search_export_refuses_other_formats_and_changes_nothing(app, session, users):
    make_history(session, users)
    response = client_for(app, users["auditor"]).get("/audit/events/export.pdf")
    assert response.status_code == 422 and "仅支持导出 CSV 或 XLSX" in text_of(response)
    assert _exported(session, users["auditor"].id, "audit_search_exported") == []


def _expert_list(client, query: str) -> list[list[str]]:
    """The expert list's rows as the page shows them (id first, then the cells)."""
    import html as html_lib
    import re

    page = text_of(client.get(f"/experts?{query}"))
    rows = re.findall(r'<tr data-expert-id="(\d+)">(.*?)</tr>', page, re.S)
    return [[i] + [html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip().replace("—", "")
                   for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)] for i, body in rows]


@pytest.mark.parametrize("role", ["talent_center", "using_unit"])
@pytest.mark.parametrize("fmt, read", [("csv", csv_rows), ("xlsx", xlsx_rows)])
def test_expert_list_export_is_the_list_as_the_role_sees_it(app, session, users, role, fmt, read):
    history = make_history(session, users)
    client = client_for(app, users[role])
    query = "q=专家0"
    shown = _expert_list(client, query)
    assert len(shown) == 4 and "导出 CSV" in text_of(client.get(f"/experts?{query}"))
    response = client.get(f"/experts/export.{fmt}?{query}")
    assert response.status_code == 200
    header, *rows = read(response.data)
    assert header[:2] == ["编号", "姓名"] and rows == shown
    phone = next(r for r in rows if r[1] == history.confirmed.name)[6]
    assert (phone == history.confirmed.phone) == (role == "talent_center")  # masked exactly as the list masks
    [event] = _exported(session, users[role].id, "experts_exported")
    assert event.data_after["rows"] == 4 and event.data_after["filters"] == {"q": "专家0"}


def test_expert_list_export_refused_to_roles_without_the_list(app, session, users):
    make_history(session, users)
    for role in ("applicant",):
        assert client_for(app, users[role]).get("/experts/export.csv").status_code == 403
    assert client_for(app, users["talent_center"]).get("/experts/export.doc").status_code == 422
    assert _exported(session, users["talent_center"].id, "experts_exported") == []
