"""Pure rules of the yearly capability: 附件3 rating validation, counting, calendar, exit grounds and proposals."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from rules.evaluation import (
    GroupPost,
    UsageFact,
    campaign_deadline,
    campaign_due,
    check_manual_start,
    check_rating,
    choose_rater,
    deadline_instant,
    is_overdue,
    needs_start_reason,
    reminder_dates,
    startable_years,
    tally,
    usage_counts,
)
from rules.exit import (
    GROUNDS,
    DeclineFact,
    ExpertFacts,
    ground_label,
    lapse_instant,
    next_term,
    over_age_limit,
    proposals_for,
    refusals_reach_threshold,
    renewal_due,
    unjustified_refusals,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("rating,opinion,errors", [
    ("good", "工作认真", set()),
    ("fair", "一般", set()),
    ("excellent", "全年参加抽查方案评审5次，意见专业，按时提交报告", set()),
    ("excellent", "优秀", {"opinion"}),  # a one-word “explanation” is not one
    ("poor", "表现较差，不负责", {"opinion"}),  # fewer than 10 characters
    ("poor", "两次无正当理由拒绝任务，且一次评审报告逾期两周未交", set()),
    ("good", "", {"opinion"}),
    ("great", "很好很好很好很好很好很好", {"rating"}),
    (None, "x", {"rating"}),
])
def test_rating_and_explanation(rating, opinion, errors):
    assert set(check_rating(rating, opinion)) == errors


def test_explanation_message_cites_annex_3():
    message = check_rating("poor", "差")["opinion"]
    assert "附件3" in message and "不少于10个字" in message


def test_overall_rating_field_name_is_reported():
    assert set(check_rating("", "x", rating_field="overall_rating")) == {"overall_rating"}


def test_usage_counts_across_years():
    facts = [UsageFact(date(2024, 6, 1), "completed"), UsageFact(date(2025, 3, 1), "completed"),
             UsageFact(date(2025, 11, 30), "confirmed"), UsageFact(date(2026, 1, 5), "completed"),
             UsageFact(date(2026, 12, 20), "confirmed"), UsageFact(date(2026, 4, 1), "declined"),
             UsageFact(date(2026, 4, 2), "cancelled"), UsageFact(date(2026, 4, 3), "released"),
             UsageFact(date(2027, 1, 10), "confirmed")]
    assert usage_counts(facts, 2024) == (1, 1)
    assert usage_counts(facts, 2025) == (2, 3)
    assert usage_counts(facts, 2026) == (2, 5)  # declined / cancelled / released never count; 2027 not yet
    assert usage_counts([], 2026) == (0, 0)


def test_campaign_calendar():
    assert campaign_deadline(2026) == date(2026, 12, 31)
    assert campaign_due(date(2026, 12, 1)) == 2026 and campaign_due(date(2026, 11, 30)) is None
    assert startable_years(date(2026, 3, 2)) == () and startable_years(date(2026, 12, 5)) == (2026,)
    assert startable_years(date(2027, 1, 5)) == (2026,) and startable_years(date(2027, 2, 28)) == (2026,)
    assert reminder_dates(date(2026, 12, 31)) == (date(2026, 12, 21), date(2026, 12, 28), date(2026, 12, 31))
    assert not is_overdue(date(2026, 12, 31), date(2026, 12, 31)) and is_overdue(date(2026, 12, 31), date(2027, 1, 1))
    assert deadline_instant(date(2026, 12, 31), SHANGHAI) == datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)


def test_manual_start_only_in_december_or_late_with_a_reason():
    """Art 14: before its December a year's campaign is refused; after it, made up only with a written reason."""
    reason = "十二月系统停机未能启动评价，补充开展"
    assert check_manual_start(2026, date(2026, 12, 1), None) == {}
    assert not needs_start_reason(2026, date(2026, 12, 31))
    for early in (date(2026, 3, 2), date(2026, 11, 30)):
        assert "第十四条" in check_manual_start(2026, early, reason)["year"]
    assert check_manual_start(2026, date(2027, 1, 5), reason) == {} and needs_start_reason(2026, date(2027, 1, 5))
    assert "原因" in check_manual_start(2026, date(2027, 2, 1), "补启动")["reason"]
    assert "现在只能启动2026年度" in check_manual_start(2025, date(2027, 1, 5), reason)["year"]
    assert "现在不能启动" in check_manual_start(2026, date(2027, 3, 1), reason)["year"]
    assert "只能启动2026年度" in check_manual_start(2027, date(2026, 12, 5), None)["year"]


