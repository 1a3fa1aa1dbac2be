"""Exit (出库) grounds and the system's exit proposals (Art 15, Art 10(4), Art 6(三), Art 8); term renewal dates.

Pure functions of their inputs (standard library only): engagement facts, dates and thresholds are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rules.eligibility import age_on

ART_15 = "第十五条"
# code → (label, article). Art 15 (1)–(6), the voluntary withdrawal right of Art 10(4), and the two facts
# that end a term without a decision: the 3-year term of Art 8 lapsing, and the age limit of Art 6(三).
GROUNDS = {
    "art15_1": ("无正当理由拒绝承接工作任务", "第十五条第（一）项"),
    "art15_2": ("应主动申请回避而不申请回避", "第十五条第（二）项"),
    "art15_3": ("因工作变动、年龄或健康等原因不能正常履职", "第十五条第（三）项"),
    "art15_4": ("在参加活动过程中存在徇私舞弊，接受或索取相关单位和个人馈赠、宴请或不正当利益", "第十五条第（四）项"),
    "art15_5": ("违规泄密或泄漏工作内容和结果等重要信息", "第十五条第（五）项"),
    "art15_6": ("其他不适宜再担任专家的情形", "第十五条第（六）项"),
    "voluntary": ("主动申请退出专家库", "第十条第（四）项、第十五条第（三）项"),
    "term_lapsed": ("聘期届满未续聘", "第八条"),
    "age": ("年龄超过限制且未获放宽", "第六条第（三）项、第十五条第（三）项"),
}
ART15_GROUNDS = ("art15_1", "art15_2", "art15_3", "art15_4", "art15_5", "art15_6")
# What the system proposes, and under which ground (talent_center may change it at review).
TRIGGERS = {
    "voluntary": ("专家主动申请退出", "voluntary"),
    "manual": ("人才开发中心提出", None),
    "refusals": ("年度内无正当理由拒绝承接工作任务达到次数", "art15_1"),
    "recusal_failure": ("经确认应回避而未主动申请回避", "art15_2"),
    "poor_rating": ("年度履职评价总评价为“差”", "art15_6"),
    "age": ("年龄超过限制且未获放宽", "age"),
}
DEFAULT_REFUSAL_THRESHOLD = 3
DEFAULT_MAX_AGE = 60  # Art 6(三): 原则上不超过60周岁 (the whole year of being 60 still counts)
RENEWAL_WINDOW_DAYS = 60  # renewal starts when the term ends within 60 days
TERM_YEARS = 3  # Art 8: 聘期为3年


def ground_label(code: str | None) -> str:
    """'label（article）' of a ground code, or the code itself when unknown."""
    if code not in GROUNDS:
        return code or ""
    label, article = GROUNDS[code]
    return f"{label}（{article}）"


@dataclass(frozen=True)
class DeclineFact:
    """A declined engagement: the local date it was declined and whether the reason was accepted."""

    on: date
    justified: bool | None


def unjustified_refusals(facts: Iterable[DeclineFact], year: int) -> int:
    """Art 15(1): refusals without a justified reason in `year` (undecided ones do not count)."""
    return sum(1 for f in facts if f.justified is False and f.on.year == year)


def refusals_reach_threshold(count: int, threshold: int = DEFAULT_REFUSAL_THRESHOLD) -> bool:
    """True when the year's unjustified refusals are at or above the threshold (≥ 1)."""
    if threshold < 1:
        raise ValueError("拒绝次数阈值应为不小于1的整数")
    return count >= threshold


def over_age_limit(birth_date: date, today: date, max_age: int = DEFAULT_MAX_AGE) -> bool:
    """Art 6(三): past the age limit (the whole year of being `max_age` still counts)."""
    return age_on(birth_date, today) > max_age


@dataclass(frozen=True)
class ExpertFacts:
    """What the proposal scan knows about one active expert."""

    expert_id: int
    birth_date: date
    age_exempt: bool
    declines: tuple[DeclineFact, ...] = ()


@dataclass(frozen=True)
class Proposal:
    """A system proposal: a trigger, its de-duplication key, the proposed ground and the facts in Chinese."""

    expert_id: int
    trigger: str
    key: str
    ground: str
    detail: str


def proposals_for(facts: ExpertFacts, today: date, threshold: int = DEFAULT_REFUSAL_THRESHOLD,
                  max_age: int = DEFAULT_MAX_AGE) -> list[Proposal]:
    """Exit proposals due for one expert today (refusals this year; age over the limit without exemption)."""
    found = []
    refusals = unjustified_refusals(facts.declines, today.year)
    if refusals_reach_threshold(refusals, threshold):
        found.append(Proposal(facts.expert_id, "refusals", f"refusals:{today.year}", "art15_1",
                              f"{today.year}年内无正当理由拒绝承接工作任务{refusals}次，达到{threshold}次的出库审查标准"
                              f"（{GROUNDS['art15_1'][1]}）"))
    if not facts.age_exempt and over_age_limit(facts.birth_date, today, max_age):
        found.append(Proposal(facts.expert_id, "age", "age", "age",
                              f"年满{age_on(facts.birth_date, today)}周岁，超过{max_age}周岁的年龄限制且未获放宽"
                              f"（{GROUNDS['age'][1]}）"))
    return found


def term_end_after(start: date, years: int = TERM_YEARS) -> date:
    """Last day of a term of `years` beginning on `start` (29 February starts end on 28 February)."""
    try:
        return start.replace(year=start.year + years) - timedelta(days=1)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def renewal_due(term_end: date | None, today: date, window_days: int = RENEWAL_WINDOW_DAYS) -> bool:
    """True when a term ends within the renewal window (or has already ended)."""
    return term_end is not None and (term_end - today).days <= window_days


def next_term(term_end: date, years: int = TERM_YEARS) -> tuple[date, date]:
    """The renewed term: from the day after the old term's end, for `years`."""
    start = term_end + timedelta(days=1)
    return start, term_end_after(start, years)


def lapse_instant(term_end: date, tz: ZoneInfo) -> datetime:
    """The moment a term has lapsed: the start of the day after its last day, local time."""
    return datetime.combine(term_end + timedelta(days=1), time(0, 0), tzinfo=tz)
