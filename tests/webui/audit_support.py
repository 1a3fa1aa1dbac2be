"""Helpers for the audit search and export tests (no tests here): a history made by real flows, page parsing."""

import csv
import io
import re
from dataclasses import dataclass

from openpyxl import load_workbook

from engine.admission.models import Application
from engine.assignment.models import WorkRequest
from engine.experts.models import Expert
from tests.assignment_support import CONFIRM, answer, create, engagements, make_pool
from tests.support import make_call
from tests.webui.test_ui_support import advance, submit, text_of


@dataclass
class History:
    """What the flows produced: an admission case in progress, a drawn request, one expert who confirmed."""

    application: Application
    request: WorkRequest
    confirmed: Expert


def make_history(session, users) -> History:
    """An application past its first review (admission) and a random draw one expert confirmed (assignment)."""
    application = submit(session, users["applicant"], make_call(session))
    advance(session, users, application, "division_review")
    make_pool(session, 4)
    request = create(session, users["using_unit"], n_experts="2", n_backups="0")
    first = engagements(session, request.id)[0]
    answer(session, first, CONFIRM)
    return History(application, request, session.get(Expert, first.expert_id))


ROW = re.compile(r'<tr data-event-id="(\d+)">(.*?)</tr>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAG = re.compile(r"<[^>]+>")


def shown_rows(html: str) -> list[list[str]]:
    """The result table's rows as the page shows them (cell texts, tags stripped)."""
    import html as html_lib

    return [[html_lib.unescape(TAG.sub("", cell)).strip() for cell in CELL.findall(body)]
            for _, body in ROW.findall(html)]


def shown_ids(html: str) -> list[int]:
    """The event ids of the result table, in page order."""
    return [int(i) for i, _ in ROW.findall(html)]


def total_of(html: str) -> int:
    """The count the page states."""
    match = re.search(r'id="event-total">(\d+)<', html)
    assert match, "no total on the page"
    return int(match.group(1))


def all_pages(client, query: str) -> list[list[str]]:
    """Every row the search shows, page after page."""
    rows, page = [], 1
    while True:
        html = text_of(client.get(f"/audit/events?{query}&page={page}"))
        found = shown_rows(html)
        rows += found
        if "下一页" not in html:
            return rows
        page += 1


def csv_rows(body: bytes) -> list[list[str]]:
    """A CSV export's rows (header first)."""
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(body: bytes) -> list[list[str]]:
    """An XLSX export's rows (header first), every cell as text ("" when empty)."""
    sheet = load_workbook(io.BytesIO(body)).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


INSTANCE_ROW = re.compile(r'<tr data-instance-id="(\d+)">(.*?)</tr>', re.S)


def shown_instances(html: str) -> list[list[str]]:
    """The instance table's rows as the page shows them (cell texts, tags stripped)."""
    import html as html_lib

    return [[html_lib.unescape(TAG.sub("", cell)).strip() for cell in CELL.findall(body)]
            for _, body in INSTANCE_ROW.findall(html)]
