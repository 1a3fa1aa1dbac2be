"""group_change (Art 9) through the real BPMN: propose → bureau_leader approves/rejects → effective,
with counts and membership enforced, history kept, and group-leader routing following the data."""

import pytest
from sqlalchemy import select

from engine.core.errors import Conflict, Forbidden, ValidationFailed
from engine.core.models import AuditEvent, HumanTask, ProcessInstance
from engine.core.scripting import HostContext
from engine.evaluation import campaign
from engine.experts.models import ExpertGroup, GroupMembership
from engine.groups import services as groups
from engine.groups.hostfuncs import find_group_leader
from engine.groups.models import GroupChange, GroupPositionHistory, SubTeam
from tests.deploy.deploy_support import (
    decide,
    experts_with_users,
    group,
    groups_restored,  # noqa: F401  (fixture)
    make_expert,
    open_rows,
    roles_of,
)
from tests.experts.roster_support import DEC1
from tests.support import T0, make_user

pytestmark = pytest.mark.usefixtures("groups_restored")
REASON = {"reason": "根据工作需要调整（第九条）"}


def appoint(session, users, code, leader, deputies):
    raw = {"group_id": group(session, code).id, "leader": leader.id, "deputies": [d.id for d in deputies]} | REASON
    return groups.propose(session, users["quality_division"], "appoint", raw, T0)


def positions(session, code):
    rows = session.execute(select(GroupMembership.expert_id, GroupMembership.position)
                           .where(GroupMembership.group_id == group(session, code).id)).all()
    return {e: p for e, p in rows if p != "member"}


def test_appointment_approved_takes_effect_with_history_and_leader_role(session, users):
    e = experts_with_users(session, 5)
    change = appoint(session, users, "supervision_sampling", e[0], e[1:3])
    instance = session.get(ProcessInstance, change.instance_id)
    assert instance.process_key == "group_change" and "组长专家001" in instance.subject
    assert positions(session, "supervision_sampling") == {}  # nothing changes before approval
    change = decide(session, change, users["bureau_leader"])
    assert change.status == "effective" and change.decided_by == users["bureau_leader"].id
    assert positions(session, "supervision_sampling") == {e[0].id: "leader", e[1].id: "deputy", e[2].id: "deputy"}
    assert "group_leader" in roles_of(session, e[0].user_id)
    assert session.get(ProcessInstance, change.instance_id).end_event == "调整已生效"
    ctx = HostContext(session, None, T0)
    assert find_group_leader(ctx, "supervision_sampling")["user_id"] == e[0].user_id

    # A new leader: the old one's group-leader role and open group-leader tasks move over, history closes.
    # The group-leader tasks come from the real December evaluation campaign (the group leader rates).
    campaign.year_end_job(session, DEC1)
    rating = session.scalars(select(HumanTask).where(
        HumanTask.state == "open", HumanTask.assignee_id == e[0].user_id)).all()
    assert rating and {t.bpmn_id for t in rating} == {"group_leader_rating"}
    task = rating[0]
    second = decide(session, appoint(session, users, "supervision_sampling", e[3], [e[1], e[4]]), users["bureau_leader"])
    assert second.status == "effective" and second.payload["tasks_handed_over"] == len(rating)
    assert positions(session, "supervision_sampling") == {e[3].id: "leader", e[1].id: "deputy", e[4].id: "deputy"}
    assert "group_leader" not in roles_of(session, e[0].user_id) and "group_leader" in roles_of(session, e[3].user_id)
    assert session.get(HumanTask, task.id).assignee_id == e[3].user_id
    history = session.scalars(select(GroupPositionHistory).order_by(GroupPositionHistory.id)).all()
    closed = {(h.expert_id, h.position) for h in history if h.ended_at is not None}
    assert closed == {(e[0].id, "leader"), (e[2].id, "deputy")}
    assert len([h for h in history if h.ended_at is None]) == 3 and len(history) == 5


@pytest.mark.parametrize("deputies,outsider,reason", [
    (1, False, "副组长2—3名"), (4, False, "副组长2—3名"), (2, True, "不是本组在库成员")])
def test_appointment_counts_and_membership_are_enforced(session, users, deputies, outsider, reason):
    e = experts_with_users(session, 5)
    stranger = make_expert(session, 50, ["risk_monitoring"])
    team = e[1:1 + deputies] if not outsider else [e[1], stranger]
    with pytest.raises(ValidationFailed) as err:
        appoint(session, users, "supervision_sampling", e[0], team)
    assert any(reason in m for m in err.value.errors.values())
    assert session.scalar(select(GroupChange.id)) is None  # nothing recorded, no process started


