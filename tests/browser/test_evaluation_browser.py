"""In a real browser: the group leader rates, talent_center finalises, the DOCX downloads and opens."""

from datetime import date

from docx import Document
from sqlalchemy import select

from engine.evaluation import campaign
from engine.evaluation.models import Evaluation
from tests.experts.roster_support import DEC1, expert_user, make_engagement, make_expert
from tests.support import PASSWORD


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/**")


def test_rate_finalise_and_download_the_docx(app, live_server, page, session, users, tmp_path):
    app.config["FIXED_NOW"] = DEC1
    leader = expert_user(session, "wuguohua", "group_leader")
    make_expert(session, "吴国华", user=leader, position="leader")
    member = make_expert(session, "林建华")
    make_engagement(session, member, users["using_unit"], date(2026, 6, 18), title="电线电缆监督抽查方案评审",
                    usage={"comment": "评审意见专业，按时提交"})
    campaign.year_end_job(session, DEC1)
    form = session.scalar(select(Evaluation).where(Evaluation.expert_id == member.id))

    log_in(page, live_server, "wuguohua")
    page.goto(f"{live_server}/yearly")
    page.click("#my-evaluations >> text=林建华")
    page.wait_for_selector("#evaluation-form")
    assert page.locator("#usage-records >> text=电线电缆监督抽查方案评审").is_visible()
    page.check("input[name=rating][value=excellent]")
    page.fill("textarea[name=opinion]", "优秀")
    page.click("#evaluation-form button[type=submit]")
    page.wait_for_selector("#form-errors")
    assert page.locator("text=须书面说明具体情况").first.is_visible()  # 附件3: 优秀 needs a specific account
    # The correction happens on the one task page (same form, errors shown, link back to the 评价表).
    assert page.locator("#evaluation-context").is_visible()
    page.check("input[name=rating][value=excellent]")
    page.fill("textarea[name=opinion]", "全年参加抽查方案评审，提出的修改意见全部被采纳，报告按时高质量提交")
    page.click("#task-form button[type=submit]")
    page.wait_for_selector("text=已办理：专家组组长评价")
    assert page.locator("#annex3").is_visible()  # back on the 评价表
    page.click("form[action='/logout'] button")
    page.wait_for_url(f"{live_server}/login")

    log_in(page, live_server, "tc_staff")
    page.goto(f"{live_server}/yearly/campaigns/2026")
    page.click("#evaluation-table >> text=林建华")
    page.wait_for_selector("#evaluation-form")
    assert "☑优秀" in page.inner_text("#group-rating")
    page.check("input[name=overall_rating][value=excellent]")
    page.fill("textarea[name=opinion]", "同意专家组意见，该专家全年履职表现突出，评为优秀")
    page.click("#evaluation-form button[type=submit]")
    page.wait_for_selector("text=已完成")
    assert page.inner_text("#evaluation-status") == "已完成"

    with page.expect_download() as info:
        page.click("#download-docx")
    path = tmp_path / "form.docx"
    info.value.save_as(path)
    assert info.value.suggested_filename.endswith(".docx")
    table = Document(str(path)).tables[0]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0][1] == "林建华" and "☑优秀" in cells[3][1] and "☑优秀" in cells[6][1]
    assert "电线电缆监督抽查方案评审" in cells[2][0] and "评为优秀" in cells[5][0]
    assert "本年内使用1次" in cells[7][0]
    session.expire_all()
    assert session.get(Evaluation, form.id).overall_rating == "excellent"
