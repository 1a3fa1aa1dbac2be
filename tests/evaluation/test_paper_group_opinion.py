"""附件3 专家组评价意见 when the group's leader / deputies have no account (most of the demo's): talent_center enters
their signed paper opinion with its scan, recorded as a paper opinion and who entered it — never skipped."""

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from engine.core.errors import Forbidden, ValidationFailed
from engine.core.models import HumanTask, ProcessInstance
from engine.core.timers import fire_due
from engine.deploy.versions import deploy, dmn_files_for, forms_for
from engine.evaluation import campaign
from engine.evaluation.models import Evaluation
from engine.platform.attachments import Upload
from engine.platform.models import Notification
from tests.experts.roster_support import DEC1, act, expert_user, make_engagement, make_expert, the_task
from tests.webui.test_ui_support import client_for, text_of

SCAN = Upload("专家组评价意见.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
PAPER = {"rating": "good", "opinion": "按时参加方案评审，意见具体可行"}
NO_RATER = "没有组长、副组长评价人"
OLD_VERSION = Path(__file__).parents[1] / "processes" / "old_versions" / "annual_evaluation_account_raters.bpmn"


@pytest.fixture()
def paper_season(session, users):
    """A group leader without an account, a member with 2026 work, the campaign launched on 1 December."""
    leader = make_expert(session, "吴国华", position="leader")  # no login
    member = make_expert(session, "林建华")
    make_engagement(session, member, users["using_unit"], date(2026, 4, 8), usage={"comment": "评审意见专业"})
    campaign.year_end_job(session, DEC1)
    forms = {e.expert_id: e for e in session.scalars(select(Evaluation))}
    return {"leader": leader, "form": forms[member.id], "leader_form": forms[leader.id]}


def test_talent_center_enters_the_paper_opinion_of_a_rater_without_an_account(app, session, users, paper_season):
    form, leader = paper_season["form"], paper_season["leader"]
    assert (form.status, form.rater_user_id, form.rater_expert_id) == ("group_pending", None, leader.id)
    task = the_task(session, form.instance_id, "group_paper_entry")
    assert (task.lane_role, task.assignee_id) == ("talent_center", None)
    tc = client_for(app, users["talent_center"])
    page = text_of(tc.get(f"/yearly/evaluations/{form.id}"))
    assert NO_RATER not in page and "吴国华未开通系统账号" in page and 'name="scan"' in page
    assert "1份的专家组评价人未开通系统账号" in session.scalar(select(Notification.body).where(
        Notification.user_id == users["talent_center"].id))
    act(session, form.instance_id, users["talent_center"], PAPER, "group_paper_entry", files={"scan": [SCAN]})
    session.expire_all()
    form = session.get(Evaluation, form.id)
    assert (form.status, form.group_rating, form.group_opinion) == ("center_pending", "good", PAPER["opinion"])
    assert (form.group_rated_by, form.group_paper_entered_by, len(form.group_paper_scan_ids)) == (
        None, users["talent_center"].id, 1)
    page = text_of(tc.get(f"/yearly/evaluations/{form.id}"))
    assert "评价人：吴国华（纸质评价意见，由tc_staff录入" in page and f"/attachments/{form.group_paper_scan_ids[0]}" in page
    rows = Document(io.BytesIO(tc.get(f"/yearly/evaluations/{form.id}/form.docx").data)).tables[0].rows
    group_cell = rows[4].cells[0].text
    assert PAPER["opinion"] in group_cell and "评价人：吴国华（纸质评价意见，由tc_staff录入）" in group_cell
    assert "☑良好" in rows[3].cells[1].text
    sheet = load_workbook(io.BytesIO(tc.get("/yearly/campaigns/2026/summary.xlsx").data))["2026年度评价汇总"]
    member_row = next(r for r in sheet.iter_rows(values_only=True) if r[2] == "林建华")
    assert (member_row[8], member_row[10]) == ("良好", "吴国华（纸质，tc_staff录入）")
    act(session, form.instance_id, users["talent_center"], {"overall_rating": "good", "opinion": "同意专家组意见"},
        "center_evaluation")
    session.expire_all()
    assert session.get(Evaluation, form.id).status == "finalized"


def test_a_paper_opinion_needs_its_scan_and_the_annex_3_explanation(session, users, paper_season):
    form = paper_season["form"]
    task = the_task(session, form.instance_id, "group_paper_entry")
    with pytest.raises(ValidationFailed) as err:
        act(session, form.instance_id, users["talent_center"], PAPER, "group_paper_entry")
    assert "scan" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        act(session, form.instance_id, users["talent_center"], {"rating": "poor", "opinion": "太差"},
            "group_paper_entry", files={"scan": [SCAN]})
    assert "须书面说明具体情况" in err.value.errors["opinion"]
    with pytest.raises(Forbidden):  # only talent_center's staff enter it, not the quality division
        act(session, form.instance_id, users["quality_division"], PAPER, "group_paper_entry", files={"scan": [SCAN]})
    session.expire_all()
    form = session.get(Evaluation, form.id)
    assert session.get(HumanTask, task.id).state == "open"
    assert (form.status, form.group_rating, form.group_paper_entered_by) == ("group_pending", None, None)


def test_an_expert_whose_group_has_no_other_post_holder_is_still_said_so(app, session, users, paper_season):
    leader_form = paper_season["leader_form"]  # leads the only group, no deputy: no one to rate them
    assert the_task(session, leader_form.instance_id).bpmn_id == "center_evaluation"
    page = text_of(client_for(app, users["talent_center"]).get(f"/yearly/evaluations/{leader_form.id}"))
    assert NO_RATER in page


def test_the_paper_entry_is_marked_overdue_after_31_december(session, users, paper_season):
    new_year = datetime(2026, 12, 31, 16, 0, 1, tzinfo=UTC)  # 2027-01-01 00:00:01 Asia/Shanghai
    assert fire_due(session, new_year) >= 1
    session.expire_all()
    form = session.get(Evaluation, paper_season["form"].id)
    assert form.overdue_at == new_year
    assert the_task(session, form.instance_id).bpmn_id == "group_paper_entry"  # still to be entered
    act(session, form.instance_id, users["talent_center"], PAPER, "group_paper_entry", files={"scan": [SCAN]},
        now=new_year + timedelta(days=1))
    session.expire_all()
    assert session.get(Evaluation, form.id).status == "center_pending"


def test_instances_of_the_version_before_keep_running(session, users):
    """That version knew only raters with an account: its instances go on as they started (no paper step)."""
    xml = OLD_VERSION.read_text(encoding="utf-8")
    old = deploy(session, "annual_evaluation", xml, dmn_files_for(xml), None, DEC1, source="test", forms=forms_for(xml))
    session.commit()
    leader_user = expert_user(session, "wuguohua", "group_leader")
    make_expert(session, "吴国华", user=leader_user, position="leader")
    member = make_expert(session, "林建华")
    campaign.year_end_job(session, DEC1)
    form = session.scalar(select(Evaluation).where(Evaluation.expert_id == member.id))
    assert session.get(ProcessInstance, form.instance_id).version_id == old.id
    act(session, form.instance_id, leader_user, PAPER, "group_leader_rating")
    act(session, form.instance_id, users["talent_center"], {"overall_rating": "good", "opinion": "同意专家组意见"},
        "center_evaluation")
    session.expire_all()
    assert (session.get(Evaluation, form.id).status, session.get(Evaluation, form.id).group_rating) == (
        "finalized", "good")
