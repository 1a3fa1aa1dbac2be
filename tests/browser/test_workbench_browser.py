"""In a real browser: open the editor, rename a task in bpmn-js, save, deploy, start a new instance and see
the new name in the inbox; files from other modelers load in bpmn-js and round-trip."""

import pytest
from lxml import etree
from sqlalchemy import select

from engine.admission import services as admission
from engine.core.models import HumanTask, ProcessInstance
from engine.core.registry import latest_version
from engine.deploy.models import ProcessDraft
from tests.browser.conftest import wait_until
from tests.deploy.deploy_support import external_files
from tests.support import PASSWORD, T0, application_form, make_call

NEW_NAME = "人才开发中心资格初审"


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/**")


def test_rename_a_task_in_bpmn_js_deploy_and_see_it_in_the_inbox(live_server, page, session, users):
    login(page, live_server, "owner")
    page.goto(f"{live_server}/workbench/processes/admission_public")
    page.click("tr[data-version='1'] >> text=编辑为草稿")
    page.wait_for_selector("#modeler[data-ready='1']")
    page.click(".djs-element[data-element-id='initial_review']")
    name = page.locator("#bio-properties-panel-name")
    name.fill(NEW_NAME)
    page.fill("#bio-properties-panel-spiff-dueDays", "7")  # the 专家库设置 group writes spiffworkflow properties
    wait_until(page,
        f"WorkbenchPage.modeler.get('elementRegistry').get('initial_review').businessObject.name === '{NEW_NAME}'")
    page.wait_for_timeout(400)  # the panel debounces input
    page.click("#save-draft")
    page.wait_for_selector("text=草稿已保存。")
    session.rollback()
    saved = session.scalar(select(ProcessDraft.bpmn_xml).order_by(ProcessDraft.id.desc()))
    assert "\r\n" not in saved
    assert f'name="{NEW_NAME}"' in saved and '<spiffworkflow:property name="dueDays" value="7"' in saved
    page.click("#deploy-button")
    page.wait_for_selector("text=已部署为第 2 版")

    session.expire_all()
    assert latest_version(session, "admission_public").version == 2
    app = admission.submit_public(session, users["applicant"], application_form(), {}, T0, make_call(session).id)
    assert session.get(ProcessInstance, app.instance_id).version.version == 2

    page.click("text=退出")
    login(page, live_server, "tc_staff")
    assert page.locator(f"text={NEW_NAME}").first.is_visible()
    assert session.scalar(select(HumanTask.name).where(HumanTask.instance_id == app.instance_id)) == NEW_NAME


def _ids(xml: str) -> set[str]:
    root = etree.fromstring(xml.encode("utf-8"))
    return {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}


@pytest.mark.shared_corpus
def test_files_made_elsewhere_load_in_the_editor_and_round_trip(live_server, page, session, users):
    login(page, live_server, "owner")
    page.goto(f"{live_server}/workbench/processes/admission_public")
    page.click("tr[data-version='1'] >> text=编辑为草稿")
    page.wait_for_selector("#modeler[data-ready='1']")
    for path in external_files():
        xml = path.read_text(encoding="utf-8")
        out = page.evaluate("""async (xml) => {
            const m = WorkbenchPage.modeler; const r = await m.importXML(xml);
            const saved = await m.saveXML({format: true}); return {xml: saved.xml, warnings: r.warnings.length};
        }""", xml)
        assert _ids(out["xml"]) >= _ids(xml) - {None}, path.name  # nothing the file defines is lost
    page.click(".dmn-open")  # the draft's DMN table opens in dmn-js
    page.wait_for_selector("#dmn-canvas .tjs-table")
    assert "年龄上限（周岁，第六条（三））" in page.locator("#dmn-canvas").inner_text()
    page.click("#dmn-save")
    page.wait_for_selector("text=决策表文件 eligibility_thresholds.dmn 已保存。")
