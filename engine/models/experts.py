"""The pool: groups (Art 9), experts with every 附件1 field, attachments, the dishonesty list."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow
from engine.models.types import JSONType, UTCDateTime

EXPERT_STATUSES = {
    "active": "在库",
    "suspended": "暂停",
    "exited": "已出库",
    "expired": "聘期届满",
}
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
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    certificate_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    admission_doc_no: Mapped[str | None] = mapped_column(String(80))
    admission_route: Mapped[str] = mapped_column(String(20), default="public")
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
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


class Attachment(Base):
    """An uploaded file (photo, proof, stamped opinion, signed commitment), kept in the database."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    purpose: Mapped[str] = mapped_column(String(40))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DishonestyEntry(Base):
    """A person on a dishonesty list (失信被执行人等黑名单), checked at eligibility (Art 6(一))."""

    __tablename__ = "dishonesty_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(100))
    listed_on: Mapped[date] = mapped_column(Date)
    removed_on: Mapped[date | None] = mapped_column(Date)
