"""Pending appointments (Art 9): proposals to make an expert a group's leader or deputy that were made outside
group_change — quality_division's 组长建议名单 at admission (Art 8(一)3). They are shown on the group page until
an appointment (group_change "appoint") takes effect for the group, which decides them."""

from datetime import datetime

from sqlalchemy import select, update

from engine.experts.models import Expert, ExpertGroup, GroupMembership
from engine.experts.status import ExpertStatus
from engine.groups.models import GroupNomination
from engine.groups.status import NominationStatus

POSITIONS = ("leader", "deputy")


def propose_position(session, expert_id: int, group_code: str, position: str, proposed_by: int | None,
                     application_id: int | None, now: datetime) -> GroupNomination | None:
    """Record a pending appointment of a member of an active group (None when the group or membership is gone)."""
    if position not in POSITIONS:
        raise ValueError(f"unknown group position {position!r}")
    group_id = session.scalar(select(ExpertGroup.id).join(GroupMembership, GroupMembership.group_id == ExpertGroup.id)
                              .where(ExpertGroup.code == group_code, ExpertGroup.active,
                                     GroupMembership.expert_id == expert_id))
    if group_id is None:  # retired meanwhile, or not one of the groups the person joined
        return None
    nomination = GroupNomination(group_id=group_id, expert_id=expert_id, position=position, source="admission",
                                 application_id=application_id, proposed_by=proposed_by, proposed_at=now,
                                 status=NominationStatus.PENDING)
    session.add(nomination)
    return nomination


def pending(session, group_id: int) -> list[tuple[GroupNomination, str]]:
    """The group's pending appointments of experts still in the pool, with their names, oldest first."""
    return [tuple(row) for row in session.execute(
        select(GroupNomination, Expert.name).join(Expert, Expert.id == GroupNomination.expert_id)
        .where(GroupNomination.group_id == group_id, GroupNomination.status == NominationStatus.PENDING,
               Expert.status == ExpertStatus.ACTIVE).order_by(GroupNomination.proposed_at, GroupNomination.id))]


def decide(session, group_id: int, change_id: int, now: datetime) -> int:
    """An appointment took effect for the group: its pending appointments were weighed by it (decided)."""
    return session.execute(update(GroupNomination).where(
        GroupNomination.group_id == group_id, GroupNomination.status == NominationStatus.PENDING)
        .values(status=NominationStatus.DECIDED, change_id=change_id, decided_at=now)
        .execution_options(synchronize_session=False)).rowcount
