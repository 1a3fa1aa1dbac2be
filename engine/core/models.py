"""Engine host tables: process versions, instances, the human-task inbox index, audit events."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.core.db import Base, utcnow
from engine.core.status import InstanceStatus, TaskState
from engine.core.types import JSONType, UTCDateTime

INSTANCE_STATUSES = InstanceStatus.labels()  # webui/ reads it (until it reads the enum)
TASK_STATES = TaskState.labels()  # webui/ reads it (until it reads the enum)
OPEN_TASKS = text(f"state = '{TaskState.OPEN.value}'")  # the partial indexes' WHERE
INBOX_COVERED = ("process_key", "bpmn_id", "process_name", "name", "due_at", "form_key", "state")


class ProcessVersion(Base):
    """An immutable deployed version of one BPMN process plus the DMN files it calls."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(60), index=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    dmn_files: Mapped[dict] = mapped_column(JSONType, default=dict, deferred=True)  # file name -> XML
    # The forms its user tasks name (form key -> definition): an instance renders its own version's forms.
    forms: Mapped[dict | None] = mapped_column(JSONType, default=dict, deferred=True)
    lane_roles: Mapped[dict] = mapped_column(JSONType, default=dict)  # lane name -> role code, resolved at deploy
    # Who may start it by hand, declared on its start event and resolved at deploy (engine.deploy.lint_start):
    # {"roles": [role codes], "form_key": start form or None, "event_id": start event}; None for the shipped
    # processes, which their procedures' own pages start.
    start_declaration: Mapped[dict | None] = mapped_column(JSONType)
    source: Mapped[str] = mapped_column(String(20), default="shipped")
    deployed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProcessInstance(Base):
    """One running or finished workflow; `lock_version` is the optimistic lock (stale write → 409)."""

    __tablename__ = "process_instance"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(60), index=True)
    status: Mapped[str] = mapped_column(String(20), default=InstanceStatus.RUNNING, index=True)
    business_key: Mapped[str | None] = mapped_column(String(80), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    serialized: Mapped[str] = mapped_column(Text, deferred=True)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_event: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    # BPMN ids completed / active / waiting after the last step (runner.element_marks): the instance diagram.
    element_marks: Mapped[dict | None] = mapped_column(JSONType, deferred=True)

    version: Mapped[ProcessVersion] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": lock_version}


class HumanTask(Base):
    """Inbox index row for a READY user task, kept in step with the workflow in the same transaction."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_guid"),
        Index("ix_human_task_assignee", "state", "assignee_id"),
        Index("ix_human_task_id_hash", "id_number_hash"),
        # PostgreSQL: a trigram index serves `search_text LIKE '%term%'` (pg_trgm; a plain index elsewhere)
        Index("ix_human_task_search_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
        # The inbox's index range scans (engine.core.inbox.visibility_branches), on the open tasks only: in
        # created order for a page, covering what the header counts and the bulk lists read.
        Index("ix_human_task_open_assignee", "assignee_id", "created_at", "id", *INBOX_COVERED,
              sqlite_where=OPEN_TASKS, postgresql_where=OPEN_TASKS),
        Index("ix_human_task_open_lane", "lane_role", "assignee_id", "created_at", "id", "unit_id", *INBOX_COVERED,
              sqlite_where=OPEN_TASKS, postgresql_where=OPEN_TASKS),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    process_key: Mapped[str] = mapped_column(String(60))
    process_name: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    lane_role: Mapped[str | None] = mapped_column(String(30))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    form_key: Mapped[str | None] = mapped_column(String(60))
    # The business id of the multi-instance item the task is about (e.g. the engagement an expert confirms):
    # the task data variable its user task names in the `itemKey` property, so no read loads the workflow.
    item_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default=TaskState.OPEN)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Search facts the task's procedure gives when the row is created (engine.core.inbox_index): lowercase text
    # of subject, names, unit, groups and titles; the subject person's ID number as a keyed hash (never stored
    # in clear here) and masked for display; the unit shown and sorted in the inbox.
    search_text: Mapped[str | None] = mapped_column(Text)
    id_number_hash: Mapped[str | None] = mapped_column(String(64))
    id_number_masked: Mapped[str | None] = mapped_column(String(24))
    unit_name: Mapped[str | None] = mapped_column(String(120))

    instance: Mapped[ProcessInstance] = relationship(lazy="select")


class SavedFilter(Base):
    """A user's saved inbox filter: a name and the inbox query string it stands for (owner-only)."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TaskFollowUp(Base):
    """A reviewer's private follow-up date on a task (跟进日期); one per user and task."""

    __tablename__ = "task_follow_up"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    follow_up_on: Mapped[date] = mapped_column(Date)


class AuditEvent(Base):
    """Append-only, hash-chained record of who did what, when, on which version, with what data."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    task_guid: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(100))
    task_name: Mapped[str | None] = mapped_column(String(200))
    data_before: Mapped[dict | None] = mapped_column(JSONType)
    data_after: Mapped[dict | None] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Counter(Base):
    """Named sequences (certificate numbers per year); incremented under a row lock."""

    __tablename__ = "counter"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Incident(Base):
    """A failed automatic step (service task, script, timer) that rolled back; retried once fixed.

    Lost races (409, lock timeout, deadlock) are never incidents. While an incident is open the timer
    runner leaves the instance alone, so a broken step does not fail again on every tick.
    """

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_open", "resolved_at", "instance_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))  # timer | task | start | message
    element_id: Mapped[str | None] = mapped_column(String(100))
    element_name: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    resolution: Mapped[str | None] = mapped_column(String(200))


class JobRun(Base):
    """One run of a scheduled job under a key (e.g. the year); the unique key makes a run happen once."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job_name", "run_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(60))
    run_key: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[dict | None] = mapped_column(JSONType)
