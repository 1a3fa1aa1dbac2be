"""Assignment (Art 11(5), 12, 13): work requests, parties, draw records, exclusions, engagements, usage.

Issue 4 builds on `ExpertDeclaration` (expert self-service writes it; recusal reads it) and on
`Engagement` + `UsageRecord` (the year-end evaluation counts them): keep these names and columns stable.
"""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.assignment.status import RequestStatus
from engine.core.db import Base, utcnow
from engine.core.types import JSONType, UTCDateTime

WORK_TYPES = {
    "spot_check": "监督抽查",
    "post_license": "证后检查",
    "risk_monitoring": "风险监控",
    "quality_assistance": "质量帮扶",
    "institution_check": "机构检查",
    "legal_support": "法务支撑",
    "public_opinion": "舆情处置",
    "general": "综合",
}
METHODS = {"random": "随机抽取", "designated": "指定专家", "external": "库外临时邀请", "emergency": "紧急选派"}
REQUEST_STATUSES = RequestStatus.labels()  # webui/ reads it (until it reads the enum)
DELEGATION_SCOPES = {"cancellation": "取消与重新抽取", "designation": "指定/库外/紧急选派"}


class WorkRequest(Base):
    """A using unit's request for N experts (+M backups) for one piece of work (用人申请, Art 12–13)."""

    __tablename__ = "work_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    title: Mapped[str] = mapped_column(String(200))
    work_type: Mapped[str] = mapped_column(String(30))
    group_code: Mapped[str] = mapped_column(String(40))
    n_experts: Mapped[int] = mapped_column(Integer)
    n_backups: Mapped[int] = mapped_column(Integer, default=0)
    backups_first: Mapped[bool] = mapped_column(Boolean, default=True)
    specialties: Mapped[list] = mapped_column(JSONType, default=list)
    region: Mapped[str | None] = mapped_column(String(60))
    region_reason: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(20), default="random")
    method_reason: Mapped[str | None] = mapped_column(Text)  # the written reason of Art 13 ¶2
    designation_method: Mapped[str | None] = mapped_column(String(20))  # of the current designation filing
    designated_expert_ids: Mapped[list] = mapped_column(JSONType, default=list)
    response_hours: Mapped[int] = mapped_column(Integer, default=48)
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.CONFIRMING, index=True)
    status_note: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    parent_request_id: Mapped[int | None] = mapped_column(ForeignKey("work_request.id"))  # designated follow-up
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parties: Mapped[list["RequestParty"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RequestParty.id"
    )


class RequestParty(Base):
    """A party concerned by the work (企业/机构名称 + 统一社会信用代码), the basis of recusal."""

    __tablename__ = "request_party"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("work_request.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), default="")


class DrawRecordRow(Base):
    """The frozen, re-computable record of a request's random draw (rules.draw.DrawRecord as JSON)."""

    __tablename__ = "draw_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("work_request.id"), unique=True)
    record: Mapped[dict] = mapped_column(JSONType)
    candidates_sha256: Mapped[str] = mapped_column(String(64))
    seed_hex: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(40))
    recusal_version: Mapped[str] = mapped_column(String(40))
    pool_size: Mapped[int] = mapped_column(Integer)  # active experts of the group before exclusions
    rounds: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DrawExclusionRound(Base):
    """Why experts were not candidates (or were cancelled) in one round of a draw: one row per round, shown to
    the requester and auditors (engine.assignment.exclusions packs and reads `items`).

    `items` = {"texts": [[code, reason, article], ...], "rows": [[expert_id, text index], ...]} in screening
    order; `expert_ids` = ",id,id," of the same rows, so one expert's exclusions are found with a LIKE.
    """

    __tablename__ = "draw_exclusion_round"
    __table_args__ = (UniqueConstraint("request_id", "round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("work_request.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    count: Mapped[int] = mapped_column(Integer, default=0)
    expert_ids: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[dict] = mapped_column(JSONType)


class ExternalExpert(Base):
    """An out-of-pool expert invited for one request (库外临时邀请): recorded, never admitted to the pool."""

    __tablename__ = "external_expert"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("work_request.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(100))
    specialty: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)








class ApprovalDelegation(Base):
    """A bureau leader's authorization of the quality division to approve on their behalf (Art 13 ¶2, ¶3)."""

    __tablename__ = "approval_delegation"
    __table_args__ = (UniqueConstraint("scope", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))  # cancellation | designation
    granted_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
