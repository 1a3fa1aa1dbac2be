"""In a real browser, as a compliance officer: read an expert's full history, search the audit log for that
expert, open the draw that engaged them and verify it, and export exactly the rows found."""

import csv
import io
from pathlib import Path

from tests.browser.test_workbench_browser import login
from tests.webui.audit_support import make_history


def test_an_auditor_searches_an_experts_history_verifies_the_draw_and_exports(live_server, page, session, users):
    history = make_history(session, users)
    expert, request = history.confirmed, history.request
    login(page, live_server, "auditor")

    page.goto(f"{live_server}/experts/{expert.id}/history")
    assert expert.name in page.inner_text("main") and request.title in page.inner_text("main")

    page.click("text=审计检索")
    page.fill("#expert_id", str(expert.id))
    page.click("#audit-search button[type=submit]")
    page.wait_for_selector("tr[data-event-id]")
    shown = page.locator("tr[data-event-id]").count()
    assert shown > 0
    search_url = page.url

    page.goto(f"{live_server}/assignment")
    page.click(f"text={request.title}")
    page.click("#verify-link")
    assert page.get_attribute("#verify-result", "data-match") == "1"

    page.goto(search_url)
    with page.expect_download() as download:
        page.click("#export-csv")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) - 1 == shown  # a header and exactly the rows the page showed (one page of results)
