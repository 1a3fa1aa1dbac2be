"""In a real browser: the process owners' BPMN/DMN editor speaks Chinese. The palette's tooltips, a task's
context pad, the "change type" menu, the properties panel and the DMN decision table show the libraries' UI
text through our `translate` module (webui/frontend/src/zh-translate.js), and none of the known English labels
remains."""

import re

from tests.browser.conftest import wait_until
from tests.browser.test_workbench_browser import login

CJK = re.compile(r"[\u4e00-\u9fff]")
# What bpmn-js / dmn-js show in English when nobody translates them.
ENGLISH = {
    "Activate hand tool", "Activate lasso tool", "Activate create/remove space tool", "Activate global connect tool",
    "Create start event", "Create intermediate/boundary event", "Create end event", "Create gateway", "Create task",
    "Create data object reference", "Create data store reference", "Create expanded sub-process",
    "Create pool/participant", "Create group", "Append task", "Append end event", "Append gateway",
    "Append intermediate/boundary event", "Add text annotation", "Change element", "Connect to other element",
    "Delete", "Task", "User task", "Service task", "Script task", "Business rule task", "Send task",
    "Receive task", "Manual task", "Call activity", "Sub-process (collapsed)", "Sub-process (expanded)",
    "Transaction", "Event sub-process", "Loop", "Parallel multi-instance", "Sequential multi-instance",
    "General", "Documentation", "Name", "ID", "User Task", "Element documentation", "Search in diagram",
    "Toggle section", "Section contains edits",
    "Hit policy:", "View DRD", "When", "And", "Then", "Unique", "Add rule",
}


def _open_editor(page, base):
    login(page, base, "owner")
    page.goto(f"{base}/workbench/processes/admission_public")
    page.click("tr[data-version='1'] >> text=编辑为草稿")
    page.wait_for_selector("#modeler[data-ready='1']")


def _texts(page, selector: str, attribute: str | None = None) -> list[str]:
    return page.eval_on_selector_all(
        selector, "(els, attr) => els.map(el => attr ? (el.getAttribute(attr) || '') : el.textContent.trim())",
        attribute)


def _assert_chinese(texts: list[str], where: str) -> None:
    assert texts, f"nothing found in {where}"
    english = [t for t in texts if t in ENGLISH or not CJK.search(t)]
    assert not english, f"{where} still shows English: {english}"


def test_palette_context_pad_replace_menu_and_panel_are_chinese(live_server, page, session, users):
    _open_editor(page, live_server)

    # diagram-js 15 gives palette entries their text as the accessible name (aria-label), not a title.
    assert page.locator(".djs-palette").get_by_role("button", name="创建开始事件").count() == 1
    _assert_chinese(_texts(page, ".djs-palette .entry[aria-label]", "aria-label"), "palette")

    page.click(".djs-element[data-element-id='initial_review']")  # a user task: its context pad opens
    page.wait_for_selector(".djs-context-pad .entry[data-action='append.append-task']")
    pad = _texts(page, ".djs-context-pad .entry[title]", "title")
    _assert_chinese(pad, "context pad")
    assert {"追加任务", "追加网关", "更改类型", "删除"} <= set(pad)

    header = _texts(page, ".bio-properties-panel-header-type")
    groups = _texts(page, ".bio-properties-panel-group-header-title")
    assert header == ["用户任务"]
    _assert_chinese(groups, "properties panel groups")
    assert {"常规", "专家库设置", "说明文档"} <= set(groups)
    _assert_chinese(_texts(page, "#properties .bio-properties-panel-label"), "properties panel labels")
    buttons = _texts(page, "#properties .bio-properties-panel-group-header [title]", "title")
    _assert_chinese(buttons, "properties panel section buttons")
    assert "展开/收起本节" in buttons

    page.click(".djs-context-pad .entry[data-action='replace']")
    page.wait_for_selector(".djs-popup .djs-popup-body .entry")
    assert page.inner_text(".djs-popup .djs-popup-title") == "更改类型"
    entries = _texts(page, ".djs-popup .djs-popup-body .entry .djs-popup-label")
    _assert_chinese(entries, "replace menu")
    assert {"任务", "服务任务", "脚本任务", "业务规则任务"} <= set(entries)
    _assert_chinese(_texts(page, ".djs-popup .djs-popup-header .entry[title]", "title"), "replace menu header")
    page.fill(".djs-popup-search input", "脚本")  # searching the menu works with the Chinese labels
    page.press(".djs-popup-search input", "End")  # the menu filters on keyup, as after typing with an IME
    wait_until(page, "document.querySelectorAll('.djs-popup .djs-popup-body .entry').length === 1")
    assert _texts(page, ".djs-popup .djs-popup-body .entry .djs-popup-label") == ["脚本任务"]
    page.keyboard.press("Escape")

    # The diagram search pad (Ctrl+F) names its input for screen readers.
    page.wait_for_selector(".djs-search-container input", state="attached")
    assert page.get_attribute(".djs-search-container input", "aria-label") == "在流程图中搜索"


def test_the_dmn_decision_table_is_chinese_and_saves(live_server, page, session, users):
    _open_editor(page, live_server)
    page.click(".dmn-open")
    page.wait_for_selector("#dmn-canvas .tjs-table")
    text = page.inner_text("#dmn-canvas")
    assert "命中策略" in text and "查看决策需求图" in text
    for english in ("Hit policy", "View DRD", "Unique", "When", "Then", "string", "integer"):
        assert english not in text, english
    assert "年龄上限（周岁，第六条（三））" in text  # the table itself (our Chinese content) is unchanged
    page.click("#dmn-canvas >> text=查看决策需求图（DRD）")  # the DRD view has its own palette
    page.wait_for_selector("#dmn-canvas .drill-down-overlay button[title='打开决策表']")
    drd = _texts(page, "#dmn-canvas .djs-palette .entry[title]", "title")  # dmn-js bundles its own diagram-js
    _assert_chinese(drd, "DRD palette")
    assert "创建决策" in drd
    page.click("#dmn-save")  # the translated modeler still saves the file
    page.wait_for_selector("text=决策表文件 eligibility_thresholds.dmn 已保存。")
