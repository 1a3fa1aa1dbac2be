"""In a real browser: a unit requests experts, the drawn expert confirms, the unit records usage.
Also: bpmn-js (served locally) renders the assignment diagram from its DI without warnings."""

import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from engine.assignment.models import WorkRequest
from engine.experts.models import Engagement, Expert, UsageRecord
from engine.platform.models import User
from tests.assignment_support import make_pool
from tests.support import PASSWORD

BPMN = Path(__file__).resolve().parents[2] / "processes" / "assignment" / "assignment.bpmn"


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/**")


def log_out(page) -> None:
    page.click("nav form button[type=submit]")
    page.wait_for_selector("#username")


def test_request_confirm_and_record_usage(app, live_server, page, session, users):
    make_pool(session, 4)
    log_in(page, live_server, users["using_unit"].username)
    page.goto(f"{live_server}/assignment")
    page.click("#new-request")
    page.fill("#f_title", "浏览器测试：电线电缆监督抽查")
    page.select_option("#f_work_type", "spot_check")
    page.select_option("#f_group_code", "supervision_sampling")
    page.fill("#f_n_experts", "1")
    page.fill("#f_n_backups", "0")
    page.fill("#f_start_date", "2026-03-16")
    page.fill("#f_end_date", "2026-03-17")
    page.fill("#f_place", "福州市鼓楼区")
    page.fill("#f_parties", "福建某某电缆有限公司，91350100MA3123456D")
    page.check("input[name=method][value=random]")
    page.click("text=提交申请")
    page.wait_for_selector("#draw-record")
    assert page.locator("#candidate-count").inner_text() == "4"
    request = session.scalar(select(WorkRequest))
    engagement = session.scalar(select(Engagement).where(Engagement.request_id == request.id))
    expert = session.get(Expert, engagement.expert_id)
    assert page.locator(f"#engagements >> text={expert.name}").is_visible()
    log_out(page)

    log_in(page, live_server, session.get(User, expert.user_id).username)
    page.goto(f"{live_server}/assignment")
    page.click("#my-engagements >> text=去确认")
    page.wait_for_selector("#confirm-form")
    assert page.locator("text=福建某某电缆有限公司").first.is_visible()
    page.check("input[name=decision][value=confirm]")
    page.check("input[name=no_conflict_pledge]")
    page.click("text=提交答复")
    page.wait_for_selector("#request-status")
    assert page.locator("#request-status").inner_text() == "已选派"
    log_out(page)

    app.config["FIXED_NOW"] = datetime(2026, 3, 17, 10, 0, tzinfo=UTC)  # the work has ended: usage may be recorded
    log_in(page, live_server, users["using_unit"].username)
    page.goto(f"{live_server}/assignment/requests/{request.id}")
    page.click("#my-actions >> text=登记专家使用情况")
    page.wait_for_selector("#task-form")
    assert page.locator(f"#task-expert >> text={expert.name}").is_visible()
    page.check("input[name=completion][value=completed]")
    page.check("input[name=professional_level][value=good]")
    page.check("input[name=attitude][value=excellent]")
    page.check("input[name=commitment_compliance][value=complied]")
    page.click("text=提交办理")
    page.wait_for_selector("#request-status")
    assert page.locator("#request-status").inner_text() == "已完成"
    session.expire_all()
    usage = session.scalar(select(UsageRecord))
    assert (usage.attitude, usage.recorded_by) == ("excellent", users["using_unit"].id)


def test_bpmn_js_renders_the_assignment_diagram(live_server, page):
    page.goto(f"{live_server}/login")
    page.add_script_tag(url=f"{live_server}/vendor/bpmn-js/bpmn-viewer.development.js")
    page.evaluate("() => { const d = document.createElement('div'); d.id = 'canvas';"
                  " d.style.width = '1600px'; d.style.height = '900px'; document.body.appendChild(d); }")
    result = page.evaluate("""async (xml) => {
        const viewer = new BpmnJS({container: '#canvas'});
        const {warnings} = await viewer.importXML(xml);
        const elements = viewer.get('elementRegistry').getAll();
        return {warnings: warnings.map(w => w.message), shapes: elements.filter(e => !e.waypoints).length,
                edges: elements.filter(e => e.waypoints).length};
    }""", BPMN.read_text(encoding="utf-8"))
    assert result["warnings"] == []
    flows = len(re.findall(r"<bpmn:sequenceFlow ", BPMN.read_text(encoding="utf-8")))
    assert result["edges"] == flows and result["shapes"] > 40
