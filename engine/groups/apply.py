"""Making an approved Art 9 group change effective: groups, positions, sub-teams, history, and the
group_leader role (inbox routing follows the data: tasks go to whoever leads the group now)."""

from datetime import datetime

from sqlalchemy import func, select, update

from engine.core import inbox_index
from engine.core.models import HumanTask
from engine.core.status import TaskState
from engine.experts.models import Expert, ExpertGroup, GroupMembership
from engine.groups import nominations
from engine.groups.models import GroupChange, GroupPositionHistory, SubTeam
from engine.groups.services import BUILDERS, group_state
from engine.groups.status import ChangeStatus
from engine.platform.models import User, UserRole
from engine.platform.policy import GROUP_LEADER
from rules import groups as art9


def recheck(session, change: GroupChange) -> list[str]:
    """The Art 9 rules against today's data (members may have left since the proposal)."""
    if change.kind == "add":
        codes = set(session.scalars(select(ExpertGroup.code)))
        return art9.new_group_problems(change.payload["code"], change.payload["name"], codes,
                                       set(session.scalars(select(ExpertGroup.name))))
    group = session.get(ExpertGroup, change.group_id)
    if group is None or not group.active:
        return ["该专家组已不存在或已撤销"]
    state = group_state(session, group)
    if change.kind == "appoint":
        proposal = art9.Leadership(change.payload["leader"], tuple(change.payload["deputies"]))
        return art9.leadership_problems(proposal, state.members, state.members)
    if change.kind == "sub_teams":
        teams = [art9.SubTeamSpec(t["name"], t["lead"], t["lead_method"]) for t in change.payload["teams"]]
        return art9.sub_team_problems(teams, state.members, state.members)
    if change.kind == "rename":
        others = set(session.scalars(select(ExpertGroup.name).where(ExpertGroup.id != group.id)))
        return art9.rename_problems(change.payload["name"], group.name, others)
    active = session.scalar(select(func.count()).select_from(ExpertGroup).where(ExpertGroup.active))
    return art9.retire_problems(group.active, active)


def _open_history(session, group_id, expert_id, position, now, change_id, sub_team_id=None) -> None:
    session.add(GroupPositionHistory(group_id=group_id, expert_id=expert_id, position=position,
                                     sub_team_id=sub_team_id, started_at=now, change_id=change_id))


def _close_history(session, group_id, now, position=None, expert_id=None, sub_team_id=None) -> None:
    query = update(GroupPositionHistory).where(GroupPositionHistory.group_id == group_id,
                                               GroupPositionHistory.ended_at.is_(None))
    if position:
        query = query.where(GroupPositionHistory.position == position)
    if expert_id:
        query = query.where(GroupPositionHistory.expert_id == expert_id)
    if sub_team_id:
        query = query.where(GroupPositionHistory.sub_team_id == sub_team_id)
    session.execute(query.values(ended_at=now).execution_options(synchronize_session=False))


def _add(session, change: GroupChange, now: datetime) -> list[int]:
    order = session.scalar(select(func.max(ExpertGroup.sort_order))) or 0
    group = ExpertGroup(code=change.payload["code"], name=change.payload["name"], aliases=[], active=True,
                        sort_order=order + 1)
    session.add(group)
    session.flush()
    change.group_id = group.id
    return []


def _rename(session, change: GroupChange, now: datetime) -> list[int]:
    group = session.get(ExpertGroup, change.group_id)
    # The old name stays an alias, so records and imports that use it still find the group.
    old_name = group.name
    group.aliases = list(dict.fromkeys([*(group.aliases or []), old_name]))
    group.name = change.payload["name"]
    inbox_index.refresh_found_by(session, old_name)  # open tasks of its members, applications, requests: new name
    return []


def _set_positions(session, group_id: int, holders: dict[int, str]) -> None:
    session.execute(update(GroupMembership).where(GroupMembership.group_id == group_id,
                                                  GroupMembership.position != "member")
                    .values(position="member").execution_options(synchronize_session=False))
    for expert_id, position in holders.items():
        session.execute(update(GroupMembership).where(GroupMembership.group_id == group_id,
                                                      GroupMembership.expert_id == expert_id)
                        .values(position=position).execution_options(synchronize_session=False))


def _retire(session, change: GroupChange, now: datetime) -> list[int]:
    group = session.get(ExpertGroup, change.group_id)
    state = group_state(session, group)
    group.active = False
    _set_positions(session, group.id, {})
    _close_history(session, group.id, now)
    for team in state.teams:
        team.active, team.retired_at = False, now
    return [state.leader] if state.leader else []


