"""In a real browser (issue 15): 局领导 selects all 20 applications awaiting approval and approves them in one go;
one fails because another leader has claimed it; the result page names every item and retries the failed one.
And the inbox's keyboard: j/k move, x selects, o shows the facts, ? the help, a claims, Enter opens."""

from engine.core.models import HumanTask
from engine.tasks import services as task_service
from tests.browser.conftest import wait_until
from tests.support import PASSWORD, T0, id_number, make_call, make_user
from tests.webui.test_ui_support import advance, submit


def _awaiting_approval(session, users, n: int) -> list[HumanTask]:
    call = make_call(session)
    tasks = []
    for i in range(n):
        applicant = make_user(session, f"applicant_{i:02d}", "applicant")
        application = submit(session, applicant, call, name=f"申请人{i:02d}", id_number=id_number(300 + i))
        tasks.append(advance(session, users, application, "leader_approval"))
    return tasks


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/**")


def test_select_all_and_bulk_approve_twenty_with_one_failing_then_retry(live_server, page, session, users):
    tasks = _awaiting_approval(session, users, 20)
    other_leader = make_user(session, "leader2", "bureau_leader", unit_code="prov_office")
    _login(page, live_server, "leader")
    assert page.locator("#inbox-table input.row-select").count() == 20
    page.check("#select-page")
    wait_until(page, "document.getElementById('bulk-selected-count').textContent === '20'")
    assert page.locator("#inbox-table tr[aria-selected=true]").count() == 20

    stolen = tasks[7]  # meanwhile another leader claims one of them
    task_service.claim(session, stolen.id, other_leader, T0)

    page.fill("#leader_approval-comment", "同意入库")
    page.click("#bulk-approve-submit")
    page.wait_for_selector("#bulk-results")
    assert page.inner_text("#bulk-done") == "19" and page.inner_text("#bulk-failed") == "1"
    failed = page.locator("#bulk-results tr[data-ok=false]")
    assert failed.count() == 1
    assert "申请人07" in failed.inner_text() and "局领导批准" in failed.inner_text()
    assert "已被他人认领" in failed.inner_text()
    assert "申请人00" in page.inner_text("#bulk-results") and "成功" in page.inner_text("#bulk-results")
    assert page.locator("#bulk-retry input[name=task_ids]:checked").count() == 1

    task_service.unclaim(session, stolen.id, other_leader, T0)
    page.click("#bulk-retry-submit")
    page.wait_for_selector("#bulk-results")
    assert page.inner_text("#bulk-done") == "1" and page.inner_text("#bulk-failed") == "0"
    assert "申请人07" in page.inner_text("#bulk-results")
    session.expire_all()
    assert all(session.get(HumanTask, t.id).state == "done" for t in tasks)
    assert session.get(HumanTask, stolen.id).completed_by == users["bureau_leader"].id


def _focused_task(page) -> str | None:
    return page.evaluate("() => document.activeElement && document.activeElement.dataset.taskId || null")


def test_keyboard_moves_selects_claims_and_opens(live_server, page, session, users):
    tasks = _awaiting_approval(session, users, 3)
    first, second = str(tasks[0].id), str(tasks[1].id)
    _login(page, live_server, "leader")
    assert page.locator("#kbd-help").is_hidden()
    page.keyboard.press("?")
    assert page.locator("#kbd-help").is_visible() and "j" in page.inner_text("#kbd-help")

    page.keyboard.press("j")
    assert _focused_task(page) == first
    page.keyboard.press("j")
    assert _focused_task(page) == second
    page.keyboard.press("k")
    assert _focused_task(page) == first
    assert page.locator(f"tr[data-task-id='{first}']").get_attribute("class").find("row-focus") >= 0

    page.keyboard.press("x")
    assert page.locator(f"tr[data-task-id='{first}']").get_attribute("aria-selected") == "true"
    assert page.inner_text("#bulk-selected-count") == "1"
    page.keyboard.press("o")
    assert page.locator(f"#facts-{first}").is_visible()
    assert "人才开发中心初审" in page.inner_text(f"#facts-{first}")

    page.click("#leader_approval-comment")  # typing in a field is typing, not shortcuts
    page.keyboard.type("jjx")
    assert page.input_value("#leader_approval-comment") == "jjx"
    assert page.locator(f"tr[data-task-id='{first}']").get_attribute("aria-selected") == "true"

    page.locator("#leader_approval-comment").blur()
    page.keyboard.press("j")
    assert _focused_task(page) == second
    with page.expect_navigation():
        page.keyboard.press("a")  # claims the focused row through its own form (CSRF token included)
    page.wait_for_selector(f"tr[data-task-id='{second}'] form[action$='/unclaim']")
    assert "已认领该任务" in page.inner_text("main")
    session.expire_all()
    assert session.get(HumanTask, tasks[1].id).claimed_by == users["bureau_leader"].id

    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/tasks/{first}")
    page.wait_for_selector("#task-form")
