"""The pool: groups (Art 9), experts with every 附件1 field, attachments, the dishonesty list."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.core.db import Base, utcnow
from engine.core.types import JSONType, UTCDateTime
from engine.experts.status import EngagementStatus, ExpertStatus

EXPERT_STATUSES = ExpertStatus.labels()  # webui/ reads it (until it reads the enum)
GROUP_ROLES = {"member": "成员", "leader": "组长", "deputy": "副组长"}


class ExpertGroup(Base):
    """An expert group (专家组); Art 9 sets six and allows adding or adjusting them."""

    __tablename__ = "expert_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    aliases: Mapped[list] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Expert(Base):
    """An admitted expert: the 推荐表 (附件1) fields plus term and certificate (Art 8)."""

    __tablename__ = "expert"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), unique=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    gender: Mapped[str] = mapped_column(String(10))
    political_status: Mapped[str | None] = mapped_column(String(20))
    birth_date: Mapped[date] = mapped_column(Date)
    education: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(120))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    unit_name: Mapped[str] = mapped_column(String(120), index=True)
    position: Mapped[str | None] = mapped_column(String(60))
    rank_level: Mapped[str] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(60))
    title_level: Mapped[str] = mapped_column(String(20))
    field_years: Mapped[int] = mapped_column(Integer)
    work_history: Mapped[str] = mapped_column(Text)
    specialties: Mapped[str] = mapped_column(Text)
    work_areas: Mapped[list] = mapped_column(JSONType, default=list)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    status: Mapped[str] = mapped_column(String(20), default=ExpertStatus.ACTIVE, index=True)
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    certificate_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    admission_doc_no: Mapped[str | None] = mapped_column(String(80))
    admission_route: Mapped[str] = mapped_column(String(20), default="public")
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    # Art 8: the 专家履职承诺书 — when it was signed, and the signed scan when it was signed on paper
    commitment_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    commitment_scan_id: Mapped[int | None] = mapped_column(Integer)  # attachment id; plain: see its migration
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    memberships: Mapped[list["GroupMembership"]] = relationship(
        back_populates="expert", cascade="all, delete-orphan", lazy="selectin"
    )


class GroupMembership(Base):
    """Expert ↔ group, with the Art 9 position (member / leader / deputy)."""

    __tablename__ = "group_membership"
    __table_args__ = (UniqueConstraint("expert_id", "group_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("expert_group.id"), index=True)
    position: Mapped[str] = mapped_column(String(10), default="member")

    expert: Mapped[Expert] = relationship(back_populates="memberships")
    group: Mapped[ExpertGroup] = relationship(lazy="joined")




class DishonestyEntry(Base):
    """A person on a dishonesty list (失信被执行人等黑名单), checked at eligibility (Art 6(一))."""

    __tablename__ = "dishonesty_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(100))
    listed_on: Mapped[date] = mapped_column(Date)
    removed_on: Mapped[date | None] = mapped_column(Date)


ENGAGEMENT_ROLES = {"primary": "正选", "backup": "备选"}


ENGAGEMENT_STATUSES = EngagementStatus.labels()  # webui/ reads it (until it reads the enum)


DECLARATION_KINDS = {
    "employment": "任职/工作",
    "office": "担任职务",
    "control": "控制/持股",
    "relative": "近亲属关系",
    "other": "其他利害关系",
}



class Engagement(Base):
    """One expert (pool or external) on one request: drawn → confirmed/declined/cancelled → completed."""

    __tablename__ = "engagement"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("work_request.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"), index=True)
    external_expert_id: Mapped[int | None] = mapped_column(ForeignKey("external_expert.id"))
    method: Mapped[str] = mapped_column(String(20), default="random")
    round: Mapped[int] = mapped_column(Integer, default=1)
    rank: Mapped[int] = mapped_column(Integer, default=0)  # order within the round (draw rank)
    role: Mapped[str] = mapped_column(String(10), default="primary")
    # drawn (asked_at set: asked to confirm; empty: a backup on standby) → confirmed / declined /
    # cancel_pending (a conflict, awaiting approval) → cancelled / released / completed (usage recorded).
    status: Mapped[str] = mapped_column(String(16), default=EngagementStatus.DRAWN, index=True)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(Text)
    decline_justified: Mapped[bool | None] = mapped_column(Boolean)  # False counts toward Art 15(1)
    conflict_declared: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UsageRecord(Base):
    """The using unit's record of one engagement after the work (feeds the Art 14 evaluation)."""

    __tablename__ = "usage_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id"), unique=True)
    completion: Mapped[str] = mapped_column(String(20))
    professional_level: Mapped[str] = mapped_column(String(12))
    attitude: Mapped[str] = mapped_column(String(12))
    commitment_compliance: Mapped[str] = mapped_column(String(12))
    comment: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExpertDeclaration(Base):
    """An expert's declared affiliation or conflict (Art 11(5)); recusal reads it at every draw."""

    __tablename__ = "expert_declaration"
    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # employment | office | control | relative | other
    org_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), default="")
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)  # None = still
    note: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExitRecord(Base):
    """The fact that an expert left the pool: ground, date, notice; the expert row itself is never deleted."""

    __tablename__ = "exit_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), unique=True)
    ground: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    exit_case_id: Mapped[int | None] = mapped_column(ForeignKey("exit_case.id"))
    renewal_case_id: Mapped[int | None] = mapped_column(ForeignKey("renewal_case.id"))
    notice_no: Mapped[str | None] = mapped_column(String(80))
    notice_date: Mapped[date | None] = mapped_column(Date)
    exited_on: Mapped[date] = mapped_column(Date)
    evidence_ids: Mapped[list] = mapped_column(JSONType, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


from engine.experts import pool_version  # noqa: E402, F401  (versions every change of these rows; see its docstring)
