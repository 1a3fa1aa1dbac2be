"""The year-end evaluation campaign (Art 14): started once per year, launched in chunks through the runner.

The 1 December job (Asia/Shanghai) and talent_center's manual "start now" both claim the JobRun
("year_end_campaign", year) in the transaction that creates the campaign and freezes its roster (the active
experts). The launch then starts one annual_evaluation instance per roster expert, a chunk per unit of work
(each via engine.core.runner, so state, inbox and audit stay consistent); a crash mid-launch is resumed by the
next run of the job, and the campaign row lock keeps two launching workers from starting an expert twice.
"""

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select, update

from engine.core import audit, jobruns, runner
from engine.core.clock import local_date
from engine.core.contributions import Contributions
from engine.core.errors import Conflict, Forbidden, ValidationFailed
from engine.core.scripting import HostContext
from engine.core.uow import unit_of_work
from engine.evaluation import ports
from engine.evaluation.models import Evaluation, EvaluationCampaign
from engine.evaluation.status import CampaignStatus, EvaluationStatus
from engine.experts.models import Engagement, Expert, ExpertGroup, GroupMembership
from engine.experts.status import ExpertStatus
from engine.platform import policy, settings
from engine.platform.models import User
from engine.platform.notifications import notify
from engine.platform.roles import users_with_role
from engine.platform.settings import LOCAL_TZ
from rules.evaluation import (
    GroupPost,
    UsageFact,
    campaign_deadline,
    campaign_due,
    check_manual_start,
    choose_rater,
    deadline_instant,
    needs_start_reason,
    usage_counts,
)

exports = Contributions()  # installed by engine.bootstrap

JOB = "year_end_campaign"
PROCESS = "annual_evaluation"


def _claim_campaign(session, year: int, trigger: str, actor, now: datetime,
                    reason: str | None = None) -> EvaluationCampaign | None:
    """Create the year's campaign with its roster under the JobRun claim; None if it exists already."""
    if jobruns.claim(session, JOB, str(year), now) is None:
        return None
    roster = list(session.scalars(select(Expert.id).where(Expert.status == ExpertStatus.ACTIVE)
                                  .order_by(Expert.id)))
    campaign = EvaluationCampaign(year=year, status=CampaignStatus.LAUNCHING, deadline=campaign_deadline(year),
                                  trigger=trigger, started_by=getattr(actor, "id", None), started_at=now, roster=roster,
                                  expert_count=len(roster), start_reason=reason)
    session.add(campaign)
    session.flush()
    audit.record(session, "evaluation_campaign_started", actor, now,
                 after={"year": year, "trigger": trigger, "experts": len(roster)} | ({"reason": reason} if reason else {}))
    return campaign


def _claim_or_none(session, year: int, trigger: str, actor, now: datetime,
                   reason: str | None = None) -> EvaluationCampaign | None:
    try:
        with unit_of_work(session):
            return _claim_campaign(session, year, trigger, actor, now, reason)
    except Conflict:
        if jobruns.has_run(session, JOB, str(year)):
            return None  # a concurrent worker claimed it first
        raise


def campaign_for(session, year: int) -> EvaluationCampaign | None:
    """The campaign of a year, if started."""
    return session.scalar(select(EvaluationCampaign).where(EvaluationCampaign.year == year))


@exports.scheduled(JOB, "cron", month=12, minute=0)
def year_end_job(session, now: datetime) -> dict:
    """Every hour in December (local time): start this year's campaign once, or resume an interrupted launch.

    The first run on or after 1 December 00:00 Asia/Shanghai starts it; later runs, other workers and
    restarts find the JobRun and only finish a launch a crash left incomplete.
    """
    year = campaign_due(local_date(now))
    if year is None:
        return {"year": None, "started": 0}
    created = _claim_or_none(session, year, "schedule", None, now)
    campaign = created or campaign_for(session, year)
    started = launch_pending(session, campaign.id, now) if campaign is not None else 0
    return {"year": year, "created": created is not None, "started": started}


