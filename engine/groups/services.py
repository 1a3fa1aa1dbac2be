"""Art 9 group changes: quality_division proposes (add / rename / retire a group, appoint the leader and
deputies, set sub-teams) and the group_change process takes it to bureau_leader. This module validates a
proposal against the current data and the Art 9 rules and starts the process (one unit of work)."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from engine.core import runner
from engine.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.core.scripting import HostContext
from engine.core.uow import unit_of_work
from engine.experts.models import Expert, ExpertGroup, GroupMembership
from engine.experts.status import ExpertStatus
from engine.groups import nominations
from engine.groups.models import CHANGE_KINDS, GroupChange, SubTeam
from engine.groups.status import ChangeStatus
from engine.platform import policy
from rules import groups as art9


@dataclass
class GroupState:
    """A group now: its active members, leader, deputies and active sub-teams."""

    group: ExpertGroup
    members: dict[int, str] = field(default_factory=dict)  # expert id -> name
    leader: int | None = None
    deputies: list[int] = field(default_factory=list)
    teams: list[SubTeam] = field(default_factory=list)
    nominations: list[tuple] = field(default_factory=list)  # pending appointments: (GroupNomination, name)


def group_state(session, group: ExpertGroup) -> GroupState:
    """Current members (active experts), positions and sub-teams of one group."""
    rows = session.execute(select(Expert.id, Expert.name, GroupMembership.position)
                           .join(GroupMembership, GroupMembership.expert_id == Expert.id)
                           .where(GroupMembership.group_id == group.id, Expert.status == ExpertStatus.ACTIVE)
                           .order_by(Expert.name, Expert.id)).all()
    state = GroupState(group, {i: n for i, n, _ in rows})
    state.leader = next((i for i, _, p in rows if p == "leader"), None)
    state.deputies = [i for i, _, p in rows if p == "deputy"]
    state.teams = list(session.scalars(select(SubTeam).where(SubTeam.group_id == group.id, SubTeam.active)
                                       .order_by(SubTeam.id)))
    state.nominations = nominations.pending(session, group.id)
    return state


def overview(session, actor) -> list[GroupState]:
    """Every group (active first) with its current composition."""
    if not policy.allows(actor, policy.VIEW_GROUPS):
        raise Forbidden("您无权查看专家组设置")
    groups = session.scalars(select(ExpertGroup).order_by(ExpertGroup.active.desc(), ExpertGroup.sort_order))
    return [group_state(session, g) for g in groups]


def _int(value, field_name: str, label: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed({field_name: f"{label}无效"}) from None


def _group(session, raw: dict) -> ExpertGroup:
    group = session.get(ExpertGroup, _int(raw.get("group_id"), "group_id", "专家组") or 0)
    if group is None:
        raise ValidationFailed({"group_id": "请选择专家组"})
    if not group.active:
        raise ValidationFailed({"group_id": f"{group.name}已撤销，不能再调整"})
    pending = session.scalar(select(GroupChange.id).where(GroupChange.group_id == group.id,
                                                          GroupChange.status == ChangeStatus.PROPOSED))
    if pending:
        raise Conflict(f"{group.name}已有一项待批准的调整（编号 {pending}），请待其办结后再提出")
    return group


def _fail(problems: list[str]) -> None:
    if problems:
        raise ValidationFailed({f"rule_{i}": p for i, p in enumerate(problems)}, message="调整方案不符合第九条的规定")


def _names(session) -> tuple[set[str], set[str]]:
    rows = session.execute(select(ExpertGroup.code, ExpertGroup.name)).all()
    return {c for c, _ in rows}, {n for _, n in rows}


def _add(session, raw: dict) -> tuple[None, dict, dict, str]:
    code, name = (raw.get("code") or "").strip(), (raw.get("name") or "").strip()
    codes, names = _names(session)
    _fail(art9.new_group_problems(code, name, codes, names))
    return None, {"code": code, "name": art9.normalize_group_name(name)}, {}, f"新增专家组：{name}"


def _rename(session, raw: dict):
    group = _group(session, raw)
    name = (raw.get("name") or "").strip()
    _fail(art9.rename_problems(name, group.name, _names(session)[1] - {group.name}))
    return group, {"name": art9.normalize_group_name(name)}, {"name": group.name}, f"{group.name}更名为{name}"


def _retire(session, raw: dict):
    group = _group(session, raw)
    active = session.scalar(select(func.count()).select_from(ExpertGroup).where(ExpertGroup.active))
    _fail(art9.retire_problems(group.active, active))
    return group, {"active": False}, {"active": True}, f"撤销{group.name}"


def _appoint(session, raw: dict):
    group = _group(session, raw)
    state = group_state(session, group)
    leader = _int(raw.get("leader"), "leader", "组长")
    deputies = tuple(_int(d, "deputies", "副组长") for d in raw.get("deputies") or [] if d not in (None, ""))
    _fail(art9.leadership_problems(art9.Leadership(leader, deputies), state.members, state.members))
    names = "、".join(state.members[d] for d in deputies)
    return (group, {"leader": leader, "deputies": list(deputies)},
            {"leader": state.leader, "deputies": state.deputies},
            f"{group.name}：组长{state.members[leader]}，副组长{names}")


def _teams(session, raw: dict):
    group = _group(session, raw)
    state = group_state(session, group)
    teams = [art9.SubTeamSpec("".join((t.get("name") or "").split()), _int(t.get("lead"), "teams", "小组组长"),
                              t.get("lead_method") or "designated") for t in raw.get("teams") or []]
    _fail(art9.sub_team_problems(teams, state.members, state.members))
    payload = [{"name": t.name, "lead": t.lead, "lead_method": t.lead_method} for t in teams]
    before = [{"name": t.name, "lead": t.lead_expert_id, "lead_method": t.lead_method} for t in state.teams]
    summary = f"{group.name}专项工作小组：{'、'.join(t.name for t in teams) or '全部撤销'}"
    return group, {"teams": payload}, {"teams": before}, summary


BUILDERS = {"add": _add, "rename": _rename, "retire": _retire, "appoint": _appoint, "sub_teams": _teams}


def propose(session, actor, kind: str, raw: dict, now: datetime) -> GroupChange:
    """Validate a proposal (Art 9), record it and start group_change for bureau_leader's approval."""
    if not policy.allows(actor, policy.PROPOSE_GROUP_CHANGE):
        raise Forbidden("只有质量监督处可以提出专家组调整")
    if kind not in BUILDERS:
        raise NotFound("未知的调整类型")
    with unit_of_work(session):
        reason = (raw.get("reason") or "").strip()
        if not reason or len(reason) > 2000:
            raise ValidationFailed({"reason": "请填写调整理由（不超过 2000 字）"})
        group, payload, before, summary = BUILDERS[kind](session, raw)
        change = GroupChange(kind=kind, group_id=group.id if group else None, payload=payload, before=before,
                             summary=summary[:300], reason=reason, status=ChangeStatus.PROPOSED,
                             proposed_by=actor.id, proposed_at=now)
        session.add(change)
        session.flush()
        instance = runner.start(session, "group_change", HostContext(session, actor, now),
                                {"change_id": change.id, "change_kind": kind},
                                subject=f"{CHANGE_KINDS[kind]} — {summary}", business_key=f"GC-{change.id}")
        change.instance_id = instance.id
    return change


def get_change(session, actor, change_id: int) -> GroupChange:
    """One group change (viewer roles only)."""
    if not policy.allows(actor, policy.VIEW_GROUPS):
        raise Forbidden("您无权查看专家组调整")
    change = session.get(GroupChange, change_id)
    if change is None:
        raise NotFound("调整记录不存在")
    return change


def list_changes(session, actor, limit: int = 100) -> list[GroupChange]:
    """Recent group changes, newest first (the history of Art 9 adjustments)."""
    if not policy.allows(actor, policy.VIEW_GROUPS):
        raise Forbidden("您无权查看专家组调整")
    return list(session.scalars(select(GroupChange).order_by(GroupChange.id.desc()).limit(limit)))
