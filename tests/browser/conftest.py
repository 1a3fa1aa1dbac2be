"""Browser fixtures: the app on a live loopback server and Debian's headless Chromium via Playwright."""

import pytest
from playwright.sync_api import sync_playwright

from tests.live_server import serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture()
def live_server(app, session):
    """Serve the test app on 127.0.0.1 (random port) with CSRF on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    with serving(app) as base:
        yield base
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture()
def page():
    """A fresh Chromium page (new empty profile per test)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15000)
        refused = []  # the pages must work under their own Content-Security-Policy (no inline script)
        page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
        yield page
        context.close()
        browser.close()
        assert not refused, refused


def wait_until(page, expression: str, timeout: float = 15) -> None:
    """Poll a JavaScript expression from here until it is true. Playwright's wait_for_function evaluates its
    predicate with eval inside the page, which the pages' Content-Security-Policy (rightly) refuses."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({expression})"):
        assert time.monotonic() < deadline, f"not true after {timeout} s: {expression}"
        page.wait_for_timeout(50)
