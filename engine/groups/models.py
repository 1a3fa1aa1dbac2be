"""Workbench tables: process drafts edited by process owners, and Art 9 group changes with their history."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.core.db import Base, utcnow
from engine.core.types import JSONType, UTCDateTime
from engine.groups.status import ChangeStatus, NominationStatus

CHANGE_KINDS = {"add": "新增专家组", "rename": "专家组更名", "retire": "撤销专家组",
                "appoint": "任命组长、副组长", "sub_teams": "调整专项工作小组"}


CHANGE_STATUSES = ChangeStatus.labels()  # webui/ reads it (until it reads the enum)


POSITIONS = {"leader": "组长", "deputy": "副组长", "sub_team_lead": "专项工作小组组长"}


class GroupChange(Base):
    """An Art 9 group change proposed by quality_division; effective once bureau_leader approves."""

    __tablename__ = "group_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("expert_group.id"), index=True)
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)  # the proposed state
    before: Mapped[dict] = mapped_column(JSONType, default=dict)  # the state when proposed
    summary: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=ChangeStatus.PROPOSED, index=True)
    problems: Mapped[list] = mapped_column(JSONType, default=list)  # why it did not take effect
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    proposed_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_comment: Mapped[str | None] = mapped_column(Text)


class GroupNomination(Base):
    """A proposal to make an expert a group's leader or deputy made outside group_change — quality_division's
    proposal at admission (Art 8(一)3, 组长建议名单) — pending until an appointment decides the group's posts."""

    __tablename__ = "group_nomination"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("expert_group.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    position: Mapped[str] = mapped_column(String(20))  # leader | deputy
    source: Mapped[str] = mapped_column(String(20), default="admission")
    application_id: Mapped[int | None] = mapped_column(Integer)  # plain column: the admission it came from
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default=NominationStatus.PENDING, index=True)
    change_id: Mapped[int | None] = mapped_column(ForeignKey("group_change.id"))  # the appointment that decided it
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SubTeam(Base):
    """A special-task sub-team (专项工作小组) inside a group, with its lead (Art 9)."""

    __tablename__ = "sub_team"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("expert_group.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    lead_expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"))
    lead_method: Mapped[str] = mapped_column(String(12), default="designated")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    change_id: Mapped[int | None] = mapped_column(ForeignKey("group_change.id"))


class GroupPositionHistory(Base):
    """Who held which Art 9 position in a group and when; rows are closed, never deleted (history kept)."""

    __tablename__ = "group_position_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("expert_group.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    position: Mapped[str] = mapped_column(String(20))
    sub_team_id: Mapped[int | None] = mapped_column(ForeignKey("sub_team.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    change_id: Mapped[int | None] = mapped_column(ForeignKey("group_change.id"))

    sub_team: Mapped[SubTeam | None] = relationship(lazy="joined")
