"""Year-end evaluation of experts (Art 14, 附件3《专家履职情况评价表》): ratings, counting, calendar.

Pure functions of their inputs (standard library only): the engagements, the year and today's date are
passed in, so every count and deadline is reproducible in tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

ART_14 = "第十四条"
ANNEX_3 = "附件3《专家履职情况评价表》"

# 附件3: 评价 / 总评价 □优秀 □良好 □一般 □差
RATINGS = {"excellent": "优秀", "good": "良好", "fair": "一般", "poor": "差"}
# 附件3: “总体评价优秀或差的需说明具体情况”
NEEDS_EXPLANATION = frozenset({"excellent", "poor"})
MIN_EXPLANATION_CHARS = 10
# A one-word “explanation” is not the specific account 附件3 asks for.
GENERIC_OPINIONS = frozenset({"无", "没有", "同意", "好", "很好", "较好", "优秀", "差", "较差", "一般", "良好",
                              "合格", "不合格", "如上", "同上", "略", "见附件"})
# Art 14: 评价工作于每年12月集中开展 — the campaign runs in December and closes on 31 December.
CAMPAIGN_MONTH = 12
REMINDER_DAYS_BEFORE = (10, 3, 0)  # digests to the raters 10 and 3 days before, and on the deadline day
# Engagements that count as “使用” (the expert took the work on).
COUNTED_STATUSES = frozenset({"confirmed", "completed"})


def rating_label(code: str | None) -> str:
    """The Chinese label of a rating code ('' for none)."""
    return RATINGS.get(code or "", "")


def _meaningful_chars(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def check_rating(rating: str | None, opinion: str | None, field: str = "opinion",
                 rating_field: str = "rating") -> dict[str, str]:
    """Errors (field → Chinese message) for a rating and its written opinion; empty when valid."""
    errors: dict[str, str] = {}
    if rating not in RATINGS:
        errors[rating_field] = "请选择评价等次：优秀、良好、一般或差"
        return errors
    text = (opinion or "").strip()
    if not text:
        errors[field] = "请填写评价意见"
    elif rating in NEEDS_EXPLANATION and (text in GENERIC_OPINIONS or _meaningful_chars(text) < MIN_EXPLANATION_CHARS):
        errors[field] = (f"评价为“{RATINGS[rating]}”的，须书面说明具体情况（{ANNEX_3}：总体评价优秀或差的需说明具体情况），"
                         f"不少于{MIN_EXPLANATION_CHARS}个字")
    return errors


@dataclass(frozen=True)
class UsageFact:
    """One engagement of an expert: its first working day and status."""

    start: date
    status: str


class UsageCounts(NamedTuple):
    """附件3 备注: uses in the evaluated year and in all years up to and including it."""

    this_year: int
    cumulative: int


def usage_counts(facts: Iterable[UsageFact], year: int) -> UsageCounts:
    """Count the engagements taken on (confirmed or completed) in `year` and in every year up to it."""
    this_year = cumulative = 0
    for fact in facts:
        if fact.status not in COUNTED_STATUSES or fact.start.year > year:
            continue
        cumulative += 1
        if fact.start.year == year:
            this_year += 1
    return UsageCounts(this_year, cumulative)


def campaign_deadline(year: int) -> date:
    """The last day of the year's campaign: 31 December (Art 14)."""
    return date(year, 12, 31)


def deadline_instant(deadline: date, tz: tzinfo) -> datetime:
    """The last second of the deadline day in local time (tasks are overdue after it)."""
    return datetime.combine(deadline, time(23, 59, 59), tzinfo=tz)


def campaign_due(today: date) -> int | None:
    """The year whose campaign should be running on `today` (a December date), else None."""
    return today.year if today.month == CAMPAIGN_MONTH else None


LATE_START_MONTHS = 2  # a December missed altogether may be made up in January or February, with a reason
MIN_REASON_CHARS = 10


