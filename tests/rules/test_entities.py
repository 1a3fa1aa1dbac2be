"""Tests for rules.entities and the legal person in rules.recusal: branches are their company, a credit code
declared for an organisation anywhere is known for every expert of it (Art 11(5), Art 13)."""

from datetime import date

import pytest

from rules.entities import entity_name_key, is_branch, known_unit_codes, legal_entity_key, legal_entity_keys
from rules.orgs import normalize_org
from rules.recusal import ExpertProfile, Party, RequestSpec, screen

TODAY, START, END = date(2025, 6, 2), date(2025, 6, 16), date(2025, 6, 20)
COMPANY = "福建闽江电缆有限公司"
CODE, BRANCH_CODE = "91350100MA2YQ8KX3T", "91350200MA2YQ8KX4U"


def expert(expert_id: int, unit_name: str, unit_credit_code: str = "", **overrides) -> ExpertProfile:
    base = ExpertProfile(id=expert_id, status="active", term_end=date(2027, 12, 31), unit_name=unit_name,
                         unit_credit_code=unit_credit_code, groups=("supervision_sampling",))
    return base._replace(**overrides)


def excluded(profiles, *parties: Party, known=None) -> dict[int, str]:
    spec = RequestSpec(group="supervision_sampling", start=START, end=END, parties=parties)
    _, rows = screen(profiles, spec, TODAY, known)
    return {x.expert_id: x.reason for x in rows if x.code == "unit_is_party"}


@pytest.mark.parametrize("branch", [
    f"{COMPANY}厦门分公司", f"{COMPANY}（厦门）分公司", f"{COMPANY}分公司", f"{COMPANY}泉州分支机构",
    "福建闽江电缆有限责任公司漳州办事处", f"{COMPANY}福州五四路营业部",
])
def test_a_branch_is_keyed_as_its_company(branch):
    assert entity_name_key(branch) == normalize_org(COMPANY) and is_branch(branch)


def test_bank_branches_and_nested_company_names():
    assert entity_name_key("中国工商银行股份有限公司福州鼓楼支行") == normalize_org("中国工商银行股份有限公司")
    assert entity_name_key("中国工商银行福州分行") == "中国工商银行"
    # the company is the longest prefix ending in a company form: a company named after another keeps its name
    assert entity_name_key("福建省电力公司工程有限公司福州分公司") == normalize_org("福建省电力公司工程有限公司")


@pytest.mark.parametrize("name", [COMPANY, "福建闽江电缆子公司", "福建省产品质量检验研究院", "厦门分公司", "",
                                  "福建闽江电缆有限公司厦门子公司"])
def test_what_is_not_a_branch_keeps_its_own_key(name):
    assert entity_name_key(name) == normalize_org(name) and not is_branch(name)


def test_known_unit_codes_collects_every_declared_code_per_organisation():
    known = known_unit_codes([(COMPANY, CODE.lower()), ("福建闽江电缆 有限责任公司", " " + CODE), (COMPANY, ""),
                              ("", CODE), ("别的公司", BRANCH_CODE)])
    assert known == {normalize_org(COMPANY): frozenset({CODE}), normalize_org("别的公司"): frozenset({BRANCH_CODE})}


def test_entity_keys_of_a_company_its_branches_and_name_only_colleagues():
    keys = legal_entity_keys([
        expert(1, COMPANY, CODE), expert(2, f"{COMPANY}厦门分公司", BRANCH_CODE),  # a branch's own code
        expert(3, f"{COMPANY}泉州分公司"), expert(4, "福建别的有限公司"), expert(5, ""),
    ])
    assert keys == {1: CODE, 2: CODE, 3: CODE, 4: normalize_org("福建别的有限公司"), 5: "expert:5"}


def test_entity_keys_take_a_code_declared_anywhere():
    known = known_unit_codes([(COMPANY, CODE)])
    keys = legal_entity_keys([expert(1, COMPANY), expert(2, f"{COMPANY}分公司"), expert(3, "别的单位")], known)
    assert keys == {1: CODE, 2: CODE, 3: normalize_org("别的单位")}
    assert legal_entity_key(expert(4, f"{COMPANY}分公司", BRANCH_CODE)) == normalize_org(COMPANY)


def test_a_colleague_of_an_expert_who_recorded_the_partys_code_is_excluded():
    pool = [expert(1, "闽江电缆公司", CODE), expert(2, "闽江 电缆公司"), expert(3, "别的单位")]
    found = excluded(pool, Party("福建闽江电缆有限公司（另一种写法）", CODE))
    assert set(found) == {1, 2} and "申报记录" in found[2] and CODE in found[2]


def test_a_code_declared_anywhere_links_the_unit_to_a_party_named_otherwise():
    known = known_unit_codes([("闽江电缆公司", CODE)])
    assert set(excluded([expert(1, "闽江电缆公司"), expert(2, "别的单位")], Party("只写代码", CODE), known=known)) == {1}
    # the party's own name declared with a code: an expert recording that code under another name is excluded
    known = known_unit_codes([(COMPANY, CODE)])
    found = excluded([expert(1, "闽江缆业", CODE)], Party(COMPANY), known=known)
    assert set(found) == {1} and "申报的统一社会信用代码" in found[1]


def test_without_a_declared_code_different_names_stay_apart():
    assert excluded([expert(1, "闽江电缆公司"), expert(2, "别的单位")], Party("只写代码", CODE)) == {}


def test_branch_reason_and_plain_reason():
    found = excluded([expert(1, f"{COMPANY}厦门分公司"), expert(2, "福建闽江电缆 有限责任公司")], Party(COMPANY))
    assert "分支机构不具有法人资格" in found[1] and found[2] == f"所在单位“福建闽江电缆 有限责任公司”即当事方“{COMPANY}”"


def test_affiliations_and_conflicts_with_a_branch_are_with_the_party():
    from rules.recusal import Affiliation, DeclaredConflict

    pool = [expert(1, "别的单位", affiliations=(Affiliation(f"{COMPANY}厦门分公司", start=date(2024, 1, 1)),)),
            expert(2, "别的单位", conflicts=(DeclaredConflict(f"{COMPANY}福州分公司"),))]
    spec = RequestSpec(group="supervision_sampling", start=START, end=END, parties=(Party(COMPANY),))
    _, rows = screen(pool, spec, TODAY)
    assert {(x.expert_id, x.code) for x in rows} == {(1, "affiliated_with_party"), (2, "declared_conflict")}
