"""The inbox search answers by the current facts: when a fact a task is found by changes while the task stays open
(an expert's new unit by self-service or renewal, a renamed unit or group), the open rows are refreshed in the same
unit of work — `q=<new>` finds them at once and `q=<old>` no longer does, page and API alike."""

from datetime import date, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from engine.core import inbox_index
from engine.core.models import HumanTask
from engine.evaluation import campaign
from engine.evaluation.models import Evaluation
from engine.exit import services as exit_services
from engine.experts.models import ExpertGroup
from engine.groups import services as groups
from engine.platform.attachments import Upload
from engine.renewal import services as renewals
from engine.renewal.models import RenewalCase
from tests.assignment_support import create, make_pool, open_tasks, user_of
from tests.assignment_support import engagements as engagements_of
from tests.deploy.deploy_support import (
    decide,
    groups_restored,  # noqa: F401  (fixture)
)
from tests.experts.roster_support import DEC1, act, expert_user, make_expert
from tests.support import PASSWORD, T0, make_user
from tests.webui.test_ui_support import PDF, client_for, text_of

API = "/api/v1"
OLD_UNIT, NEW_UNIT = "厦门市标准化研究院", "福州海关技术中心"
EVIDENCE = {"evidence": [Upload("证据.pdf", "application/pdf", PDF)]}


def _bearer(app, user) -> dict:
    response = app.test_client().post(f"{API}/auth/token", json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _api_ids(app, headers, q: str) -> list[int]:
    response = app.test_client().get(f"{API}/tasks", query_string={"q": q}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def _page_has(client, q: str, row_id: int) -> bool:
    page = text_of(client.get(f"/tasks?q={quote(q)}"))
    return f'data-task-id="{row_id}"' in page


def _open_row(session, instance_id: int) -> HumanTask:
    session.expire_all()
    (row,) = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "open"))
    return row


def _exit_case(session, users, expert, now):
    raw = {"expert_id": str(expert.id), "ground": "art15_4", "facts": "接受被检查企业宴请，有照片为证"}
    return exit_services.start_exit(session, users["talent_center"], raw, EVIDENCE, now)


def _found_only_by_new(app, headers, row_id: int, old: str, new: str) -> None:
    assert row_id in _api_ids(app, headers, new), new
    assert row_id not in _api_ids(app, headers, old), old


def test_the_experts_new_unit_by_self_service_finds_their_open_evaluation_and_exit_tasks(app, session, users):
    app.config["FIXED_NOW"] = DEC1 + timedelta(hours=2)  # December: the evaluation is open (tokens of that day)
    leader_user = expert_user(session, "wuguohua", "group_leader")
    make_expert(session, "吴国华", user=leader_user, position="leader")
    me = expert_user(session, "linjianhua")
    expert = make_expert(session, "林建华", user=me, unit_name=OLD_UNIT)
    campaign.year_end_job(session, DEC1)  # the December evaluation: the group leader rates 林建华
    evaluation = session.scalar(select(Evaluation).where(Evaluation.expert_id == expert.id))
    rating = _open_row(session, evaluation.instance_id)
    exit_row = _open_row(session, _exit_case(session, users, expert, DEC1).instance_id)
    tc, leader = _bearer(app, users["talent_center"]), _bearer(app, leader_user)
    assert exit_row.id in _api_ids(app, tc, OLD_UNIT) and rating.id in _api_ids(app, leader, OLD_UNIT)

    changed = client_for(app, me).post("/yearly/me/contact", data={
        "phone": expert.phone, "email": expert.email, "unit_name": NEW_UNIT, "position": "主任"})
    assert changed.status_code == 302

    _found_only_by_new(app, tc, exit_row.id, OLD_UNIT, NEW_UNIT)
    _found_only_by_new(app, leader, rating.id, OLD_UNIT, NEW_UNIT)
    page = client_for(app, users["talent_center"])
    assert _page_has(page, NEW_UNIT, exit_row.id) and not _page_has(page, OLD_UNIT, exit_row.id)
    row = _open_row(session, exit_row.instance_id)
    assert row.unit_name == NEW_UNIT and "林建华" in row.search_text
    # the ID number is still only the keyed hash and the mask
    assert row.id_number_hash == inbox_index.id_hash(expert.id_number) and expert.id_number not in row.search_text
    assert row.id_number_masked == inbox_index.mask(expert.id_number)


