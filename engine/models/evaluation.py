"""Year-end evaluation (Art 14), exit (Art 15, 10(4)), term renewal (Art 8) and exactly-once job runs."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow
from engine.models.types import JSONType, UTCDateTime

CAMPAIGN_STATUSES = {"launching": "启动中", "open": "评价中"}
EVALUATION_STATUSES = {"group_pending": "待专家组评价", "center_pending": "待人才开发中心评价", "finalized": "已完成"}
EXIT_SOURCES = {"expert": "专家申请", "talent_center": "人才开发中心提出", "system": "系统提出"}
EXIT_CASE_STATUSES = {"open": "办理中", "exited": "已出库", "dismissed": "不予出库", "rejected": "未获批准"}
RENEWAL_STATUSES = {"open": "办理中", "not_renewing": "不续聘，待聘期届满", "renewed": "已续聘", "lapsed": "聘期届满未续聘"}


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


class EvaluationCampaign(Base):
    """The year's evaluation campaign (Art 14: each December); one per year."""

    __tablename__ = "evaluation_campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(20), default="launching")
    deadline: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | manual
    started_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    roster: Mapped[list] = mapped_column(JSONType, default=list)  # expert ids active when it started
    expert_count: Mapped[int] = mapped_column(Integer, default=0)


class Evaluation(Base):
    """One expert's 《专家履职情况评价表》 (附件3) in one campaign."""

    __tablename__ = "expert_evaluation"
    __table_args__ = (UniqueConstraint("campaign_id", "expert_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("evaluation_campaign.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="group_pending", index=True)
    group_names: Mapped[str] = mapped_column(String(200), default="")  # 工作组名称
    group_code: Mapped[str | None] = mapped_column(String(40))  # the group whose leader rates
    rater_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    admitted_on: Mapped[date | None] = mapped_column(Date)  # 入库时间
    this_year_count: Mapped[int] = mapped_column(Integer, default=0)
    total_count: Mapped[int] = mapped_column(Integer, default=0)
    group_rating: Mapped[str | None] = mapped_column(String(10))
    group_opinion: Mapped[str | None] = mapped_column(Text)
    group_rated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    group_rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    center_opinion: Mapped[str | None] = mapped_column(Text)
    overall_rating: Mapped[str | None] = mapped_column(String(10))
    center_rated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    usage_snapshot: Mapped[list | None] = mapped_column(JSONType)  # usage records frozen at finalization
    exit_case_id: Mapped[int | None] = mapped_column(ForeignKey("exit_case.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


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
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    notice_no: Mapped[str | None] = mapped_column(String(80))
    notice_date: Mapped[date | None] = mapped_column(Date)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


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


class RenewalCase(Base):
    """Renewal of one term (续聘): the old term, the expert's updates, the recheck and the new term."""

    __tablename__ = "renewal_case"
    __table_args__ = (UniqueConstraint("expert_id", "old_term_end"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    old_term_start: Mapped[date | None] = mapped_column(Date)
    old_term_end: Mapped[date] = mapped_column(Date)
    old_certificate_no: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    updates: Mapped[dict] = mapped_column(JSONType, default=dict)
    eligibility: Mapped[dict | None] = mapped_column(JSONType)
    new_term_start: Mapped[date | None] = mapped_column(Date)
    new_term_end: Mapped[date | None] = mapped_column(Date)
    certificate_no: Mapped[str | None] = mapped_column(String(40))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
