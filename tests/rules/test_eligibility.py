"""Tests for rules.eligibility (Art 6, 7, 9 and 附件1)."""

import json
from dataclasses import replace
from datetime import date

import pytest

from rules.eligibility import (
    EXEMPTIONS,
    RANK_LABELS,
    RANK_LEVELS,
    TITLE_LABELS,
    TITLE_LEVELS,
    Candidate,
    Thresholds,
    age_on,
    evaluate,
)
from rules.groups import GROUP_CODES, STANDARD_GROUPS, group_code_for_name, normalize_group_name
from rules.work_areas import WORK_AREA_KNOWLEDGE, WORK_AREAS

ON = date(2025, 6, 15)
BORN_AGE_40 = date(1985, 1, 1)


def make(**overrides) -> Candidate:
    base = Candidate(
        birth_date=BORN_AGE_40,
        field_years=10,
        rank_level="vice_division",
        title_level="vice_senior",
        groups=("general",),
    )
    return replace(base, **overrides)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


# --- levels ---------------------------------------------------------------------------------


def test_level_tables_are_consistent():
    assert set(RANK_LABELS) == set(RANK_LEVELS)
    assert set(TITLE_LABELS) == set(TITLE_LEVELS)
    assert RANK_LABELS["vice_division"] == "副处级"
    assert TITLE_LABELS["vice_senior"] == "副高级"
    assert EXEMPTIONS == ("urgent_need", "provincial_honour")


# --- experience: rank path (Art 6(二)) ------------------------------------------------------


@pytest.mark.parametrize("rank", ["vice_division", "division", "vice_bureau", "bureau"])
def test_rank_path_three_years_passes(rank):
    report = evaluate(make(field_years=3, rank_level=rank, title_level="none"), ON)
    assert report.eligible
    assert report.path == "rank"
    assert report.reasons == ()


def test_rank_path_two_years_fails():
    report = evaluate(make(field_years=2, rank_level="vice_division", title_level="none"), ON)
    assert not report.eligible
    assert report.path is None
    assert codes(report.reasons) == ["experience_insufficient"]


@pytest.mark.parametrize("rank", ["none", "section"])
def test_rank_below_vice_division_fails(rank):
    report = evaluate(make(field_years=20, rank_level=rank, title_level="intermediate"), ON)
    assert not report.eligible
    assert codes(report.reasons) == ["experience_insufficient"]


# --- experience: title path -----------------------------------------------------------------


@pytest.mark.parametrize("title", ["vice_senior", "senior"])
def test_title_path_five_years_passes(title):
    report = evaluate(make(field_years=5, rank_level="none", title_level=title), ON)
    assert report.eligible
    assert report.path == "title"


def test_title_path_four_years_fails():
    report = evaluate(make(field_years=4, rank_level="none", title_level="vice_senior"), ON)
    assert not report.eligible
    assert report.path is None
    assert codes(report.reasons) == ["experience_insufficient"]


@pytest.mark.parametrize("title", ["none", "junior", "intermediate"])
def test_title_below_vice_senior_fails(title):
    report = evaluate(make(field_years=30, rank_level="section", title_level=title), ON)
    assert not report.eligible
    assert codes(report.reasons) == ["experience_insufficient"]


def test_four_years_with_rank_uses_rank_path_even_when_title_path_fails():
    report = evaluate(make(field_years=4, rank_level="division", title_level="senior"), ON)
    assert report.eligible
    assert report.path == "rank"


def test_experience_message_explains_both_paths_with_figures():
    report = evaluate(make(field_years=2, rank_level="section", title_level="intermediate"), ON)
    message = report.reasons[0].message
    for part in ("2年", "科级", "中级", "3年以上", "副处级", "5年以上", "副高级"):
        assert part in message
    assert report.reasons[0].article == "第六条第（二）项"


def test_invalid_level_is_a_reason_not_a_crash():
    report = evaluate(make(rank_level="captain", title_level="wizard"), ON)
    assert not report.eligible
    assert codes(report.reasons) == ["invalid_level", "invalid_level", "experience_insufficient"]
    assert "captain" in report.reasons[0].message
    assert "wizard" in report.reasons[1].message