def _appoint(session, change: GroupChange, now: datetime) -> list[int]:
    group_id, payload = change.group_id, change.payload
    state = group_state(session, session.get(ExpertGroup, group_id))
    new = {payload["leader"]: "leader"} | {d: "deputy" for d in payload["deputies"]}
    old = ({state.leader: "leader"} if state.leader else {}) | {d: "deputy" for d in state.deputies}
    for expert_id, position in old.items():
        if new.get(expert_id) != position:
            _close_history(session, group_id, now, position, expert_id)
    for expert_id, position in new.items():
        if old.get(expert_id) != position:
            _open_history(session, group_id, expert_id, position, now, change.id)
    _set_positions(session, group_id, new)
    nominations.decide(session, group_id, change.id, now)  # the proposals made at admission were weighed here
    return [e for e in {state.leader, payload["leader"]} if e]


def _sub_teams(session, change: GroupChange, now: datetime) -> list[int]:
    group = session.get(ExpertGroup, change.group_id)
    current = {t.name: t for t in group_state(session, group).teams}
    wanted = {t["name"]: t for t in change.payload["teams"]}
    for name, team in current.items():
        if name not in wanted or wanted[name]["lead"] != team.lead_expert_id:
            _close_history(session, group.id, now, "sub_team_lead", sub_team_id=team.id)
        if name not in wanted:
            team.active, team.retired_at = False, now
    for name, spec in wanted.items():
        team = current.get(name)
        if team is None:
            team = SubTeam(group_id=group.id, name=name, created_at=now, change_id=change.id, active=True)
            session.add(team)
            session.flush()
        elif team.lead_expert_id == spec["lead"]:
            team.lead_method = spec["lead_method"]
            continue
        team.lead_expert_id, team.lead_method = spec["lead"], spec["lead_method"]
        _open_history(session, group.id, spec["lead"], "sub_team_lead", now, change.id, team.id)
    return []


EFFECTS = {"add": _add, "rename": _rename, "retire": _retire, "appoint": _appoint, "sub_teams": _sub_teams}
assert set(EFFECTS) == set(BUILDERS)


def _leads_a_group(session, expert_id: int) -> bool:
    return bool(session.scalar(select(GroupMembership.id).join(ExpertGroup).where(
        GroupMembership.expert_id == expert_id, GroupMembership.position == "leader", ExpertGroup.active).limit(1)))


def sync_leader_roles(session, expert_ids: list[int]) -> list[int]:
    """Grant group_leader to experts who lead a group now, revoke it from those who no longer do.

    Returns the user ids that lost the role (their open group-leader tasks are handed over)."""
    users = dict(session.execute(select(Expert.id, Expert.user_id).where(Expert.id.in_(expert_ids))).all())
    lost = []
    for expert_id, user_id in users.items():
        if user_id is None:
            continue
        user = session.get(User, user_id)
        leads = _leads_a_group(session, expert_id)
        if leads and GROUP_LEADER not in user.roles:
            user.role_links.append(UserRole(user_id=user.id, role_code=GROUP_LEADER))
        elif not leads and GROUP_LEADER in user.roles:
            user.role_links = [link for link in user.role_links if link.role_code != GROUP_LEADER]
            lost.append(user_id)
    return lost


def hand_over_tasks(session, handover: dict[int, int], now: datetime) -> int:
    """Open group-leader tasks of a former leader go to the new leader (no BPMN change needed)."""
    moved = 0
    for old_user, new_user in handover.items():
        moved += session.execute(update(HumanTask).where(
            HumanTask.state == TaskState.OPEN, HumanTask.lane_role == GROUP_LEADER, HumanTask.assignee_id == old_user)
            .values(assignee_id=new_user, claimed_by=None, claimed_at=None)
            .execution_options(synchronize_session=False)).rowcount
    return moved


def apply_change(session, change: GroupChange, actor, now: datetime) -> list[str]:
    """Re-check and apply an approved change; returns the reasons it could not take effect (empty = done)."""
    problems = recheck(session, change)
    change.decided_by, change.decided_at = getattr(actor, "id", None), now
    if problems:
        change.status, change.problems = ChangeStatus.FAILED, problems
        return problems
    touched = EFFECTS[change.kind](session, change, now)
    session.flush()
    lost = sync_leader_roles(session, touched) if touched else []
    successor = session.scalar(select(Expert.user_id).where(Expert.id == change.payload.get("leader"))) \
        if change.kind == "appoint" else None
    moved = hand_over_tasks(session, {u: successor for u in lost if u != successor}, now) if successor else 0
    change.status, change.problems = ChangeStatus.EFFECTIVE, []
    change.payload = {**change.payload, "tasks_handed_over": moved}
    return []