def start_now(session, actor, year: int, now: datetime, reason: str | None = None) -> EvaluationCampaign:
    """talent_center's manual start of a year's campaign: in its December; or, the December missed, early in the
    next year with a written reason (kept on the campaign and audited). Art 14."""
    if not policy.allows(actor, policy.RUN_CAMPAIGN):
        raise Forbidden("只有人才开发中心可以启动年度评价")
    today = local_date(now)
    errors = check_manual_start(year, today, reason)
    if errors:
        raise ValidationFailed(errors)
    if jobruns.has_run(session, JOB, str(year)):
        raise Conflict(f"{year}年度评价已经启动，不能重复启动")
    reason = reason.strip() if needs_start_reason(year, today) else None
    campaign = _claim_or_none(session, year, "manual", actor, now, reason)
    if campaign is None:
        raise Conflict(f"{year}年度评价已经启动，不能重复启动")
    launch_pending(session, campaign.id, now, actor=actor)
    session.refresh(campaign)
    return campaign


def _lock(session, campaign_id: int) -> EvaluationCampaign:
    # A no-op UPDATE as the transaction's first statement takes the write lock before anything is read: the
    # campaign's row lock on PostgreSQL, the database's RESERVED lock on SQLite. Launchers then take turns per
    # chunk and each reads the pending experts only after the previous chunk committed.
    session.execute(update(EvaluationCampaign).where(EvaluationCampaign.id == campaign_id)
                    .values(status=EvaluationCampaign.status).execution_options(synchronize_session=False))
    query = select(EvaluationCampaign).where(EvaluationCampaign.id == campaign_id)
    return session.scalars(query.execution_options(populate_existing=True)).one()


def _pending(session, campaign: EvaluationCampaign, limit: int) -> list[int]:
    done = set(session.scalars(select(Evaluation.expert_id).where(Evaluation.campaign_id == campaign.id)))
    return [i for i in campaign.roster if i not in done][:limit]


def launch_pending(session, campaign_id: int, now: datetime, actor=None, chunk: int | None = None) -> int:
    """Start the evaluations not started yet, `chunk` per unit of work; opens the campaign when none is left."""
    chunk, started = chunk or settings.LAUNCH_CHUNK, 0
    while True:
        with unit_of_work(session):
            campaign = _lock(session, campaign_id)
            if campaign.status != CampaignStatus.LAUNCHING:
                return started
            pending = _pending(session, campaign, chunk)
            if not pending:
                campaign.status, campaign.launched_at = CampaignStatus.OPEN, now
                _notify_launch(session, campaign, now)
                return started
            started += launch_chunk(session, campaign, pending, HostContext(session, actor, now))


def _group_posts(session) -> dict[str, list[GroupPost]]:
    # Every post-holder counts, with or without an account (most demo leaders have none): one without an
    # active account rates on paper, entered by talent_center — the group's opinion is not skipped.
    rows = session.execute(
        select(ExpertGroup.code, GroupMembership.expert_id, Expert.user_id, User.active, GroupMembership.position)
        .join(GroupMembership, GroupMembership.group_id == ExpertGroup.id)
        .join(Expert, Expert.id == GroupMembership.expert_id)
        .outerjoin(User, User.id == Expert.user_id)
        .where(GroupMembership.position.in_(("leader", "deputy")), Expert.status == ExpertStatus.ACTIVE))
    posts = defaultdict(list)
    for code, expert_id, user_id, active, position in rows:
        posts[code].append(GroupPost(code, expert_id, user_id if active else None, position))
    return posts


def _usage_facts(session, expert_ids: list[int]) -> dict[int, list[UsageFact]]:
    facts = defaultdict(list)
    for expert_id, start, status in session.execute(
            select(Engagement.expert_id, Engagement.start_date, Engagement.status)
            .where(Engagement.expert_id.in_(expert_ids))):
        facts[expert_id].append(UsageFact(start, status))
    return facts