def startable_years(today: date) -> tuple[int, ...]:
    """Years a manual start may name on `today`: this year in December; last year in January–February."""
    if today.month == CAMPAIGN_MONTH:
        return (today.year,)
    return (today.year - 1,) if today.month <= LATE_START_MONTHS else ()


def needs_start_reason(year: int, today: date) -> bool:
    """Whether a manual start of `year`'s campaign is outside its December (a late one must say why)."""
    return not (year == today.year and today.month == CAMPAIGN_MONTH)


def check_manual_start(year: int, today: date, reason: str | None) -> dict[str, str]:
    """Errors (field → Chinese message) of a manual start; empty when it may go ahead.

    Art 14 puts the campaign in December: before its December a year is not over and an early campaign would
    stand in for December's, so no reason makes it right (refused). After it, the December was missed: the year
    may still be evaluated early in the next one, but only with a written reason (kept and audited).
    """
    if year == today.year and today.month < CAMPAIGN_MONTH:
        return {"year": f"第十四条：评价工作于每年12月集中开展。{year}年度评价于{year}年12月1日自动启动，"
                        f"也可在12月内手动启动，现在不能启动"}
    allowed = startable_years(today)
    if year not in allowed:
        which = f"现在只能启动{allowed[0]}年度的评价" if allowed else "现在不能启动年度评价"
        return {"year": f"第十四条：评价工作于每年12月集中开展，{which}"}
    text = (reason or "").strip()
    if needs_start_reason(year, today) and _meaningful_chars(text) < MIN_REASON_CHARS:
        return {"reason": f"{year}年度评价未在{year}年12月开展，补充启动须写明原因（不少于{MIN_REASON_CHARS}个字，"
                          f"记入审计日志）"}
    return {}


def reminder_dates(deadline: date) -> tuple[date, ...]:
    """The dates reminder digests go out before and on the deadline."""
    return tuple(deadline - timedelta(days=d) for d in REMINDER_DAYS_BEFORE)


def is_overdue(deadline: date, today: date) -> bool:
    """True once the deadline day has passed."""
    return today > deadline


@dataclass(frozen=True)
class CampaignTally:
    """How far a campaign has got."""

    total: int
    group_pending: int
    center_pending: int
    finalized: int
    by_rating: dict

    @property
    def open(self) -> int:
        """Evaluations not yet finalized."""
        return self.group_pending + self.center_pending


def tally(statuses: Iterable[tuple[str, str | None]]) -> CampaignTally:
    """Count (status, overall rating) pairs of a campaign's evaluations."""
    counts = {"group_pending": 0, "center_pending": 0, "finalized": 0}
    by_rating = dict.fromkeys(RATINGS, 0)
    total = 0
    for status, overall in statuses:
        total += 1
        counts[status] = counts.get(status, 0) + 1
        if status == "finalized" and overall in by_rating:
            by_rating[overall] += 1
    return CampaignTally(total, counts["group_pending"], counts["center_pending"], counts["finalized"], by_rating)


@dataclass(frozen=True)
class GroupPost:
    """An expert holding a post (leader / deputy, Art 9) in a group, with the user account that acts for them
    (None without an active account: talent_center then enters their signed paper opinion)."""

    group_code: str
    expert_id: int
    user_id: int | None
    position: str


def choose_rater(expert_id: int, group_codes: Iterable[str], posts: dict[str, list[GroupPost]]) -> GroupPost | None:
    """Who gives the 专家组评价意见: the leader of the expert's first group that has one (a deputy when the
    expert leads that group or it has no leader); None when no group has a post-holder other than the expert.
    The post decides, not the account: a leader without one still rates, on paper."""
    for code in group_codes:
        holders = [p for p in posts.get(code, ()) if p.expert_id != expert_id]
        for position in ("leader", "deputy"):
            ranked = sorted((p for p in holders if p.position == position), key=lambda p: p.expert_id)
            if ranked:
                return ranked[0]
    return None