def test_leader_rejection_changes_nothing(session, users):
    e = experts_with_users(session, 3)
    change = decide(session, appoint(session, users, "supervision_sampling", e[0], e[1:3]), users["bureau_leader"],
                    "reject", "人选需再斟酌")
    assert change.status == "rejected" and change.decision_comment == "人选需再斟酌"
    assert positions(session, "supervision_sampling") == {}
    assert session.get(ProcessInstance, change.instance_id).end_event == "未予批准"


def test_recheck_at_approval_refuses_when_a_member_left(session, users):
    e = experts_with_users(session, 3)
    change = appoint(session, users, "supervision_sampling", e[0], e[1:3])
    session.get(type(e[2]), e[2].id).status = "exited"  # leaves the pool before the leader decides
    session.commit()
    change = decide(session, change, users["bureau_leader"])
    assert change.status == "failed" and any("不是本组在库成员" in p for p in change.problems)
    assert positions(session, "supervision_sampling") == {}
    assert session.get(ProcessInstance, change.instance_id).end_event == "情况已变化未生效"


def test_add_rename_retire_and_sub_teams(session, users):
    qd, leader = users["quality_division"], users["bureau_leader"]
    added = decide(session, groups.propose(session, qd, "add", {"code": "traceability", "name": "追溯体系组"} | REASON, T0),
                   leader)
    new = session.get(ExpertGroup, added.group_id)
    assert added.status == "effective" and new.name == "追溯体系组" and new.active
    with pytest.raises(ValidationFailed):  # names stay unique (alias-aware)
        groups.propose(session, qd, "add", {"code": "general2", "name": "综合服务组"} | REASON, T0)
    renamed = decide(session, groups.propose(session, qd, "rename", {"group_id": new.id, "name": "追溯组"} | REASON, T0),
                     leader)
    session.refresh(new)
    assert renamed.before == {"name": "追溯体系组"} and new.name == "追溯组" and "追溯体系组" in new.aliases

    e = [make_expert(session, i, ["traceability"]) for i in range(1, 4)]
    teams = [{"name": "电商产品组", "lead": e[0].id, "lead_method": "elected"},
             {"name": "儿童用品组", "lead": e[1].id, "lead_method": "designated"}]
    decide(session, groups.propose(session, qd, "sub_teams", {"group_id": new.id, "teams": teams} | REASON, T0), leader)
    teams[1]["lead"] = e[2].id
    decide(session, groups.propose(session, qd, "sub_teams", {"group_id": new.id, "teams": teams[1:]} | REASON, T0),
           leader)
    active = session.scalars(select(SubTeam).where(SubTeam.active)).all()
    assert [(t.name, t.lead_expert_id) for t in active] == [("儿童用品组", e[2].id)]
    leads = session.scalars(select(GroupPositionHistory).where(GroupPositionHistory.position == "sub_team_lead")).all()
    assert sorted((h.expert_id, h.ended_at is None) for h in leads) == [(e[0].id, False), (e[1].id, False), (e[2].id, True)]

    retired = decide(session, groups.propose(session, qd, "retire", {"group_id": new.id} | REASON, T0), leader)
    session.refresh(new)
    assert retired.status == "effective" and not new.active
    assert not session.scalars(select(SubTeam).where(SubTeam.active)).all()
    with pytest.raises(ValidationFailed):
        groups.propose(session, qd, "rename", {"group_id": new.id, "name": "又一组"} | REASON, T0)


def test_only_quality_division_proposes_and_one_pending_change_per_group(session, users):
    e = experts_with_users(session, 3)
    with pytest.raises(Forbidden):
        groups.propose(session, users["process_owner"], "rename",
                       {"group_id": group(session, "general").id, "name": "综合组"} | REASON, T0)
    appoint(session, users, "supervision_sampling", e[0], e[1:3])
    with pytest.raises(Conflict):
        appoint(session, users, "supervision_sampling", e[0], e[1:3])
    with pytest.raises(ValidationFailed) as err:
        groups.propose(session, users["quality_division"], "rename", {"group_id": group(session, "general").id,
                                                                      "name": "综合组", "reason": " "}, T0)
    assert "reason" in err.value.errors


def test_each_step_is_audited_with_the_version(session, users):
    e = experts_with_users(session, 3)
    change = decide(session, appoint(session, users, "supervision_sampling", e[0], e[1:3]), users["bureau_leader"])
    events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == change.instance_id)
                             .order_by(AuditEvent.id)).all()
    assert [ev.action for ev in events] == ["instance_started", "task_completed", "instance_completed"]
    assert all(ev.version_id == session.get(ProcessInstance, change.instance_id).version_id for ev in events)
    assert events[1].data_after["steps"][0]["result"]["applied"]["applied"] is True
    assert open_rows(session, change.instance_id) == [] and make_user  # nothing left in anyone's inbox
