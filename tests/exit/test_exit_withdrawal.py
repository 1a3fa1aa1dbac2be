"""Art 10(4): a voluntary withdrawal is reviewed and recorded, never refused — on the page, through the API and
the services, and on instances of the version deployed before it had its own steps."""

from pathlib import Path

import pytest
from sqlalchemy import select

from engine.core.errors import ValidationFailed
from engine.core.forms import task_form
from engine.core.models import HumanTask, ProcessInstance
from engine.deploy.versions import deploy, dmn_files_for, forms_for
from engine.exit import services as exits
from engine.exit.models import ExitCase
from engine.experts.models import Expert
from engine.platform.attachments import Upload
from tests.exit.exit_support import (
    AGREE,
    APPROVE,
    NOTICE,
    PROCEED,
    REFUSING,
    WITHDRAWAL_STEPS,
    cases_of,
)
from tests.experts.roster_support import act, expert_user, make_expert, open_tasks, the_task
from tests.support import PASSWORD, T0
from tests.webui.test_ui_support import client_for, text_of

OLD_EXIT = Path(__file__).parents[1] / "processes" / "old_versions" / "exit_voluntary_refusable.bpmn"
PDF = Upload("证据.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
WITHDRAWAL_CHOICE = {"withdrawal_center_review": "受理，按程序办理退出",
                     "withdrawal_division_review": "已审核，同意办理退出",
                     "withdrawal_leader_approval": "批准退出"}


@pytest.fixture()
def member(session):
    """An active expert with an account: (user, expert)."""
    user = expert_user(session, "linjianhua")
    return user, make_expert(session, "林建华", user=user)


def _withdraw(app, session, user) -> ExitCase:
    """The expert asks to withdraw on their own page."""
    response = client_for(app, user).post("/yearly/me/withdraw", data={"reason": "工作调动，无法继续履职",
                                                                       "confirm": "on"})
    assert response.status_code == 302
    (case,) = cases_of(session, session.scalar(select(Expert.id).where(Expert.user_id == user.id)))
    return case


def test_each_step_offers_no_refusal_and_refuses_one_with_the_reason(app, session, users, member):
    case = _withdraw(app, session, member[0])
    for step, role, values in WITHDRAWAL_STEPS[:3]:
        task = the_task(session, case.instance_id, step)
        assert task.lane_role == role
        choices = next(f["choices"] for f in task_form(session, task)["fields"] if f["name"] == "decision")
        assert [label for _, label in choices] == [WITHDRAWAL_CHOICE[step]]
        page = text_of(client_for(app, users[role]).get(f"/tasks/{task.id}"))
        assert WITHDRAWAL_CHOICE[step] in page and f'value="{values["decision"]}"' in page
        assert not any(f'value="{refusal}"' in page for refusal in ("dismiss", "disagree", "reject"))
        with pytest.raises(ValidationFailed) as err:  # the service refuses the refusal with the reason
            act(session, case.instance_id, users[role], REFUSING[step], step)
        assert "专家主动申请退出是其权利（第十条第（四）项）" in err.value.errors["decision"]
        session.expire_all()
        assert session.get(HumanTask, task.id).state == "open" and session.get(ExitCase, case.id).status == "open"
        act(session, case.instance_id, users[role], values, step)
    act(session, case.instance_id, users["talent_center"], NOTICE, "exit_record_notice")
    session.expire_all()
    assert session.get(ExitCase, case.id).status == "exited"
    assert session.get(Expert, case.expert_id).status == "exited"


def _token(client, user) -> dict:
    response = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_the_api_refuses_a_refusal_with_a_json_error_and_changes_nothing(app, client, session, users, member):
    case = _withdraw(app, session, member[0])
    for step, role, values in WITHDRAWAL_STEPS[:3]:
        headers = _token(client, users[role])
        task = the_task(session, case.instance_id, step)
        detail = client.get(f"/api/v1/tasks/{task.id}", headers=headers).get_json()
        decision = next(f for f in detail["form"]["fields"] if f["name"] == "decision")
        assert [c[0] for c in decision["choices"]] == [values["decision"]]
        refused = client.post(f"/api/v1/tasks/{task.id}/complete", headers=headers,
                              json={"data": REFUSING[step], "lock_version": detail["task"]["lock_version"]})
        assert refused.status_code == 422
        assert "第十条第（四）项" in refused.get_json()["error"]["fields"]["decision"]
        session.expire_all()
        assert session.get(HumanTask, task.id).state == "open"
        done = client.post(f"/api/v1/tasks/{task.id}/complete", headers=headers,
                           json={"data": values, "lock_version": detail["task"]["lock_version"]})
        assert done.status_code == 200, done.get_json()
    assert [t.bpmn_id for t in open_tasks(session, case.instance_id)] == ["exit_record_notice"]


def test_other_cases_keep_their_refusing_steps(session, users, member):
    case = exits.start_exit(session, users["talent_center"], {"expert_id": str(member[1].id), "ground": "art15_6",
                                                               "facts": "长期不能履职"},
                            {"evidence": [PDF]}, T0)
    assert the_task(session, case.instance_id).bpmn_id == "exit_center_review"
    act(session, case.instance_id, users["talent_center"], PROCEED)
    act(session, case.instance_id, users["quality_division"], {"decision": "disagree", "comment": "证据不足"})
    session.expire_all()
    assert session.get(ExitCase, case.id).status == "rejected"


def _deploy_old(session):
    xml = OLD_EXIT.read_text(encoding="utf-8")
    version = deploy(session, "exit", xml, dmn_files_for(xml), None, T0, source="test", forms=forms_for(xml))
    session.commit()
    return version


@pytest.mark.parametrize("step,role", [("exit_center_review", "talent_center"),
                                       ("exit_division_review", "quality_division"),
                                       ("exit_leader_approval", "bureau_leader")])
def test_instances_on_the_version_before_cannot_refuse_it_either(app, session, users, member, step, role):
    old = _deploy_old(session)
    case = _withdraw(app, session, member[0])
    assert session.get(ProcessInstance, case.instance_id).version_id == old.id
    chain = [("exit_center_review", "talent_center", PROCEED), ("exit_division_review", "quality_division", AGREE),
             ("exit_leader_approval", "bureau_leader", APPROVE)]
    for name, who, ok in chain:
        if name == step:
            with pytest.raises(ValidationFailed) as err:
                act(session, case.instance_id, users[role], REFUSING[step], step)
            assert "专家主动申请退出是其权利（第十条第（四）项）" in err.value.errors["decision"]
            assert session.get(ExitCase, case.id).status == "open"
        act(session, case.instance_id, users[who], ok, name)
    act(session, case.instance_id, users["talent_center"], NOTICE, "exit_record_notice")
    session.expire_all()
    assert (session.get(ExitCase, case.id).status, session.get(Expert, case.expert_id).status) == ("exited", "exited")


def test_the_version_before_still_refuses_other_cases(session, users, member):
    _deploy_old(session)
    case = exits.start_exit(session, users["talent_center"], {"expert_id": str(member[1].id), "ground": "art15_6",
                                                               "facts": "长期不能履职"},
                            {"evidence": [PDF]}, T0)
    act(session, case.instance_id, users["talent_center"], PROCEED)
    act(session, case.instance_id, users["quality_division"], AGREE)
    act(session, case.instance_id, users["bureau_leader"], {"decision": "reject", "comment": "暂缓"})
    session.expire_all()
    assert session.get(ExitCase, case.id).status == "rejected"

