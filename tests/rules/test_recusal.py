"""Tests for rules.recusal: pool filters and recusal (Art 8, 9, 11(5), 13), entity keys, name normalisation."""

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest

from rules.recusal import (
    EXCLUSION_CODES,
    EXCLUSION_LABELS,
    RECUSAL_RULES_VERSION,
    Affiliation,
    Busy,
    DeclaredConflict,
    ExpertProfile,
    Party,
    RequestSpec,
    legal_entity_key,
    legal_entity_keys,
    normalize_credit_code,
    normalize_org,
    screen,
    years_before,
)

TODAY = date(2025, 6, 2)
START, END = date(2025, 6, 16), date(2025, 6, 20)
PARTY_CODE = "91350100MA2YQ8KX3T"
PARTY = Party("福建闽江电缆有限公司", PARTY_CODE)
OTHER_PARTY = Party("厦门鹭岛食品股份有限公司", "")
CJK = re.compile(r"[\u4e00-\u9fff]")


def expert(expert_id: int = 1, **overrides) -> ExpertProfile:
    base = ExpertProfile(id=expert_id, status="active", term_end=date(2027, 12, 31),
                         unit_name="福建省产品质量检验研究院", unit_credit_code="12350000488000000A",
                         groups=("supervision_sampling",), specialties="电线电缆、化肥", region="福州")
    return base._replace(**overrides)


def spec(**overrides) -> RequestSpec:
    base = RequestSpec(group="supervision_sampling", start=START, end=END, parties=(PARTY, OTHER_PARTY),
                       request_id=7)
    return replace(base, **overrides)


def excluded_codes(profile: ExpertProfile, request: RequestSpec | None = None, today: date = TODAY) -> list[str]:
    eligible, excluded = screen([profile], request or spec(), today)
    assert (profile.id in eligible) == (not excluded)
    return [e.code for e in excluded]


def only(profile: ExpertProfile, request: RequestSpec | None = None):
    """The single exclusion of a profile (asserts there is exactly one)."""
    _, excluded = screen([profile], request or spec(), TODAY)
    assert len(excluded) == 1, excluded
    return excluded[0]


# --- a clean expert, ordering --------------------------------------------------------------------------------


def test_clean_expert_is_eligible_and_ids_come_back_sorted():
    eligible, excluded = screen([expert(9), expert(3), expert(5)], spec(), TODAY)
    assert eligible == [3, 5, 9]
    assert excluded == []
    assert RECUSAL_RULES_VERSION == "recusal-2"


def test_screen_accepts_any_iterable():
    eligible, _ = screen((expert(i) for i in (4, 2)), spec(), TODAY)
    assert eligible == [2, 4]


def test_end_before_start_is_refused_in_chinese():
    with pytest.raises(ValueError, match="早于开始日期"):
        screen([expert()], spec(start=END, end=START), TODAY)


# --- pool status, term, group, specialty, region -------------------------------------------------------------


def test_not_active_names_the_status():
    row = only(expert(status="suspended"))
    assert (row.code, row.article) == ("not_active", "第十三条")
    assert "暂停" in row.reason


def test_term_expired_before_start_but_not_on_start_day():
    assert excluded_codes(expert(term_end=START - timedelta(days=1))) == ["term_expired"]
    assert excluded_codes(expert(term_end=START)) == []
    assert excluded_codes(expert(term_end=None)) == []
    row = only(expert(term_end=START - timedelta(days=1)))
    assert str(START - timedelta(days=1)) in row.reason and row.article == "第八条"


def test_term_that_ended_before_today_counts_even_for_a_back_dated_request():
    back_dated = spec(start=date(2025, 5, 20), end=date(2025, 6, 10))
    row = only(expert(term_end=date(2025, 5, 25)), back_dated)
    assert row.code == "term_expired" and "今天" in row.reason


def test_not_in_group_names_the_group():
    row = only(expert(groups=("risk_monitoring", "post_license")))
    assert row.code == "not_in_group" and "监督抽查组" in row.reason


def test_group_code_name_and_alias_are_one_group():
    assert excluded_codes(expert(groups=("general",)), spec(group="综合服务组")) == []
    assert excluded_codes(expert(groups=("综合工作组",)), spec(group="general")) == []
    assert excluded_codes(expert(groups=(" 监督 抽查组",))) == []


def test_specialty_mismatch_only_when_specialties_are_requested():
    assert excluded_codes(expert(), spec(specialties=("化肥",))) == []
    assert excluded_codes(expert(), spec(specialties=("食品", "电线电缆"))) == []
    assert excluded_codes(expert(), spec(specialties=("", "  "))) == []
    row = only(expert(), spec(specialties=("食品相关产品", "儿童用品")))
    assert row.code == "specialty_mismatch" and row.article == "第九条"
    assert "食品相关产品、儿童用品" in row.reason and "电线电缆" in row.reason


def test_specialty_match_ignores_width_case_and_spaces():
    profile = expert(specialties="ＬＥＤ 照明、电子 电器")
    assert excluded_codes(profile, spec(specialties=("led照明",))) == []
    assert excluded_codes(profile, spec(specialties=("电子电器",))) == []