def test_invalid_rank_with_valid_title_path_still_reports_invalid_level():
    report = evaluate(make(field_years=6, rank_level="captain", title_level="senior"), ON)
    assert report.path == "title"
    assert codes(report.reasons) == ["invalid_level"]
    assert not report.eligible


# --- age (Art 6(三)) ------------------------------------------------------------------------


def test_age_on_counts_completed_years():
    assert age_on(date(1964, 6, 16), date(2025, 6, 15)) == 60
    assert age_on(date(1964, 6, 15), date(2025, 6, 15)) == 61
    assert age_on(date(2000, 2, 29), date(2021, 2, 28)) == 20
    assert age_on(date(2000, 2, 29), date(2021, 3, 1)) == 21


def test_day_before_61st_birthday_passes():
    report = evaluate(make(birth_date=date(1964, 6, 16)), ON)
    assert report.eligible
    assert report.flags == ()


def test_61st_birthday_fails():
    report = evaluate(make(birth_date=date(1964, 6, 15)), ON)
    assert not report.eligible
    assert codes(report.reasons) == ["age_over_limit"]
    assert "61" in report.reasons[0].message and "60" in report.reasons[0].message
    assert report.reasons[0].article == "第六条第（三）项"


@pytest.mark.parametrize("exemption", EXEMPTIONS)
def test_61_with_one_exemption_is_eligible_but_flagged(exemption):
    report = evaluate(make(birth_date=date(1964, 6, 15), exemptions=(exemption,)), ON)
    assert report.eligible
    assert codes(report.flags) == ["age_exemption_claimed"]
    assert "61" in report.flags[0].message


def test_61_with_both_exemptions_gives_one_flag_naming_both():
    report = evaluate(make(birth_date=date(1964, 6, 15), exemptions=EXEMPTIONS), ON)
    assert report.eligible
    assert codes(report.flags) == ["age_exemption_claimed"]
    assert "急需" in report.flags[0].message and "荣誉称号" in report.flags[0].message


def test_exemption_under_age_limit_is_not_flagged():
    report = evaluate(make(exemptions=("urgent_need",)), ON)
    assert report.eligible
    assert report.flags == ()


def test_unknown_exemption_does_not_relax_age_limit():
    report = evaluate(make(birth_date=date(1960, 1, 1), exemptions=("friend_of_director",)), ON)
    assert not report.eligible
    assert codes(report.reasons) == ["age_over_limit"]
    assert codes(report.flags) == ["unknown_exemption"]


# --- dishonesty (Art 6(一)) -----------------------------------------------------------------


def test_dishonesty_list_fails():
    report = evaluate(make(on_dishonesty_list=True), ON)
    assert not report.eligible
    assert codes(report.reasons) == ["dishonesty_list"]
    assert report.reasons[0].article == "第六条第（一）项"


# --- groups (Art 9, 附件1) ------------------------------------------------------------------


def test_three_groups_ok_four_fail():
    assert evaluate(make(groups=GROUP_CODES[:3]), ON).eligible
    report = evaluate(make(groups=GROUP_CODES[:4]), ON)
    assert not report.eligible
    assert codes(report.reasons) == ["too_many_groups"]
    assert "4" in report.reasons[0].message and "3" in report.reasons[0].message


def test_duplicate_groups_count_once():
    assert evaluate(make(groups=("general",) * 4), ON).eligible


def test_no_group_fails():
    report = evaluate(make(groups=()), ON)
    assert not report.eligible
    assert codes(report.reasons) == ["no_group"]


def test_unknown_group_fails_only_when_known_groups_given():
    candidate = make(groups=("general", "astrology"))
    assert evaluate(candidate, ON).eligible
    report = evaluate(candidate, ON, known_groups=GROUP_CODES)
    assert not report.eligible
    assert codes(report.reasons) == ["unknown_group"]
    assert "astrology" in report.reasons[0].message


