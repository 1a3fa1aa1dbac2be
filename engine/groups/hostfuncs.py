"""Host functions of the group_change process (Art 9), registered on the allow-list on import."""

from sqlalchemy import select

from engine.core.contributions import Contributions
from engine.core.errors import Conflict, NotFound
from engine.core.scripting import HostContext
from engine.experts.models import Expert, ExpertGroup, GroupMembership
from engine.experts.status import ExpertStatus
from engine.groups.apply import apply_change
from engine.groups.models import GroupChange
from engine.groups.status import ChangeStatus

exports = Contributions()  # installed by engine.bootstrap


def _change(ctx: HostContext, change_id) -> GroupChange:
    change = ctx.session.get(GroupChange, int(change_id))
    if change is None:
        raise NotFound(f"专家组调整 {change_id} 不存在")
    if change.status != ChangeStatus.PROPOSED:
        raise Conflict(f"专家组调整 {change_id} 已办结")
    return change


@exports.host_function("apply_group_change")
def apply_group_change(ctx: HostContext, change_id, comment=None) -> dict:
    """Art 9: make an approved change effective after re-checking the rules against today's data."""
    change = _change(ctx, change_id)
    change.decision_comment = (comment or "")[:2000] or None
    problems = apply_change(ctx.session, change, ctx.actor, ctx.now)
    return {"applied": not problems, "problems": problems, "group_id": change.group_id}


@exports.host_function("set_group_change_status")
def set_group_change_status(ctx: HostContext, change_id, status, comment=None) -> dict:
    """Record bureau_leader's refusal of a proposed change."""
    if status != ChangeStatus.REJECTED:
        raise ValueError(f"unsupported group change status {status!r}")
    change = _change(ctx, change_id)
    change.status, change.decided_at = ChangeStatus.REJECTED, ctx.now
    change.decided_by, change.decision_comment = getattr(ctx.actor, "id", None), (comment or "")[:2000] or None
    return {"status": ChangeStatus.REJECTED}


@exports.host_function("find_group_leader")
def find_group_leader(ctx: HostContext, group_code) -> dict:
    """The current leader of a group (for assignee variables): routing follows the data, not the BPMN."""
    row = ctx.session.execute(
        select(Expert.id, Expert.name, Expert.user_id)
        .join(GroupMembership, GroupMembership.expert_id == Expert.id)
        .join(ExpertGroup, ExpertGroup.id == GroupMembership.group_id)
        .where(ExpertGroup.code == group_code, ExpertGroup.active, GroupMembership.position == "leader",
               Expert.status == ExpertStatus.ACTIVE)).first()
    if row is None:
        return {"expert_id": None, "name": None, "user_id": None}
    return {"expert_id": row[0], "name": row[1], "user_id": row[2]}
