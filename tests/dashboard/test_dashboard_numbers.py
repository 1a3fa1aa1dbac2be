"""The dashboard's numbers equal SQL counts on the world the flows produced (demo pool, assignment demo with its
decline approved by the leader, the 2026 campaign with two forms finalized)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from engine.dashboard.figures import AGE_BANDS, TERM_WINDOW_DAYS, dashboard
from tests.dashboard.dashboard_support import instant_with_terms_ending, seed_dashboard_world, sql_pairs


def _years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years)  # the demo's birth dates and this test's day avoid 29 February


@pytest.fixture()
def world(session):
    """The seeded world and an instant that has some active terms ending within the window."""
    seeded = seed_dashboard_world(session)
    at, day = instant_with_terms_ending(session)
    return seeded | {"at": at, "today": day}


def _figures(session, at) -> dict:
    return {f.key: f for f in dashboard(session, at)}


def _cells(figure) -> dict:
    """{(category, series name): count} of the non-zero cells."""
    return {(c, name): values[i] for name, values in figure.series for i, c in enumerate(figure.categories)
            if values[i]}


def test_roster_figures_equal_sql_counts(session, world):
    figures = _figures(session, world["at"])
    by_group = sql_pairs(session, """
        SELECT g.name, e.status, COUNT(*) FROM group_membership m JOIN expert e ON e.id = m.expert_id
        JOIN expert_group g ON g.id = m.group_id GROUP BY g.name, e.status""")
    labels = {"active": "在库", "suspended": "暂停", "exited": "已出库", "expired": "聘期届满"}
    assert _cells(figures["experts_by_group"]) == {(g, labels[s]): n for (g, s), n in by_group.items()}
    assert {s for _, s in by_group} >= {"active", "suspended", "exited"}  # the demo pool has all three

    today = world["today"]
    ages = figures["age"].series[0][1]
    for (low, high, label), shown in zip(AGE_BANDS, ages, strict=True):
        # born after `today - high years` and on or before `today - low years` ⇔ low <= age < high
        n = session.execute(text("SELECT COUNT(*) FROM expert WHERE status = 'active' AND birth_date > :oldest "
                                 "AND birth_date <= :youngest"),
                            {"oldest": _years_before(today, high), "youngest": _years_before(today, low)}).scalar_one()
        assert shown == n, label
    active = session.execute(text("SELECT COUNT(*) FROM expert WHERE status = 'active'")).scalar_one()
    assert figures["age"].total() == active == figures["titles"].total()
    titles = sql_pairs(session, "SELECT title_level, COUNT(*) FROM expert WHERE status = 'active' GROUP BY title_level")
    title_labels = {"senior": "正高级", "vice_senior": "副高级", "intermediate": "中级", "junior": "初级", "none": "无"}
    assert _cells(figures["titles"]) == {(title_labels[k], "人数"): n for k, n in titles.items()}

    ending = session.execute(text("SELECT COUNT(*) FROM expert WHERE status = 'active' AND term_end >= :today "
                                  "AND term_end <= :last"),
                             {"today": today, "last": today + timedelta(days=TERM_WINDOW_DAYS)}).scalar_one()
    assert figures["terms_ending"].total() == ending > 0


def test_assignment_figures_equal_sql_counts(session, world):
    figures = _figures(session, world["at"])
    requests = sql_pairs(session, "SELECT u.name, COUNT(*) FROM work_request r JOIN unit u ON u.id = r.unit_id "
                                  "GROUP BY u.name")
    assert {name: sum(v) for name, v in figures["requests"].series} == requests
    assert figures["requests"].categories == ["2026-03"]  # every demo request was filed in March (local time)
    draws = sql_pairs(session, "SELECT u.name, COUNT(*) FROM draw_record d JOIN work_request r ON r.id = d.request_id "
                               "JOIN unit u ON u.id = r.unit_id GROUP BY u.name")
    assert {name: sum(v) for name, v in figures["draws"].series} == draws and sum(draws.values()) >= 3

    methods = sql_pairs(session, "SELECT u.name, r.method, COUNT(*) FROM work_request r JOIN unit u "
                                 "ON u.id = r.unit_id GROUP BY u.name, r.method")
    method_labels = {"random": "随机抽取", "designated": "指定专家", "external": "库外临时邀请", "emergency": "紧急选派"}
    assert _cells(figures["methods"]) == {(u, method_labels[m]): n for (u, m), n in methods.items()}
    assert any(m == "emergency" for _, m in methods)  # Art 13: the demo's emergency designation is shown

    declined = sql_pairs(session, "SELECT u.name, COUNT(*) FROM engagement e JOIN work_request r "
                                  "ON r.id = e.request_id JOIN unit u ON u.id = r.unit_id "
                                  "WHERE e.decline_reason IS NOT NULL GROUP BY u.name")
    unjustified = sql_pairs(session, "SELECT u.name, COUNT(*) FROM engagement e JOIN work_request r "
                                     "ON r.id = e.request_id JOIN unit u ON u.id = r.unit_id "
                                     "WHERE e.decline_reason IS NOT NULL AND e.decline_justified = :no "
                                     "GROUP BY u.name", no=False)
    cancelled = sql_pairs(session, "SELECT u.name, COUNT(*) FROM engagement e JOIN work_request r "
                                   "ON r.id = e.request_id JOIN unit u ON u.id = r.unit_id "
                                   "WHERE e.status = 'cancelled' GROUP BY u.name")
    cells = _cells(figures["declines"])
    assert {u: n for (u, s), n in cells.items() if s == "拒绝"} == declined and declined
    assert {u: n for (u, s), n in cells.items() if s == "其中无正当理由"} == unjustified and unjustified
    assert {u: n for (u, s), n in cells.items() if s == "已取消"} == cancelled and cancelled


def test_rating_figure_equals_sql_counts(session, world):
    figures = _figures(session, world["at"])
    ratings = sql_pairs(session, "SELECT c.year, v.overall_rating, COUNT(*) FROM expert_evaluation v "
                                 "JOIN evaluation_campaign c ON c.id = v.campaign_id WHERE v.status = 'finalized' "
                                 "GROUP BY c.year, v.overall_rating")
    labels = {"excellent": "优秀", "good": "良好", "fair": "一般", "poor": "差"}
    assert _cells(figures["ratings"]) == {(str(y), labels[r]): n for (y, r), n in ratings.items()}
    assert ratings == {(2026, "excellent"): 1, (2026, "good"): 1}  # the two forms rated to the end