def test_a_renewal_that_changes_the_unit_refreshes_the_experts_other_open_tasks(app, session, users):
    me = expert_user(session, "linjianhua")
    expert = make_expert(session, "林建华", user=me, unit_name=OLD_UNIT, term_start=date(2023, 5, 2),
                         term_end=date(2026, 5, 1))
    exit_row = _open_row(session, _exit_case(session, users, expert, T0).instance_id)
    renewals.renewal_scan_job(session, T0)
    case = session.scalar(select(RenewalCase).where(RenewalCase.expert_id == expert.id))
    act(session, case.instance_id, me, {"renew": "yes", "recommit": "on", "unit_name": NEW_UNIT},
        "renewal_confirm", now=T0)
    tc = _bearer(app, users["talent_center"])
    assert exit_row.id in _api_ids(app, tc, OLD_UNIT)  # the update applies only when renewed
    act(session, case.instance_id, users["quality_division"], {"decision": "pass"}, "renewal_division_review", now=T0)
    act(session, case.instance_id, users["bureau_leader"], {"decision": "approve"}, "renewal_leader_approval", now=T0)
    _found_only_by_new(app, tc, exit_row.id, OLD_UNIT, NEW_UNIT)
    assert _page_has(client_for(app, users["talent_center"]), NEW_UNIT, exit_row.id)


def test_a_renamed_unit_finds_its_open_work_request_tasks(app, session, users):
    admin = client_for(app, users["admin"])
    assert admin.post("/admin/units", data={"code": "fresh_search_unit", "name": "宁德测试局",
                                            "kind": "city"}).status_code == 302
    requester = make_user(session, "nd_unit", "using_unit", unit_code="fresh_search_unit")
    make_pool(session, 8)
    request = create(session, requester, title="2026年儿童玩具产品监督抽查")
    confirm = open_tasks(session, request, "confirm_availability")[0]
    drawn = user_of(session, engagements_of(session, request.id)[0])
    mine = _bearer(app, drawn)
    assert confirm.id in _api_ids(app, mine, "宁德测试局")

    unit_id = requester.unit_id
    assert admin.post("/admin/units", data={"unit_id": unit_id, "name": "宁德市市场监督管理局（测试）",
                                            "kind": "city"}).status_code == 302
    assert confirm.id in _api_ids(app, mine, "宁德市市场监督管理局（测试）")
    assert _page_has(client_for(app, drawn), "宁德市市场监督管理局", confirm.id)
    session.expire_all()
    row = session.get(HumanTask, confirm.id)
    assert row.unit_name == "宁德市市场监督管理局（测试）"  # the unit column shows the new name
    # The old name stays only in the subject, the instance's label written when the request was made (shown in
    # the row, so a search by it still finds the row).
    assert "宁德测试局" in row.subject and "宁德测试局" not in row.search_text.replace(inbox_index.normalize(row.subject), "")
    drawn_names = {user_of(session, e).display_name for e in engagements_of(session, request.id)}
    assert not any(name in row.search_text for name in drawn_names)  # Art 13: the refresh indexes no drawn name


@pytest.mark.usefixtures("groups_restored")
def test_a_renamed_group_finds_the_open_tasks_of_its_members(app, session, users):
    expert = make_expert(session, "林建华", unit_name=OLD_UNIT)
    exit_row = _open_row(session, _exit_case(session, users, expert, T0).instance_id)
    old = session.scalar(select(ExpertGroup).where(ExpertGroup.code == "supervision_sampling")).name
    tc = _bearer(app, users["talent_center"])
    assert exit_row.id in _api_ids(app, tc, old)
    change = groups.propose(session, users["quality_division"], "rename",
                            {"group_id": session.scalar(select(ExpertGroup.id).where(
                                ExpertGroup.code == "supervision_sampling")),
                             "name": "监督抽查与风险研判组", "reason": "根据工作需要调整（第九条）"}, T0)
    assert decide(session, change, users["bureau_leader"]).status == "effective"
    _found_only_by_new(app, tc, exit_row.id, old, "监督抽查与风险研判组")
    assert _page_has(client_for(app, users["talent_center"]), "监督抽查与风险研判组", exit_row.id)
