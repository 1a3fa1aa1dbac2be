"""The dashboard's figures: each a set of categories and one or more series of counts, read from the records the
flows write (roster, requests, draws, engagements, evaluations). Read-only; nothing here changes a row.

It reads several procedures' tables, so it sits beside engine.bootstrap above the procedures (pyproject's
import-linter contract), never below them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from engine.assignment.models import METHODS, DrawRecordRow, WorkRequest
from engine.core.clock import local_date
from engine.evaluation.models import Evaluation, EvaluationCampaign
from engine.evaluation.status import EvaluationStatus
from engine.experts.models import Engagement, Expert, ExpertGroup, GroupMembership
from engine.experts.status import EngagementStatus, ExpertStatus
from engine.platform.models import Unit
from engine.platform.settings import LOCAL_TZ
from rules.eligibility import TITLE_LABELS, TITLE_LEVELS
from rules.evaluation import RATINGS

TERM_WINDOW_DAYS = 90  # terms ending within this many days are listed for renewal (Art 8: a term is 3 years)
AGE_BANDS = ((0, 40, "40岁以下"), (40, 50, "40–49岁"), (50, 60, "50–59岁"), (60, 200, "60岁及以上"))


@dataclass(frozen=True)
class Figure:
    """One chart and its table: rows = categories, one column per series."""

    key: str
    title: str
    dimension: str  # the categories' heading in the table
    categories: list[str]
    series: list[tuple[str, list[int]]]
    chart: str = "bar"  # bar | pie
    note: str = ""

    def rows(self) -> list[list]:
        """The table: one row per category, its counts in series order."""
        return [[c, *(values[i] for _, values in self.series)] for i, c in enumerate(self.categories)]

    def total(self, series: int = 0) -> int:
        """The sum of one series."""
        return sum(self.series[series][1])

    def as_json(self) -> dict:
        """What the chart script reads."""
        return {"key": self.key, "title": self.title, "chart": self.chart, "categories": self.categories,
                "series": [{"name": n, "data": v} for n, v in self.series]}


def _matrix(pairs: Counter, categories: list, columns: list) -> list[list[int]]:
    return [[pairs[(c, col)] for c in categories] for col in columns]


def _local_month(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m")


def experts_by_group(session) -> Figure:
    """Experts per work group and status (an expert in two groups counts in both)."""
    groups = session.execute(select(ExpertGroup.id, ExpertGroup.name).order_by(ExpertGroup.sort_order,
                                                                                 ExpertGroup.id)).all()
    pairs = Counter(session.execute(select(GroupMembership.group_id, Expert.status)
                                    .join(Expert, Expert.id == GroupMembership.expert_id)).all())
    statuses = list(ExpertStatus)
    values = _matrix(pairs, [g.id for g in groups], [s.value for s in statuses])
    return Figure("experts_by_group", "各专家组专家人数（按状态）", "专家组", [g.name for g in groups],
                  [(s.label, v) for s, v in zip(statuses, values, strict=True)])


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_bands(session, today: date) -> Figure:
    """Active experts by age band (age on `today`)."""
    ages = [_age(b, today) for b in session.scalars(select(Expert.birth_date)
                                                   .where(Expert.status == ExpertStatus.ACTIVE))]
    counts = [sum(low <= a < high for a in ages) for low, high, _ in AGE_BANDS]
    return Figure("age", "在库专家年龄分布", "年龄段", [label for *_, label in AGE_BANDS], [("人数", counts)],
                  chart="pie")


def title_levels(session) -> Figure:
    """Active experts by title level (Art 6(2): 副高级及以上 or the 从业年限 path)."""
    levels = Counter(session.scalars(select(Expert.title_level).where(Expert.status == ExpertStatus.ACTIVE)))
    order = list(reversed(TITLE_LEVELS)) + sorted(set(levels) - set(TITLE_LEVELS))
    return Figure("titles", "在库专家职称分布", "职称级别", [TITLE_LABELS.get(c, c) for c in order],
                  [("人数", [levels[c] for c in order])], chart="pie")


def terms_ending(session, today: date) -> Figure:
    """Active experts whose term ends within the next 90 days, per month of the end (Art 8 renewal)."""
    last = today + timedelta(days=TERM_WINDOW_DAYS)
    ends = session.scalars(select(Expert.term_end).where(Expert.status == ExpertStatus.ACTIVE,
                                                         Expert.term_end >= today, Expert.term_end <= last))
    months = Counter(d.strftime("%Y-%m") for d in ends)
    categories = sorted(months)
    return Figure("terms_ending", f"未来{TERM_WINDOW_DAYS}天内聘期届满的在库专家", "届满月份", categories,
                  [("人数", [months[m] for m in categories])],
                  note=f"{today.isoformat()} 至 {last.isoformat()}")


def terms_ending_experts(session, today: date) -> list[tuple[int, str, str, date]]:
    """The experts behind `terms_ending`: (id, name, certificate number, term end), soonest first."""
    last = today + timedelta(days=TERM_WINDOW_DAYS)
    rows = session.execute(select(Expert.id, Expert.name, Expert.certificate_no, Expert.term_end)
                           .where(Expert.status == ExpertStatus.ACTIVE, Expert.term_end >= today,
                                  Expert.term_end <= last).order_by(Expert.term_end, Expert.id)).all()
    return [(r.id, r.name, r.certificate_no or "", r.term_end) for r in rows]


def _units(session) -> dict[int, str]:
    return dict(session.execute(select(Unit.id, Unit.name)).all())


def _per_unit_month(rows, units: dict[int, str], key: str, title: str, label: str) -> Figure:
    pairs = Counter((_local_month(at), unit_id) for unit_id, at in rows)
    months = sorted({m for m, _ in pairs})
    unit_ids = sorted({u for _, u in pairs}, key=lambda u: units.get(u, ""))
    series = [(units.get(u, str(u)), [pairs[(m, u)] for m in months]) for u in unit_ids]
    return Figure(key, title, "月份", months, series, note=label)


def requests_per_unit_month(session) -> Figure:
    """用人申请 per unit and month of filing (Asia/Shanghai)."""
    rows = session.execute(select(WorkRequest.unit_id, WorkRequest.created_at)).all()
    return _per_unit_month(rows, _units(session), "requests", "各单位每月用人申请数", "按提交月份")


def draws_per_unit_month(session) -> Figure:
    """Requests drawn at random (one draw record each, its redraw rounds included) per unit and month (Art 12)."""
    rows = session.execute(select(WorkRequest.unit_id, DrawRecordRow.created_at)
                           .join(WorkRequest, WorkRequest.id == DrawRecordRow.request_id)).all()
    return _per_unit_month(rows, _units(session), "draws", "各单位每月随机抽取的申请数", "按首次抽取月份")


def methods_per_unit(session) -> Figure:
    """Requests per unit and selection method: designated or emergency against random (Art 13 oversight)."""
    units = _units(session)
    pairs = Counter(session.execute(select(WorkRequest.unit_id, WorkRequest.method)).all())
    unit_ids = sorted({u for u, _ in pairs}, key=lambda u: units.get(u, ""))
    values = _matrix(pairs, unit_ids, list(METHODS))
    return Figure("methods", "各单位选派方式（第十三条：指定、紧急选派与随机抽取）", "单位",
                  [units.get(u, str(u)) for u in unit_ids],
                  [(label, v) for label, v in zip(METHODS.values(), values, strict=True)])


def declines_per_unit(session) -> Figure:
    """Per requesting unit: declined engagements, of them unjustified (Art 15(1)), conflicts declared, cancelled."""
    units = _units(session)
    rows = session.execute(select(WorkRequest.unit_id, Engagement.decline_reason, Engagement.decline_justified,
                                  Engagement.conflict_declared, Engagement.status)
                           .join(WorkRequest, WorkRequest.id == Engagement.request_id)).all()
    counts: dict[int, list[int]] = {}
    for unit_id, reason, justified, conflict, status in rows:
        c = counts.setdefault(unit_id, [0, 0, 0, 0])
        c[0] += reason is not None
        c[1] += reason is not None and justified is False
        c[2] += bool(conflict)
        c[3] += status == EngagementStatus.CANCELLED
    unit_ids = sorted(counts, key=lambda u: units.get(u, ""))
    names = ("拒绝", "其中无正当理由", "申请回避", "已取消")
    return Figure("declines", "各单位专家拒绝与取消情况", "单位", [units.get(u, str(u)) for u in unit_ids],
                  [(n, [counts[u][i] for u in unit_ids]) for i, n in enumerate(names)])


def ratings_per_year(session) -> Figure:
    """Finalized annual evaluations per year and overall rating (Art 14, 附件3)."""
    pairs = Counter(session.execute(select(EvaluationCampaign.year, Evaluation.overall_rating)
                                    .join(EvaluationCampaign, EvaluationCampaign.id == Evaluation.campaign_id)
                                    .where(Evaluation.status == EvaluationStatus.FINALIZED)).all())
    years = sorted({y for y, _ in pairs})
    values = _matrix(pairs, years, list(RATINGS))
    return Figure("ratings", "年度评价结果（已定稿）", "年度", [str(y) for y in years],
                  [(label, v) for label, v in zip(RATINGS.values(), values, strict=True)])


def dashboard(session, now: datetime) -> list[Figure]:
    """Every figure of the dashboard, as of `now`."""
    today = local_date(now)
    return [experts_by_group(session), age_bands(session, today), title_levels(session),
            terms_ending(session, today), requests_per_unit_month(session), draws_per_unit_month(session),
            methods_per_unit(session), declines_per_unit(session), ratings_per_year(session)]


def report(session, now: datetime) -> tuple[list[Figure], list[tuple[int, str, str, date]]]:
    """The page's and the workbook's content: every figure and the experts whose terms end in the window."""
    return dashboard(session, now), terms_ending_experts(session, local_date(now))
