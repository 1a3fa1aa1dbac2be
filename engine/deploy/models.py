"""Workbench tables: process drafts edited by process owners, and Art 9 group changes with their history."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.db import Base, utcnow
from engine.core.types import JSONType, UTCDateTime
from engine.deploy.status import DraftStatus

DRAFT_STATUSES = DraftStatus.labels()  # webui/ reads it (until it reads the enum)


class ProcessDraft(Base):
    """A process owner's working copy of a BPMN (+ DMN) bundle; deploying it makes a new immutable version."""

    __tablename__ = "process_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(60), index=True)
    name: Mapped[str] = mapped_column(String(100))
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    dmn_files: Mapped[dict] = mapped_column(JSONType, default=dict, deferred=True)  # file name -> XML
    status: Mapped[str] = mapped_column(String(12), default=DraftStatus.DRAFT, index=True)
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    deployed_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}






