"""评价与出库 pages: overview per role, start now, the 评价表 page, bulk, DOCX/XLSX, access (403/404/422)."""

import io
import re
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from engine.core.models import HumanTask
from engine.evaluation import campaign
from engine.evaluation.models import Evaluation, EvaluationCampaign
from tests.experts.roster_support import DEC1, act, expert_user, make_engagement, make_expert
from tests.webui.test_ui_support import client_for, text_of

GOOD = {"rating": "good", "opinion": "按时参加方案评审，意见具体可行"}


@pytest.fixture()
def season(app, session, users):
    """December 2026: a leader (with account), a member with an account and work this year, the campaign open."""
    app.config["FIXED_NOW"] = DEC1
    leader_user = expert_user(session, "wuguohua", "group_leader")
    make_expert(session, "吴国华", user=leader_user, position="leader")
    member_user = expert_user(session, "linjianhua")
    member = make_expert(session, "林建华", user=member_user)
    make_engagement(session, member, users["using_unit"], date(2026, 4, 8), usage={"comment": "评审意见专业"},
                    title="电线电缆监督抽查方案评审")
    campaign.year_end_job(session, DEC1)
    form = session.scalar(select(Evaluation).where(Evaluation.expert_id == member.id))
    return {"leader": leader_user, "member_user": member_user, "member": member, "form": form}


def test_overview_per_role(app, session, users, season):
    tc = text_of(client_for(app, users["talent_center"]).get("/yearly"))
    assert "2026年度" in tc and "提出专家出库" in tc
    assert 'id="start-campaign"' not in tc  # 2026's campaign runs: nothing to start (Art 14: once, in December)
    leader = text_of(client_for(app, season["leader"]).get("/yearly"))
    assert "待我评价的专家" in leader and "林建华" in leader and 'id="start-campaign"' not in leader
    assert 'id="exits"' not in leader
    mine = text_of(client_for(app, season["member_user"]).get("/yearly"))
    assert "我的专家档案" in mine and "林建华" in mine and 'id="declaration-form"' in mine
    assert client_for(app, users["using_unit"]).get("/yearly").status_code == 403
    assert client_for(app).get("/yearly").status_code == 302  # to the login page


