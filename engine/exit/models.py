"""Year-end evaluation (Art 14), exit (Art 15, 10(4)), term renewal (Art 8) and exactly-once job runs."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.db import Base, utcnow
from engine.core.types import JSONType, UTCDateTime
from engine.exit.status import ExitCaseStatus
from engine.platform.policy import EXPERT, SYSTEM, TALENT_CENTER

# Who proposed an exit, by role: the expert (withdrawal), talent_center (Art 15 ground), the system (a trigger).
EXIT_SOURCES = {EXPERT: "专家申请", TALENT_CENTER: "人才开发中心提出", SYSTEM: "系统提出"}


EXIT_CASE_STATUSES = ExitCaseStatus.labels()  # webui/ reads it (until it reads the enum)


class ExitCase(Base):
    """An exit procedure (Art 15, 10(4)): who started it, why, the ground and evidence, and its outcome."""

    __tablename__ = "exit_case"
    # A system trigger (e.g. "refusals:2026", "age") proposes an expert's exit at most once.
    __table_args__ = (UniqueConstraint("expert_id", "trigger_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # expert | talent_center | system
    trigger: Mapped[str] = mapped_column(String(20))  # rules.exit.TRIGGERS
    trigger_key: Mapped[str | None] = mapped_column(String(60))
    ground: Mapped[str | None] = mapped_column(String(20))  # rules.exit.GROUNDS
    facts: Mapped[str] = mapped_column(Text, default="")
    evidence_ids: Mapped[list] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), default=ExitCaseStatus.OPEN, index=True)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    notice_no: Mapped[str | None] = mapped_column(String(80))
    notice_date: Mapped[date | None] = mapped_column(Date)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ExitProposal(Base):
    """A proposal (e.g. a 差 rating) made while the expert's exit case was open: attached to that case (a note and
    a link on it); if the case closes without exit, it opens its own case (`followed_by`)."""

    __tablename__ = "exit_proposal"
    # once per expert and key, like a case's trigger_key
    __table_args__ = (UniqueConstraint("expert_id", "trigger_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("exit_case.id"), index=True)  # the open case it was attached to
    trigger: Mapped[str] = mapped_column(String(20))  # rules.exit.TRIGGERS
    trigger_key: Mapped[str] = mapped_column(String(60))
    facts: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(200))  # where it came from, e.g. the 评价表's page
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    followed_by: Mapped[int | None] = mapped_column(ForeignKey("exit_case.id"))  # its own case, once opened