def test_standard_groups_and_alias():
    assert len(STANDARD_GROUPS) == 6
    assert normalize_group_name("综合服务组") == "综合工作组"
    assert normalize_group_name(" 监督抽查组 ") == "监督抽查组"
    assert group_code_for_name("综合服务组") == "general"
    assert group_code_for_name("综合工作组") == "general"
    assert group_code_for_name("机构检查组") == "institution_inspection"
    assert group_code_for_name("不存在组") is None


# --- several reasons at once ----------------------------------------------------------------


def test_all_failing_reasons_are_listed():
    candidate = make(
        birth_date=date(1950, 1, 1),
        field_years=1,
        rank_level="section",
        title_level="junior",
        groups=("general", "nope", "risk_monitoring", "post_license", "quality_assistance"),
        on_dishonesty_list=True,
    )
    report = evaluate(candidate, ON, known_groups=GROUP_CODES)
    assert not report.eligible
    assert codes(report.reasons) == [
        "dishonesty_list",
        "experience_insufficient",
        "age_over_limit",
        "too_many_groups",
        "unknown_group",
    ]


# --- thresholds -----------------------------------------------------------------------------


def test_thresholds_from_mapping_changes_outcome():
    candidate = make(birth_date=date(1962, 1, 1))  # 63 on ON
    assert not evaluate(candidate, ON).eligible
    relaxed = Thresholds.from_mapping({"max_age": "65", "unrelated": "x"})
    assert relaxed.max_age == 65
    assert relaxed.min_rank == "vice_division"
    assert evaluate(candidate, ON, relaxed).eligible


def test_thresholds_from_mapping_converts_and_accepts_labels():
    t = Thresholds.from_mapping(
        {"min_years_with_rank": 4.0, "min_rank": "division", "min_title": "正高级", "max_groups": '"2"', "max_age": None}
    )
    assert (t.min_years_with_rank, t.min_rank, t.min_title, t.max_groups, t.max_age) == (4, "division", "senior", 2, 60)
    assert not evaluate(make(field_years=4, rank_level="vice_division", title_level="none"), ON, t).eligible
    assert not evaluate(make(groups=GROUP_CODES[:3]), ON, t).eligible


@pytest.mark.parametrize(
    "data", [{"min_rank": "general"}, {"min_title": "professor"}, {"max_age": "sixty"}, {"max_age": True}]
)
def test_thresholds_from_mapping_rejects_bad_values(data):
    with pytest.raises(ValueError, match="阈值"):
        Thresholds.from_mapping(data)


# --- checklist and serialisation ------------------------------------------------------------


def test_checklist_for_claimed_areas_in_order():
    report = evaluate(make(work_areas=("legal", "sampling", "legal", "astrology")), ON)
    assert [area for area, _ in report.checklist] == ["法务支撑", "监督抽查"]
    assert report.checklist[0][1] == WORK_AREA_KNOWLEDGE["legal"]
    assert "行政复议" in report.checklist[0][1]
    assert "抽查细则" in report.checklist[1][1]
    assert codes(report.flags) == ["unknown_work_area"]
    assert report.eligible


def test_all_six_work_areas_have_knowledge_text():
    assert [code for code, _, _ in WORK_AREAS] == [
        "sampling", "post_license", "risk", "assistance", "legal", "public_opinion",
    ]
    report = evaluate(make(work_areas=tuple(code for code, _, _ in WORK_AREAS)), ON)
    assert len(report.checklist) == 6
    assert all(text for _, text in report.checklist)


def test_to_dict_json_round_trip():
    report = evaluate(
        make(birth_date=date(1960, 1, 1), exemptions=("provincial_honour",), work_areas=("risk",), groups=()),
        ON,
    )
    data = report.to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["eligible"] is False
    assert data["path"] == "rank"
    assert [r["code"] for r in data["reasons"]] == ["no_group"]
    assert [f["code"] for f in data["flags"]] == ["age_exemption_claimed"]
    assert data["checklist"] == [{"area": "风险监控", "knowledge": WORK_AREA_KNOWLEDGE["risk"]}]
