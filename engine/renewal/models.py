"""Year-end evaluation (Art 14), exit (Art 15, 10(4)), term renewal (Art 8) and exactly-once job runs."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.db import Base, utcnow
from engine.core.types import JSONType, UTCDateTime
from engine.renewal.status import RenewalStatus

RENEWAL_STATUSES = RenewalStatus.labels()  # webui/ reads it (until it reads the enum)


class RenewalCase(Base):
    """Renewal of one term (续聘): the old term, the expert's updates, the recheck and the new term."""

    __tablename__ = "renewal_case"
    __table_args__ = (UniqueConstraint("expert_id", "old_term_end"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    old_term_start: Mapped[date | None] = mapped_column(Date)
    old_term_end: Mapped[date] = mapped_column(Date)
    old_certificate_no: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=RenewalStatus.OPEN, index=True)
    updates: Mapped[dict] = mapped_column(JSONType, default=dict)
    eligibility: Mapped[dict | None] = mapped_column(JSONType)
    new_term_start: Mapped[date | None] = mapped_column(Date)
    new_term_end: Mapped[date | None] = mapped_column(Date)
    certificate_no: Mapped[str | None] = mapped_column(String(40))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