def test_region_filter():
    assert excluded_codes(expert(region="厦门")) == []  # no region requested
    assert excluded_codes(expert(region=" 福州 "), spec(region="福州")) == []
    row = only(expert(region="厦门"), spec(region="福州"))
    assert row.code == "outside_region" and "厦门" in row.reason and "福州" in row.reason
    assert only(expert(region=""), spec(region="福州")).code == "outside_region"


# --- unit is a party (Art 11(5)) -----------------------------------------------------------------------------


def test_unit_is_party_by_normalised_name():
    row = only(expert(unit_name="福建闽江电缆 有限公司", unit_credit_code=""))
    assert (row.code, row.article) == ("unit_is_party", "第十一条第（五）项")
    assert "福建闽江电缆有限公司" in row.reason


@pytest.mark.parametrize("written", ["福建闽江电缆有限责任公司", "福建 闽江电缆（有限公司）", "福建闽江电缆有限公司。"])
def test_unit_is_party_across_spellings(written):
    assert excluded_codes(expert(unit_name=written, unit_credit_code="")) == ["unit_is_party"]


def test_unit_is_party_by_credit_code_even_when_names_differ():
    row = only(expert(unit_name="闽江电缆厂（老厂区）", unit_credit_code=PARTY_CODE.lower()))
    assert row.code == "unit_is_party"
    assert PARTY_CODE in row.reason and "福建闽江电缆有限公司" in row.reason


def test_empty_names_and_codes_never_match():
    request = spec(parties=(Party("", ""), Party("福建闽江电缆有限公司", "")))
    assert excluded_codes(expert(unit_name="", unit_credit_code=""), request) == []
    assert excluded_codes(expert(unit_name="某检测中心", unit_credit_code=""), request) == []


def test_party_with_code_only_is_named_by_its_code():
    request = spec(parties=(Party("", PARTY_CODE),))
    row = only(expert(unit_credit_code=PARTY_CODE), request)
    assert row.code == "unit_is_party" and PARTY_CODE in row.reason


# --- affiliation within three years (Art 11(5)) --------------------------------------------------------------


def affiliated(end: date | None, relation: str = "employed", **kwargs) -> ExpertProfile:
    kwargs.setdefault("org_name", "福建闽江电缆有限公司")
    return expert(affiliations=(Affiliation(relation=relation, start=date(2015, 3, 1), end=end, **kwargs),))


def test_affiliation_three_year_boundary():
    three_years = date(2022, 6, 16)  # START minus 3 years
    assert years_before(START, 3) == three_years
    assert excluded_codes(affiliated(three_years - timedelta(days=1))) == []  # 3 years + 1 day before: not excluded
    assert excluded_codes(affiliated(three_years)) == ["affiliated_with_party"]  # exactly 3 years: within
    assert excluded_codes(affiliated(START - timedelta(days=400))) == ["affiliated_with_party"]
    assert excluded_codes(affiliated(None)) == ["affiliated_with_party"]  # still there


def test_three_years_before_29_february():
    assert years_before(date(2024, 2, 29), 3) == date(2021, 2, 28)


def test_affiliation_reason_names_party_relation_and_dates():
    row = only(affiliated(date(2024, 1, 31), relation="office"))
    assert (row.code, row.article) == ("affiliated_with_party", "第十一条第（五）项")
    assert "福建闽江电缆有限公司" in row.reason and "担任职务" in row.reason
    assert "2015-03-01" in row.reason and "2024-01-31" in row.reason
    assert "控制" in only(affiliated(None, relation="controls")).reason


def test_affiliation_by_credit_code_with_a_different_name():
    profile = affiliated(None, org_name="闽江线缆集团", credit_code=PARTY_CODE)
    assert excluded_codes(profile) == ["affiliated_with_party"]


def test_affiliation_with_a_non_party_is_fine():
    assert excluded_codes(affiliated(None, org_name="福建其他公司")) == []


def test_several_affiliations_are_one_row_naming_each_party():
    profile = expert(affiliations=(Affiliation("福建闽江电缆有限公司"), Affiliation("厦门鹭岛食品股份公司", relation="office")))
    row = only(profile)
    assert "福建闽江电缆有限公司" in row.reason and "厦门鹭岛食品股份有限公司" in row.reason


# --- declared conflicts (Art 11(5)) --------------------------------------------------------------------------


def test_declared_relative_names_the_party():
    row = only(expert(conflicts=(DeclaredConflict(party_name="福建闽江电缆有限公司", kind="relative"),)))
    assert row.code == "declared_conflict" and "亲属关系" in row.reason and "福建闽江电缆有限公司" in row.reason


def test_declared_other_interest_by_code_carries_its_note():
    row = only(expert(conflicts=(DeclaredConflict(credit_code=PARTY_CODE, kind="other", note="曾参与其产品研发"),)))
    assert row.code == "declared_conflict" and "其他利害关系" in row.reason and "曾参与其产品研发" in row.reason


def test_declared_conflict_with_a_non_party_is_fine():
    assert excluded_codes(expert(conflicts=(DeclaredConflict(party_name="泉州某某鞋业有限公司"),))) == []
    assert excluded_codes(expert(conflicts=(DeclaredConflict(),))) == []


