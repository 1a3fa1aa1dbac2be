"""The full history of one expert (issue 13): application and reviews, admission and term, an engagement drawn,
declined and judged — one printable page and its XLSX, for oversight roles and the expert themself."""

import io
import re

from openpyxl import load_workbook

from engine.platform.models import User
from tests.admission.admission_support import admit
from tests.assignment_support import (
    APPROVE_UNJUSTIFIED,
    DECLINE,
    answer,
    complete_all,
    create,
    engagements,
    make_pool,
)
from tests.support import make_call, make_user
from tests.webui.test_ui_support import client_for, text_of


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _declined_once(session, users):
    """An admitted expert, drawn alone for a request, who declines; the leader judges the reason unjustified."""
    expert = admit(session, users, make_call(session))
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    (engagement,) = engagements(session, request.id)
    assert engagement.expert_id == expert.id
    answer(session, engagement, DECLINE)
    make_pool(session, 2, prefix="候补")  # someone to redraw after the cancellation
    assert complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_UNJUSTIFIED)
    return expert, request


def test_expert_history_page_and_xlsx(app, session, users):
    expert, request = _declined_once(session, users)
    auditor = client_for(app, users["auditor"])
    detail = text_of(auditor.get(f"/experts/{expert.id}"))
    assert f'href="/experts/{expert.id}/history"' in detail  # linked from the expert's page
    page = _plain(text_of(auditor.get(f"/experts/{expert.id}/history")))
    assert "林建华 履历" in page
    assert "申请与审核 时间 事项 详情 2026-03-02 09:00 入库申请（公开遴选） 已入库" in page
    assert "人才开发中心初审（tc_staff） 初审结论：通过" in page  # the reviews, with their conclusion
    assert "局领导批准（leader） 批准意见：批准" in page and "签订专家履职承诺书（admitted_applicant）" in page
    assert f"聘书编号 {expert.certificate_no}" in page and "聘期 2026-03-02 至 2029-03-01" in page
    assert "监督抽查组 成员" in page
    assert f"工作任务 #{request.id}：2026年电线电缆产品监督抽查 随机抽取" in page  # the request it was drawn for
    assert "随机抽取第 1 轮；已取消；拒绝理由：当周已有其他出差安排（认定无正当理由（计入第十五条第（一）项））" in page
    assert "确认参加并声明利害关系（admitted_applicant） 答复：无法参加" in page  # its own step of the shared case
    assert "局领导审批取消" not in page  # the request's other steps are not this expert's (the judgement is above)
    assert "续聘 时间 事项 详情 无" in page and "退出 时间 事项 详情 无" in page

    response = auditor.get(f"/experts/{expert.id}/history.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[1] == ["栏目", "时间", "事项", "详情", "流程编号"]
    assert any(r[0] == "参与工作" and "认定无正当理由" in (r[3] or "") for r in rows)
    assert any(r[0] == "申请与审核" and r[2] == "人才开发中心初审（tc_staff）" and r[3] == "初审结论：通过" for r in rows)


def test_expert_history_is_for_oversight_and_the_expert_themself(app, session, users):
    expert = admit(session, users, make_call(session))
    url = f"/experts/{expert.id}/history"
    own = client_for(app, session.get(User, expert.user_id))
    assert f'href="{url}"' in text_of(own.get("/yearly/me"))  # linked from the expert's own page
    assert own.get(url).status_code == 200
    assert client_for(app, users["talent_center"]).get(url).status_code == 200
    assert client_for(app, users["using_unit"]).get(url).status_code == 403
    assert client_for(app, users["using_unit"]).get(url + ".xlsx").status_code == 403
    assert client_for(app, make_user(session, "other_expert", "expert")).get(url).status_code == 403
    assert client_for(app, users["auditor"]).get("/experts/2000000000/history").status_code == 404


def test_draws_in_the_history_stay_sealed_from_the_leader_art_13(app, session, users):
    expert, request = _declined_once(session, users)
    url = f"/experts/{expert.id}/history"
    leader = _plain(text_of(client_for(app, users["bureau_leader"]).get(url)))  # sees requests with names sealed
    assert "抽取信息密封" in leader and "2026年电线电缆产品监督抽查" not in leader and "拒绝理由" not in leader
    assert "人才开发中心初审（tc_staff） 初审结论：通过" in leader  # the rest of the history stays
    own = _plain(text_of(client_for(app, session.get(User, expert.user_id)).get(url)))
    assert f"工作任务 #{request.id}：2026年电线电缆产品监督抽查" in own and "抽取信息密封" not in own
