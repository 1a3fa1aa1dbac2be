"""统计看板 over HTTP: the three reporting roles see every figure's table and download the same numbers as XLSX;
every other role gets 403 and nothing of it."""

import re
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from demo.seed import DEMO_PASSWORD
from engine.dashboard.figures import TERM_WINDOW_DAYS, dashboard
from engine.dashboard.xlsx import ENDING_SHEET
from tests.dashboard.dashboard_support import instant_with_terms_ending, seed_dashboard_world
from tests.experts.roster_support import DEC1
from tests.support import login
from webui.extensions import db


@pytest.fixture()
def world(app, session):
    """The flows' world, the page looked at on 1 December 2026."""
    seeded = seed_dashboard_world(session)
    app.config["FIXED_NOW"] = DEC1
    return seeded


def _as(app, username: str):
    client = app.test_client()
    assert login(client, username, DEMO_PASSWORD).status_code == 302
    return client


def _table_rows(html: str, key: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*data-table="{key}".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


@pytest.mark.parametrize("username", ["talent", "quality", "leader"])
def test_reporting_roles_see_the_tables_and_the_xlsx_holds_the_same_numbers(app, session, world, username):
    figures = dashboard(db.session, DEC1)
    client = _as(app, username)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="dashboard-data"' in html and "/vendor/echarts/echarts.min.js" in html and "统计看板" in html
    xlsx = client.get("/dashboard/dashboard.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(xlsx.data), read_only=True)
    assert book.sheetnames == [f.key for f in figures] + [ENDING_SHEET]
    for figure in figures:
        expected = [[str(v) for v in row] for row in figure.rows()]
        assert _table_rows(html, figure.key) == (expected or [["暂无数据"]]), figure.key
        sheet = list(book[figure.key].iter_rows(values_only=True))
        assert sheet[0][0] == figure.title and list(sheet[2]) == [figure.dimension, *(n for n, _ in figure.series)]
        assert [list(r) for r in sheet[3:]] == figure.rows(), figure.key
    assert sum(figures[-1].series[0][1]) == 1  # the ratings figure carries the finalized 优秀 form


def test_terms_ending_soon_are_listed_by_name_on_the_page_and_in_the_xlsx(app, session, world):
    at, today = instant_with_terms_ending(session)
    app.config["FIXED_NOW"] = at
    expected = session.execute(text(
        "SELECT name, certificate_no, term_end FROM expert WHERE status = 'active' AND term_end >= :today "
        "AND term_end <= :last ORDER BY term_end, id"),
        {"today": today, "last": today + timedelta(days=TERM_WINDOW_DAYS)}).all()
    expected = [[name, certificate, str(end)[:10]] for name, certificate, end in expected]
    assert expected
    client = _as(app, "talent")
    html = client.get("/dashboard/").get_data(as_text=True)
    listed = re.search(r'id="terms-ending-experts".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    rows = [re.findall(r"<td>(?:<a [^>]*>)?(.*?)(?:</a>)?</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", listed)]
    assert rows == expected
    book = load_workbook(BytesIO(client.get("/dashboard/dashboard.xlsx").data), read_only=True)
    sheet = list(book[ENDING_SHEET].iter_rows(values_only=True))
    assert sheet[0] == ("姓名", "聘书编号", "聘期届满日") and [list(r) for r in sheet[1:]] == expected


@pytest.mark.parametrize("username", ["fzunit", "expert1", "groupleader", "auditor", "owner", "admin", "applicant"])
def test_other_roles_get_403(app, session, world, username):
    client = _as(app, username)
    for url in ("/dashboard/", "/dashboard/dashboard.xlsx"):
        response = client.get(url)
        assert response.status_code == 403
        assert "无权访问" in response.get_data(as_text=True)
    assert "统计看板" not in client.get("/").get_data(as_text=True)  # nor offered in the menu


def test_menu_offers_the_dashboard_to_the_reporting_roles(app, session, world):
    assert 'href="/dashboard/"' in _as(app, "quality").get("/").get_data(as_text=True)


def test_echarts_is_served_locally(app, session, world):
    response = _as(app, "talent").get("/vendor/echarts/echarts.min.js")
    assert response.status_code == 200 and b"echarts" in response.data[:2000]
    response.close()
