"""The dashboard's world, produced by the flows: the demo pool and users, the assignment demo's requests (random,
emergency designation, declines, cancellation) and the 2026 evaluation campaign with forms rated to the end."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, text

from demo.assignment import seed_assignment_demo
from demo.seed import seed
from engine.assignment.models import WorkRequest
from engine.evaluation import campaign
from engine.evaluation.models import Evaluation
from engine.platform.models import User
from engine.platform.settings import LOCAL_TZ
from tests.assignment_support import complete_all
from tests.experts.roster_support import DEC1, act
from tests.support import T0

RATED = (({"rating": "good", "opinion": "按时参加方案评审，意见具体可行"},
          {"overall_rating": "good", "opinion": "同意专家组意见"}),
         ({"rating": "excellent", "opinion": "全年参加抽查方案评审3次，提出的修改意见均被采纳，报告质量高"},
          {"overall_rating": "excellent", "opinion": "全年参加抽查方案评审3次，修改意见均被采纳，报告质量高"}))


def seed_dashboard_world(session) -> dict:
    """Demo pool + assignment demo at T0 (its decline approved by the leader), the campaign launched on 1 December and two forms finalized."""
    seed(session, T0, expert_count=60)
    seed_assignment_demo(session, T0)
    leader = session.scalar(select(User).where(User.username == "leader"))
    for request in session.scalars(select(WorkRequest).where(WorkRequest.status == "cancelling")).all():
        complete_all(session, request, "leader_approve_cancellation", leader, {"decision": "approve", "justified": "no",
                                                                            "comment": "会议日期早已通知，所述冲突不成立"})
    campaign.year_end_job(session, DEC1)
    talent = session.scalar(select(User).where(User.username == "talent"))
    forms = session.scalars(select(Evaluation).where(Evaluation.rater_user_id.is_not(None))
                            .order_by(Evaluation.id).limit(len(RATED))).all()
    for form, (group_values, center_values) in zip(forms, RATED, strict=True):
        rater = session.get(User, form.rater_user_id)
        act(session, form.instance_id, rater, group_values, "group_leader_rating")
        act(session, form.instance_id, talent, center_values, "center_evaluation")
    session.expire_all()
    return {"talent": talent, "rated": [f.id for f in forms]}


def sql_pairs(session, sql: str, **params) -> dict:
    """A two-or-more-column GROUP BY query as {key tuple (or single key): count}."""
    out = {}
    for row in session.execute(text(sql), params):
        *key, n = row
        out[key[0] if len(key) == 1 else tuple(key)] = n
    return out


def instant_with_terms_ending(session) -> tuple[datetime, date]:
    """09:00 local, 30 days before the first active expert's term ends (so the 90-day window is not empty)."""
    first_end = session.execute(text("SELECT MIN(term_end) FROM expert WHERE status = 'active'")).scalar_one()
    day = date.fromisoformat(str(first_end)) - timedelta(days=30)
    return datetime(day.year, day.month, day.day, 9, tzinfo=LOCAL_TZ).astimezone(UTC), day
