"""In a real browser: the editor's 专家库设置 group offers a process's start event the starter roles
(startRoles, issue 11 item 20), writes them as a spiffworkflow property, and the check page gives deploy's
verdict on them (a shipped process is started by its own pages and may declare none)."""

from sqlalchemy import select

from engine.deploy.models import ProcessDraft
from tests.browser.conftest import wait_until
from tests.browser.test_workbench_browser import login


def test_the_start_event_panel_writes_start_roles_and_the_check_explains_them(live_server, page, session, users):
    login(page, live_server, "owner")
    page.goto(f"{live_server}/workbench/processes/admission_public")
    page.click("tr[data-version='1'] >> text=编辑为草稿")
    page.wait_for_selector("#modeler[data-ready='1']")
    # The palette covers the start event at the diagram's left edge: select it as a click would.
    page.evaluate("(() => { const m = WorkbenchPage.modeler; "
                  "m.get('selection').select(m.get('elementRegistry').get('start')); })()")
    page.fill("#bio-properties-panel-spiff-startRoles", "质量监督处")
    wait_until(page,
        "WorkbenchPage.modeler.get('elementRegistry').get('start').businessObject.extensionElements !== undefined")
    page.wait_for_timeout(400)  # the panel debounces input
    page.click("#save-draft")
    page.wait_for_selector("text=草稿已保存。")
    session.rollback()
    draft = session.scalar(select(ProcessDraft).order_by(ProcessDraft.id.desc()))
    assert '<spiffworkflow:property name="startRoles" value="质量监督处"' in draft.bpmn_xml
    page.goto(f"{live_server}/workbench/drafts/{draft.id}/check")
    assert "随专家库发布，由其专用页面发起" in page.content()