def _new_evaluation(campaign, expert: Expert, posts, facts, first_terms) -> Evaluation:
    memberships = sorted(expert.memberships, key=lambda m: m.group.sort_order)
    rater = choose_rater(expert.id, [m.group.code for m in memberships], posts)
    counts = usage_counts(facts.get(expert.id, ()), campaign.year)
    return Evaluation(
        campaign_id=campaign.id, expert_id=expert.id,
        status=EvaluationStatus.GROUP_PENDING if rater else EvaluationStatus.CENTER_PENDING,
        group_names="、".join(m.group.name for m in memberships), group_code=rater.group_code if rater else None,
        rater_user_id=rater.user_id if rater else None, rater_expert_id=rater.expert_id if rater else None,
        admitted_on=first_terms.get(expert.id) or expert.term_start,
        this_year_count=counts.this_year, total_count=counts.cumulative, created_at=campaign.started_at)


def group_rater(evaluation: Evaluation) -> str:
    """How the 专家组评价 is given: by the rater's account, on paper (entered by talent_center), or not at all."""
    if evaluation.rater_user_id is not None:
        return "account"
    return "paper" if evaluation.rater_expert_id is not None else "none"


def launch_chunk(session, campaign: EvaluationCampaign, expert_ids: list[int], ctx: HostContext) -> int:
    """Create the evaluations of these experts and start their instances (inside the caller's unit of work)."""
    experts = session.scalars(select(Expert).where(Expert.id.in_(expert_ids)).order_by(Expert.id)).all()
    posts, facts, firsts = _group_posts(session), _usage_facts(session, expert_ids), ports.first_term_starts(session, expert_ids)
    evaluations = [_new_evaluation(campaign, e, posts, facts, firsts) for e in experts]
    session.add_all(evaluations)
    session.flush()
    due = deadline_instant(campaign.deadline, LOCAL_TZ)
    data = {"year": campaign.year, "deadline_at": due.isoformat()}
    for expert, evaluation in zip(experts, evaluations, strict=True):
        instance = runner.start(
            session, PROCESS, HostContext(session, ctx.actor, ctx.now),
            data | {"evaluation_id": evaluation.id, "expert_id": expert.id,
                    "group_rater_user_id": evaluation.rater_user_id, "group_rater": group_rater(evaluation)},
            subject=f"{campaign.year}年度履职评价 — {expert.name}", business_key=f"EVAL-{campaign.year}-{expert.id}")
        evaluation.instance_id = instance.id
    # Each task falls due when its boundary timer (31 December, Art 14) fires: the inbox reads the armed timer.
    return len(evaluations)


def _notify_launch(session, campaign: EvaluationCampaign, now: datetime) -> None:
    per_rater = session.execute(
        select(Evaluation.rater_user_id, func.count()).where(
            Evaluation.campaign_id == campaign.id, Evaluation.rater_user_id.is_not(None))
        .group_by(Evaluation.rater_user_id)).all()
    deadline = campaign.deadline.isoformat()
    link = f"/yearly/campaigns/{campaign.year}"
    for user_id, count in per_rater:
        notify(session, [user_id], f"{campaign.year}年度专家履职评价已启动",
               f"请在{deadline}前完成{count}名专家的《专家履职情况评价表》专家组评价（第十四条）。", now, link=link)
    paper = session.scalar(select(func.count()).select_from(Evaluation).where(
        Evaluation.campaign_id == campaign.id, Evaluation.rater_user_id.is_(None),
        Evaluation.rater_expert_id.is_not(None))) or 0
    note = f"其中{paper}份的专家组评价人未开通系统账号，请录入其签字的纸质评价意见。" if paper else ""
    notify(session, users_with_role(session, policy.TALENT_CENTER), f"{campaign.year}年度专家履职评价已启动",
           f"共{campaign.expert_count}名在库专家，评价截止{deadline}。{note}", now, link=link)
