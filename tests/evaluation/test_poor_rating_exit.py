"""A 差 overall rating (Art 14 → Art 15) for an expert whose exit case is already open is attached to that case
(a link and a note on it); when that case closes without exit, the rating gets its own exit review."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.evaluation import campaign
from engine.evaluation.models import Evaluation
from engine.exit import services as exits
from engine.experts.models import Expert
from engine.platform.attachments import Upload
from tests.exit.exit_support import approve_through, cases_of
from tests.experts.roster_support import DEC1, act, expert_user, make_engagement, make_expert, open_tasks
from tests.webui.test_ui_support import client_for, text_of

PDF = Upload("证据.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
POOR = {"overall_rating": "poor", "opinion": "全年两次无正当理由拒绝任务，一次评审报告逾期两周未提交"}


@pytest.fixture()
def rated_poor(session, users):
    """An expert with an exit case open on Art 15(5), then rated 差 in the 2026 campaign: (expert, case, form)."""
    leader_user = expert_user(session, "wuguohua", "group_leader")
    make_expert(session, "吴国华", user=leader_user, position="leader")
    member = make_expert(session, "林建华")
    make_engagement(session, member, users["using_unit"], date(2026, 4, 8), usage={"comment": "报告逾期"})
    case = exits.start_exit(session, users["talent_center"], {"expert_id": str(member.id), "ground": "art15_5",
                                                               "facts": "疑似泄露抽查计划"}, {"evidence": [PDF]}, DEC1)
    campaign.year_end_job(session, DEC1)
    form = session.scalar(select(Evaluation).where(Evaluation.expert_id == member.id))
    act(session, form.instance_id, leader_user, {"rating": "fair", "opinion": "参与度一般"}, "group_leader_rating")
    act(session, form.instance_id, users["talent_center"], POOR, "center_evaluation")
    session.expire_all()
    return member, case, session.get(Evaluation, form.id)


def test_the_rating_is_linked_and_noted_on_the_open_case(app, session, users, rated_poor):
    expert, case, form = rated_poor
    assert form.exit_case_id == case.id  # the 评价表 links the case that now carries the rating
    assert [c.id for c in cases_of(session, expert.id)] == [case.id]  # one case at a time
    page = text_of(client_for(app, users["talent_center"]).get(f"/yearly/exits/{case.id}"))
    assert 'id="exit-proposals"' in page and "年度履职评价总评价为“差”" in page
    assert POOR["opinion"] in page and f"/yearly/evaluations/{form.id}" in page
    evaluation_page = text_of(client_for(app, users["talent_center"]).get(f"/yearly/evaluations/{form.id}"))
    assert f"/yearly/exits/{case.id}" in evaluation_page


def test_a_case_closed_without_exit_opens_a_review_of_the_rating(app, session, users, rated_poor):
    expert, case, form = rated_poor
    later = DEC1 + timedelta(days=3)
    act(session, case.instance_id, users["talent_center"], {"decision": "dismiss", "facts": "泄密事实不成立"},
        "exit_center_review", now=later)
    first, second = cases_of(session, expert.id)
    assert (first.id, first.status) == (case.id, "dismissed")
    assert (second.status, second.source, second.trigger, second.trigger_key, second.ground) == (
        "open", "system", "poor_rating", "poor_rating:2026", "art15_6")
    assert POOR["opinion"] in second.facts
    assert [t.bpmn_id for t in open_tasks(session, second.instance_id)] == ["exit_center_review"]
    page = text_of(client_for(app, users["talent_center"]).get(f"/yearly/exits/{case.id}"))
    assert f"/yearly/exits/{second.id}" in page  # the closed case says where the rating went


def test_a_case_ending_in_exit_opens_nothing_more(session, users, rated_poor):
    expert, case, _ = rated_poor
    approve_through(session, users, case, now=DEC1 + timedelta(days=3))
    assert [(c.id, c.status) for c in cases_of(session, expert.id)] == [(case.id, "exited")]
    assert session.get(Expert, expert.id).status == "exited"
