"""In a real browser: the leader opens 统计看板 and every figure with data is drawn by ECharts on a canvas, under
the page's Content-Security-Policy (the `page` fixture fails on any CSP refusal)."""

from demo.seed import DEMO_PASSWORD
from engine.dashboard.figures import dashboard
from tests.browser.conftest import wait_until
from tests.dashboard.dashboard_support import seed_dashboard_world
from tests.experts.roster_support import DEC1


def test_charts_render_on_canvas(app, live_server, page, session):
    seed_dashboard_world(session)
    app.config["FIXED_NOW"] = DEC1
    drawn = [f.key for f in dashboard(session, DEC1) if f.categories]
    page.goto(f"{live_server}/login")
    page.fill("#username", "leader")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/**")
    page.click("nav >> text=统计看板")
    page.wait_for_url(f"{live_server}/dashboard/")
    wait_until(page, f"document.querySelectorAll('.dashboard-chart canvas').length >= {len(drawn)}")
    for key in drawn:
        canvas = page.locator(f"[data-figure={key}] canvas").first
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, key
    assert page.locator("[data-table=ratings] >> text=2026").is_visible()
    with page.expect_download() as download:
        page.click("#dashboard-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