# --- busy on overlapping dates (Art 13) ----------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end", "busy"), [
    (date(2025, 6, 10), date(2025, 6, 15), False),  # ends the day before
    (date(2025, 6, 21), date(2025, 6, 25), False),  # starts the day after
    (date(2025, 6, 10), date(2025, 6, 16), True),  # ends on the first day
    (date(2025, 6, 20), date(2025, 6, 30), True),  # starts on the last day
    (date(2025, 6, 17), date(2025, 6, 18), True),  # inside
    (date(2025, 6, 1), date(2025, 7, 1), True),  # around
])
def test_busy_overlap(start, end, busy):
    codes = excluded_codes(expert(busy=(Busy(start, end, request_id=3),)))
    assert codes == (["busy"] if busy else [])


def test_busy_with_the_same_request_is_not_a_clash():
    assert excluded_codes(expert(busy=(Busy(START, END, request_id=7),))) == []
    assert excluded_codes(expert(busy=(Busy(START, END, request_id=None),))) == ["busy"]
    assert excluded_codes(expert(busy=(Busy(START, END, request_id=None),)), spec(request_id=None)) == ["busy"]


def test_busy_reason_names_the_engagement():
    row = only(expert(busy=(Busy(date(2025, 6, 18), date(2025, 6, 19), request_id=42),)))
    assert "第 42 号" in row.reason and "2025-06-18" in row.reason and row.article == "第十三条"


# --- every reason, several per expert --------------------------------------------------------------------------


def test_every_code_is_reported_with_a_specific_chinese_reason():
    request = spec(specialties=("食品相关产品",), region="福州")
    everything = expert(
        1, status="exited", term_end=date(2025, 1, 1), groups=("general",), specialties="化肥", region="厦门",
        unit_name="福建闽江电缆有限公司", unit_credit_code="",
        affiliations=(Affiliation("厦门鹭岛食品股份有限公司", relation="controls"),),
        conflicts=(DeclaredConflict("福建闽江电缆有限公司"),), busy=(Busy(START, START, 99),),
    )
    eligible, excluded = screen([expert(2, specialties="食品相关产品"), everything], request, TODAY)
    assert eligible == [2]
    assert [e.code for e in excluded] == list(EXCLUSION_CODES)
    assert set(EXCLUSION_LABELS) == set(EXCLUSION_CODES)
    for row in excluded:
        assert row.expert_id == 1 and CJK.search(row.reason) and row.article.startswith("第")


def test_exclusions_are_ordered_by_expert_then_code():
    pool = [expert(5, status="suspended", groups=()), expert(2, region="x", groups=()), expert(3)]
    eligible, excluded = screen(pool, spec(), TODAY)
    assert eligible == [3]
    assert [(e.expert_id, e.code) for e in excluded] == [(2, "not_in_group"), (5, "not_active"), (5, "not_in_group")]


# --- normalisation and the legal-entity key ------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [
    ("福建某某有限公司", "福建某某 有限公司"),
    ("福建某某（集团）有限公司", "福建某某(集团)有限公司"),
    ("福建某某集团有限责任公司", "福建某某（集团）有限公司"),
    ("福建某某股份有限公司", "福建某某股份公司"),
    ("ABC Co., Ltd.", "abc company limited"),
    ("福建\u3000某某有限公司", "【福建】某某有限公司"),
])
def test_normalize_org_matches_spellings_of_one_name(a, b):
    assert normalize_org(a) == normalize_org(b)


def test_normalize_org_keeps_different_names_apart():
    assert normalize_org("福建某某有限公司") != normalize_org("福建某甲有限公司")
    assert normalize_org("") == ""


def test_normalize_credit_code():
    assert normalize_credit_code(" 91350100ma2yq8kx3t ") == PARTY_CODE
    assert normalize_credit_code("９１３５０１００ＭＡ２ＹＱ８ＫＸ３Ｔ") == PARTY_CODE


def test_legal_entity_key_prefers_credit_code_then_name():
    assert legal_entity_key(expert(unit_credit_code=PARTY_CODE.lower())) == PARTY_CODE
    assert legal_entity_key(expert(unit_name="福建某某 有限责任公司", unit_credit_code="")) == normalize_org("福建某某有限公司")
    assert legal_entity_key(expert(7, unit_name=" ", unit_credit_code="")) == "expert:7"
    assert legal_entity_key(expert(8, unit_name="", unit_credit_code="")) != legal_entity_key(expert(9, unit_name=""))


def test_legal_entity_keys_gives_name_only_units_the_known_code():
    keys = legal_entity_keys([
        expert(1, unit_name="福建某某有限公司", unit_credit_code=PARTY_CODE),
        expert(2, unit_name="福建某某 有限责任公司", unit_credit_code=""),
        expert(3, unit_name="福建别的有限公司", unit_credit_code=""),
        expert(4, unit_name="", unit_credit_code=""),
    ])
    assert keys == {1: PARTY_CODE, 2: PARTY_CODE, 3: normalize_org("福建别的有限公司"), 4: "expert:4"}
