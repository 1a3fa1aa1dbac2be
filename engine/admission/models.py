"""Admission: public calls (征集) and applications (推荐表 submissions and invitations)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.admission.status import ApplicationStatus
from engine.core.db import Base, utcnow
from engine.core.types import JSONType, UTCDateTime

APPLICATION_STATUSES = ApplicationStatus.labels()  # webui/ reads it (until it reads the enum)


class PublicCall(Base):
    """A public call for experts with an application window (Art 8(一)1)."""

    __tablename__ = "public_call"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def is_open(self, now: datetime) -> bool:
        """True while `now` is inside the window."""
        return self.opens_at <= now < self.closes_at


class Application(Base):
    """One admission case: a 推荐表 (public) or a nomination (invited), with its eligibility report."""

    __tablename__ = "application"
    id: Mapped[int] = mapped_column(primary_key=True)
    route: Mapped[str] = mapped_column(String(20))  # public | invited
    call_id: Mapped[int | None] = mapped_column(ForeignKey("public_call.id"))
    applicant_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    entered_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    paper: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(60), index=True)
    form: Mapped[dict] = mapped_column(JSONType)  # every 附件1 field, validated by forms/application.json
    groups: Mapped[list] = mapped_column(JSONType)  # group codes (≤3, Art 9 / 附件1)
    nomination_reason: Mapped[str | None] = mapped_column(Text)
    eligibility: Mapped[dict | None] = mapped_column(JSONType)
    # quality_division's leader/deputy proposal (Art 8(一)3) {"group", "position", "by", "at"}: carried into the
    # group as a pending appointment when the person is admitted
    position_proposal: Mapped[dict | None] = mapped_column(JSONType)
    # the signed 承诺书 (Art 8) {"signed_at", "signed_by", "personal", "signature", "scan_ids"}; none: not admitted
    commitment: Mapped[dict | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(30), default=ApplicationStatus.IN_REVIEW, index=True)
    status_stage: Mapped[str | None] = mapped_column(String(40))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # Plain column, no FK: expert.application_id already points back, and a cycle of foreign keys
    # would make every schema drop/rebuild order-dependent.
    expert_id: Mapped[int | None] = mapped_column(Integer, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
