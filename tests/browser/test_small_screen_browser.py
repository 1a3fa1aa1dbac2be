"""In a real browser at 390 × 844 (a phone): the navigation folds behind a toggler, the inbox and the task
page fit the width (no horizontal page scroll), a task can be completed, and the overdue marks are readable
(WCAG AA: text/background contrast at least 4.5 : 1, computed from the colours the browser applied)."""

from datetime import timedelta

from sqlalchemy import select

from engine.admission import services as admission
from engine.core.models import HumanTask
from tests.browser.conftest import wait_until
from tests.support import PASSWORD, T0, application_form, make_call

PHONE = {"width": 390, "height": 844}
WIDTH = "document.documentElement.scrollWidth"

# The colours the browser applied to an element, and the first non-transparent background behind it.
COLOURS = """(el) => {
  let bg = el, colour = 'rgba(0, 0, 0, 0)';
  while (bg && (colour = getComputedStyle(bg).backgroundColor) === 'rgba(0, 0, 0, 0)') bg = bg.parentElement;
  return [getComputedStyle(el).color, bg ? colour : 'rgb(255, 255, 255)'];
}"""


def _channels(css: str) -> list[float]:
    return [float(v) for v in css[css.index("(") + 1:-1].split(",")[:3]]


def _luminance(css: str) -> float:
    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(css))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two CSS rgb() colours."""
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula():
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0
    assert contrast("rgb(176, 42, 55)", "rgb(220, 53, 69)") < 2  # the old red-on-red overdue badge


def test_a_phone_sized_screen_folds_the_menu_fits_the_pages_and_completes_a_task(app, live_server, page, session,
                                                                                users):
    call = make_call(session)
    application = admission.submit_public(session, users["applicant"], application_form(), {}, T0, call.id)
    task = session.scalar(select(HumanTask).where(HumanTask.instance_id == application.instance_id))
    assert task.due_at is not None
    app.config["FIXED_NOW"] = task.due_at + timedelta(days=1)  # the task is overdue when the pages are drawn
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server}/login")
    assert page.evaluate(WIDTH) <= 390
    page.fill("#username", "tc_staff")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#inbox-table")

    # The menu is folded: the toggler shows, the links do not, until it is tapped.
    assert page.locator("#nav-toggler").is_visible()
    assert not page.locator("#main-nav").is_visible()
    menu_link = page.locator("#main-nav a.nav-link", has_text="待办")
    assert not menu_link.is_visible()
    nav_height = page.locator("nav.navbar").bounding_box()["height"]
    assert nav_height < 844 / 10, nav_height  # a slim bar, not a third of the screen
    page.click("#nav-toggler")
    menu_link.wait_for(state="visible")
    wait_until(page, "document.querySelector('#main-nav').className.split(' ').includes('show')")  # opened
    assert page.locator("#nav-toggler").get_attribute("aria-expanded") == "true"
    page.click("#nav-toggler")
    menu_link.wait_for(state="hidden")

    # The inbox fits: one card per task, each value under its column's name.
    assert page.evaluate(WIDTH) <= 390, page.evaluate(WIDTH)
    row = page.locator(f"#inbox-table tr[data-task-id='{task.id}']")
    assert row.bounding_box()["width"] <= 390
    assert page.locator("#inbox-table thead").is_hidden()
    assert "办理期限" in (row.locator("td", has_text="已超期").get_attribute("data-label") or "")
    badge = row.locator(".overdue").first
    assert badge.is_visible()
    fg, bg = badge.evaluate(COLOURS)
    assert contrast(fg, bg) >= 4.5, (fg, bg, contrast(fg, bg))

    # The task page fits too, shows its overdue deadline readably, and the task can be completed.
    row.locator("a", has_text=task.subject).click()
    page.wait_for_selector("#task-form")
    assert page.evaluate(WIDTH) <= 390, page.evaluate(WIDTH)
    due = page.locator(".overdue", has_text="办理期限").first
    fg, bg = due.evaluate(COLOURS)
    assert contrast(fg, bg) >= 4.5, (fg, bg, contrast(fg, bg))
    page.check("input[name=decision][value=pass]")
    page.check("input[name=credit_checked]")
    page.fill("textarea[name=comment]", "材料齐全，同意通过初审")
    page.click("text=提交办理")
    page.wait_for_selector("text=已办理")
    assert page.evaluate(WIDTH) <= 390
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "done"
