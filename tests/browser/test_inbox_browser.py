"""In a real browser: log in → inbox → complete a task → it leaves the inbox."""

from sqlalchemy import select

from engine.admission import services as admission
from engine.admission.models import Application
from engine.core.models import HumanTask
from tests.support import PASSWORD, T0, application_form, make_call


def test_reviewer_completes_initial_review_in_the_browser(live_server, page, session, users):
    call = make_call(session)
    app = admission.submit_public(session, users["applicant"], application_form(), {}, T0, call.id)
    subject = session.scalar(select(HumanTask.subject).where(HumanTask.instance_id == app.instance_id))

    page.goto(f"{live_server}/login")
    page.fill("#username", "tc_staff")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/**")
    assert page.locator("text=人才开发中心初审").first.is_visible()

    page.click(f"text={subject}")
    page.wait_for_selector("#task-form")
    assert page.locator("text=林建华").first.is_visible()  # the application under review is shown
    page.check("input[name=decision][value=pass]")
    page.check("input[name=credit_checked]")
    page.fill("textarea[name=comment]", "材料齐全，同意通过初审")
    page.click("text=提交办理")
    page.wait_for_selector("text=已办理")

    assert page.locator(f"a:has-text('{subject}')").count() == 0  # it left the inbox
    session.expire_all()
    assert session.get(Application, app.id).status == "in_review"
    step = session.scalar(select(HumanTask.bpmn_id).where(
        HumanTask.instance_id == app.instance_id, HumanTask.state == "open"))
    assert step == "division_review"