def test_start_now_from_the_page(app, session, users):
    app.config["FIXED_NOW"] = DEC1
    make_expert(session, "王丽")
    tc = client_for(app, users["talent_center"])
    response = tc.post("/yearly/campaigns", data={"year": "2026"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/yearly/campaigns/2026")
    assert session.scalar(select(EvaluationCampaign.trigger)) == "manual"
    again = tc.post("/yearly/campaigns", data={"year": "2026"})
    assert again.status_code == 409 and "已经启动" in text_of(again)
    assert tc.post("/yearly/campaigns", data={"year": "2020"}).status_code == 422
    assert client_for(app, users["quality_division"]).post("/yearly/campaigns", data={"year": "2026"}).status_code == 403


def test_group_leader_rates_on_the_form_page(app, session, users, season):
    form_id = season["form"].id
    leader = client_for(app, season["leader"])
    page = text_of(leader.get(f"/yearly/evaluations/{form_id}"))
    assert 'id="annex3"' in page and "电线电缆监督抽查方案评审" in page and "评审意见专业" in page
    assert "本年内使用 <strong>1</strong> 次" in page and 'id="evaluation-form"' in page
    action = re.search(r'action="(/tasks/\d+)"[^>]*id="evaluation-form"', page).group(1)
    lock = re.search(r'name="lock_version" value="(\d+)"', page).group(1)
    bad = leader.post(action, data={"rating": "excellent", "opinion": "优秀", "lock_version": lock})
    assert bad.status_code == 422 and "须书面说明具体情况" in text_of(bad)
    session.expire_all()
    assert session.get(Evaluation, form_id).status == "group_pending"
    done = leader.post(action, data=GOOD | {"lock_version": lock})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/yearly/evaluations/{form_id}")
    session.expire_all()
    assert session.get(Evaluation, form_id).status == "center_pending"
    after = text_of(leader.get(f"/yearly/evaluations/{form_id}"))
    assert 'id="evaluation-form"' not in after and "☑良好" in after


def test_evaluation_page_access(app, session, users, season):
    form_id = season["form"].id
    assert client_for(app, season["member_user"]).get(f"/yearly/evaluations/{form_id}").status_code == 403  # not final
    assert client_for(app, users["using_unit"]).get(f"/yearly/evaluations/{form_id}").status_code == 403
    assert client_for(app, users["talent_center"]).get("/yearly/evaluations/999999").status_code == 404
    stranger = client_for(app, expert_user(session, "stranger", "group_leader"))
    assert stranger.get(f"/yearly/evaluations/{form_id}").status_code == 403
    assert stranger.post(f"/yearly/evaluations/{form_id}", data=GOOD).status_code == 403
    moved = client_for(app, season["leader"]).post(f"/yearly/evaluations/{form_id}", data=GOOD)
    assert moved.status_code == 308 and "/tasks/" in moved.headers["Location"]  # old address: the one task page
    session.expire_all()
    assert session.get(Evaluation, form_id).status == "group_pending"


def test_campaign_page_filters_and_bulk(app, session, users, season):
    act(session, season["form"].instance_id, season["leader"], GOOD)
    tc = client_for(app, users["talent_center"])
    page = text_of(tc.get("/yearly/campaigns/2026?status=center_pending"))
    assert f'value="{season["form"].id}"' in page and 'id="bulk-card"' in page and "吴国华" in page
    assert 'id="select-all"' in page
    assert "林建华" in text_of(tc.get("/yearly/campaigns/2026?q=林"))
    assert "林建华" not in text_of(tc.get("/yearly/campaigns/2026?q=不存在"))
    leader_ids = session.scalars(select(Evaluation.id)).all()
    result = tc.post("/yearly/campaigns/2026/bulk", data={"evaluation_ids": [str(i) for i in leader_ids],
                                                           "mode": "adopt", "opinion": "同意专家组评价"})
    body = text_of(result)
    assert result.status_code == 200 and 'id="bulk-done">1<' in body and 'id="bulk-failed">1<' in body
    assert "没有专家组评价" in body
    empty = tc.post("/yearly/campaigns/2026/bulk", data={"mode": "adopt", "opinion": "x"}, follow_redirects=True)
    assert "请至少勾选一份评价表" in text_of(empty)
    leader_page = text_of(client_for(app, season["leader"]).get("/yearly/campaigns/2026"))
    assert "林建华" in leader_page and "吴国华" not in leader_page and 'id="bulk-card"' not in leader_page
    assert client_for(app, season["member_user"]).get("/yearly/campaigns/2026").status_code == 403
    assert tc.get("/yearly/campaigns/2030").status_code == 404


def test_docx_is_laid_out_like_annex_3(app, session, users, season):
    form = season["form"]
    act(session, form.instance_id, season["leader"], GOOD)
    act(session, form.instance_id, users["talent_center"],
        {"overall_rating": "excellent", "opinion": "全年承担抽查方案评审，意见被全部采纳，表现突出"})
    response = client_for(app, users["talent_center"]).get(f"/yearly/evaluations/{form.id}/form.docx")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    document = Document(io.BytesIO(response.data))
    assert "专家履职情况评价表" in "\n".join(p.text for p in document.paragraphs)
    table = document.tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert len(rows) == 8 and len(table.columns) == 4
    assert rows[0][0] == "专家姓名" and rows[0][1] == "林建华" and rows[0][2] == "入库时间"
    assert rows[1][0] == "工作组名称" and rows[1][1] == "监督抽查组"
    assert rows[2][0].startswith("任务完成情况") and "电线电缆监督抽查方案评审" in rows[2][0]
    assert rows[3][0] == "评价" and "☑良好" in rows[3][1] and "□优秀" in rows[3][1]
    assert rows[4][0].startswith("专家组评价意见") and GOOD["opinion"] in rows[4][0] and "评价人：wuguohua" in rows[4][0]
    assert rows[5][0].startswith("省市场监管局人才开发中心评价意见") and "表现突出" in rows[5][0]
    assert rows[6][0] == "总评价" and "☑优秀" in rows[6][1]
    assert "本年内使用1次；历年使用总次数1次" in rows[7][0]
    own = client_for(app, season["member_user"]).get(f"/yearly/evaluations/{form.id}/form.docx")
    assert own.status_code == 200  # the expert may download their own final form
    assert client_for(app, users["using_unit"]).get(f"/yearly/evaluations/{form.id}/form.docx").status_code == 403


def test_xlsx_summary_of_the_year(app, session, users, season):
    act(session, season["form"].instance_id, season["leader"], GOOD)
    response = client_for(app, users["quality_division"]).get("/yearly/campaigns/2026/summary.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["2026年度评价汇总"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "专家编号", "姓名") and len(rows) == 3
    member = next(r for r in rows[1:] if r[2] == "林建华")
    assert (member[6], member[7], member[8], member[13]) == (1, 1, "良好", "待人才开发中心评价")
    stats = dict(book["统计"].iter_rows(values_only=True))
    assert stats["评价表总数"] == 2 and stats["待人才开发中心评价"] == 2
    assert client_for(app, season["leader"]).get("/yearly/campaigns/2026/summary.xlsx").status_code == 403


def test_leader_inbox_task_has_the_campaign_due_date(app, session, season):
    task = session.scalar(select(HumanTask).where(HumanTask.assignee_id == season["leader"].id))
    page = text_of(client_for(app, season["leader"]).get(f"/tasks/{task.id}"))
    assert "2026-12-31 23:59" in page
