"""In a real browser: find a task by applicant name and by full ID number (shown masked), save the search as a
filter that appears in the sidebar with its count, sort by a column, and see the nav count refresh itself."""

import re

from tests.browser.conftest import wait_until
from tests.support import PASSWORD, id_number, make_call, make_user
from tests.webui.test_ui_support import submit

ZHANG_ID = id_number(601, region="350203")
MASKED = ZHANG_ID[:4] + "*" * 10 + ZHANG_ID[-4:]


def _rows(page) -> list[str]:
    return [text.split(" — ")[0] for text in page.locator("#inbox-table tbody tr td.subject a").all_inner_texts()]


def _search(page, text: str) -> None:
    page.fill("#flt-q", text)
    page.click("#inbox-filters button[type=submit]")
    page.wait_for_load_state()


def test_search_save_filter_sort_and_live_count(live_server, page, session, users):
    call = make_call(session)
    submit(session, users["applicant"], call, name="张伟", id_number=ZHANG_ID, unit_name="厦门市计量检定测试院")
    submit(session, make_user(session, "li", "applicant"), call, name="李娜", id_number=id_number(602))
    submit(session, make_user(session, "wang", "applicant"), call, name="王芳", id_number=id_number(603))

    page.goto(f"{live_server}/login")
    page.fill("#username", users["talent_center"].username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/**")
    wait_until(page, "document.getElementById('nav-inbox-count').textContent === '3'")

    _search(page, "张伟")  # by applicant name
    assert _rows(page) == ["张伟"] and "q=" in page.url
    _search(page, ZHANG_ID)  # by the full ID number: found, shown masked only
    assert _rows(page) == ["张伟"]
    table = page.inner_text("#inbox-table tbody")
    assert MASKED in table and ZHANG_ID not in table

    page.fill("#save-filter input[name=name]", "厦门张伟")
    page.click("#save-filter button[type=submit]")
    page.wait_for_selector("text=已保存筛选：厦门张伟")
    entry = page.locator("#saved-filters .saved-filter", has_text="厦门张伟")
    assert entry.locator(".saved-filter-count").inner_text() == "1"

    page.goto(f"{live_server}/tasks")  # the whole inbox: the saved filter still counts its one task
    assert page.locator("#saved-filters .saved-filter-count").inner_text() == "1"
    assert len(_rows(page)) == 3
    page.click("#inbox-table th a[data-sort=subject]")
    page.wait_for_url(re.compile(r".*sort=subject.*"))
    ascending = _rows(page)
    page.click("#inbox-table th a[data-sort=subject]")  # again: descending
    page.wait_for_url(re.compile(r".*sort=-subject.*"))
    assert _rows(page) == ascending[::-1] and ascending == sorted(ascending)
    assert page.get_attribute("#inbox-table th[aria-sort]", "aria-sort") == "descending"

    page.locator("#saved-filters .saved-filter-link", has_text="厦门张伟").click()
    page.wait_for_load_state()
    assert _rows(page) == ["张伟"]

    # a new application arrives; the badge follows without a reload when the tab is shown again
    submit(session, make_user(session, "zhao", "applicant"), call, name="赵敏", id_number=id_number(604))
    page.evaluate("""() => {
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
        document.dispatchEvent(new Event('visibilitychange'));
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    wait_until(page, "document.getElementById('nav-inbox-count').textContent === '4'")
    assert _rows(page) == ["张伟"]  # the page itself was not reloaded