def test_rater_is_the_leader_or_a_deputy_when_the_expert_leads():
    posts = {"sampling": [GroupPost("sampling", 1, 101, "leader"), GroupPost("sampling", 3, 103, "deputy"),
                          GroupPost("sampling", 2, 102, "deputy")],
             "risk": [GroupPost("risk", 7, 107, "deputy")]}
    assert choose_rater(50, ["sampling"], posts).user_id == 101
    assert choose_rater(1, ["sampling"], posts).user_id == 102  # the leader is rated by the first deputy
    assert choose_rater(50, ["license", "risk"], posts).user_id == 107  # first group that has a post-holder
    assert choose_rater(7, ["risk"], posts) is None


def test_tally_counts_statuses_and_final_ratings():
    result = tally([("group_pending", None), ("center_pending", None), ("finalized", "poor"),
                    ("finalized", "good"), ("finalized", "good")])
    assert (result.total, result.group_pending, result.center_pending, result.finalized, result.open) == (5, 1, 1, 3, 2)
    assert result.by_rating == {"excellent": 0, "good": 2, "fair": 0, "poor": 1}


def test_unjustified_refusals_count_only_this_year_and_unjustified():
    facts = [DeclineFact(date(2026, 2, 1), False), DeclineFact(date(2026, 5, 1), False),
             DeclineFact(date(2026, 6, 1), True), DeclineFact(date(2026, 7, 1), None),
             DeclineFact(date(2025, 12, 31), False)]
    assert unjustified_refusals(facts, 2026) == 2
    assert refusals_reach_threshold(2, 2) and not refusals_reach_threshold(2, 3)
    with pytest.raises(ValueError):
        refusals_reach_threshold(1, 0)


def test_age_limit_counts_the_whole_sixtieth_year():
    born = date(1966, 3, 15)
    assert not over_age_limit(born, date(2027, 3, 14))  # 60 until the day before turning 61
    assert over_age_limit(born, date(2027, 3, 15))


def test_proposals_for_refusals_and_age():
    facts = ExpertFacts(9, date(1960, 1, 1), age_exempt=False,
                        declines=tuple(DeclineFact(date(2026, m, 1), False) for m in (2, 3, 4)))
    found = {p.trigger: p for p in proposals_for(facts, date(2026, 6, 1), threshold=3)}
    assert set(found) == {"refusals", "age"}
    assert (found["refusals"].key, found["refusals"].ground) == ("refusals:2026", "art15_1")
    assert "3次" in found["refusals"].detail and "第十五条第（一）项" in found["refusals"].detail
    assert (found["age"].key, found["age"].ground) == ("age", "age")
    exempt = ExpertFacts(9, date(1960, 1, 1), age_exempt=True)
    assert proposals_for(exempt, date(2026, 6, 1)) == []


def test_grounds_cover_art_15_voluntary_lapse_and_age():
    assert {f"art15_{i}" for i in range(1, 7)} | {"voluntary", "term_lapsed", "age"} == set(GROUNDS)
    assert ground_label("voluntary") == "主动申请退出专家库（第十条第（四）项、第十五条第（三）项）"
    assert ground_label("nonsense") == "nonsense"


def test_renewal_window_and_next_term():
    assert renewal_due(date(2026, 5, 1), date(2026, 3, 2))  # 60 days ahead
    assert not renewal_due(date(2026, 5, 2), date(2026, 3, 2))
    assert renewal_due(date(2026, 1, 1), date(2026, 3, 2))  # already ended
    assert not renewal_due(None, date(2026, 3, 2))
    assert next_term(date(2026, 3, 9)) == (date(2026, 3, 10), date(2029, 3, 9))
    assert next_term(date(2028, 2, 28)) == (date(2028, 2, 29), date(2031, 2, 28))
    assert lapse_instant(date(2026, 3, 9), SHANGHAI) == datetime(2026, 3, 10, tzinfo=SHANGHAI)
