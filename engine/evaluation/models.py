"""Year-end evaluation (Art 14), exit (Art 15, 10(4)), term renewal (Art 8) and exactly-once job runs."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.db import Base, utcnow
from engine.core.types import JSONType, UTCDateTime
from engine.evaluation.status import CampaignStatus, EvaluationStatus

CAMPAIGN_STATUSES = CampaignStatus.labels()  # webui/ reads it (until it reads the enum)
EVALUATION_STATUSES = EvaluationStatus.labels()  # webui/ reads it (until it reads the enum)




class EvaluationCampaign(Base):
    """The year's evaluation campaign (Art 14: each December); one per year."""

    __tablename__ = "evaluation_campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(20), default=CampaignStatus.LAUNCHING)
    deadline: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | manual
    start_reason: Mapped[str | None] = mapped_column(Text)  # a manual start outside December says why (audited)
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
    status: Mapped[str] = mapped_column(String(20), default=EvaluationStatus.GROUP_PENDING, index=True)
    group_names: Mapped[str] = mapped_column(String(200), default="")  # 工作组名称
    group_code: Mapped[str | None] = mapped_column(String(40))  # the group whose leader rates
    rater_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    # the post-holder (Art 9 leader / deputy) whose opinion the 专家组评价 is; without an account (rater_user_id
    # None) talent_center enters their signed paper opinion: who entered it and the scan are kept
    rater_expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"))
    group_paper_entered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    group_paper_scan_ids: Mapped[list | None] = mapped_column(JSONType)
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






