"""Art 9 counts and membership rules (pure functions)."""

import pytest

from rules.groups import (
    Leadership,
    SubTeamSpec,
    leadership_problems,
    new_group_problems,
    rename_problems,
    retire_problems,
    sub_team_problems,
)

MEMBERS = {1: "甲", 2: "乙", 3: "丙", 4: "丁", 5: "戊"}


@pytest.mark.parametrize("deputies", [(2, 3), (2, 3, 4)])
def test_one_leader_and_two_or_three_deputies_is_valid(deputies):
    assert leadership_problems(Leadership(1, deputies), MEMBERS, MEMBERS) == []


@pytest.mark.parametrize("leader,deputies,expected", [
    (None, (2, 3), ["每个专家组应设组长1名（第九条），请指定组长"]),
    (1, (2,), ["每个专家组应设副组长2—3名（第九条），当前为 1 名"]),
    (1, (2, 3, 4, 5), ["每个专家组应设副组长2—3名（第九条），当前为 4 名"]),
    (1, (1, 2), ["甲（编号 1） 不能同时担任组长和副组长"]),
    (1, (2, 2), ["乙（编号 2） 被重复列为副组长"]),
    (9, (2, 3), ["专家（编号 9） 不是本组在库成员，不能任组长或副组长（第九条）"]),
])
def test_each_broken_rule_is_reported(leader, deputies, expected):
    assert leadership_problems(Leadership(leader, deputies), MEMBERS, MEMBERS) == expected


def test_every_reason_is_returned_at_once():
    problems = leadership_problems(Leadership(None, (8,)), MEMBERS, MEMBERS)
    assert len(problems) == 3


def test_sub_teams_need_unique_names_and_member_leads():
    ok = [SubTeamSpec("电商组", 1, "elected"), SubTeamSpec("玩具组", 2)]
    assert sub_team_problems(ok, MEMBERS, MEMBERS) == []
    bad = [SubTeamSpec("电商组", 1), SubTeamSpec("电 商组", 9), SubTeamSpec("", None, "vote")]
    assert sub_team_problems(bad, MEMBERS, MEMBERS) == [
        "第 2 个专项工作小组：名称“电商组”重复",
        "第 2 个专项工作小组（电商组）：组长 专家（编号 9） 不是本组在库成员",
        "第 3 个专项工作小组：请填写小组名称",
        "第 3 个专项工作小组（未命名）：请确定小组组长（第九条：推选或指定）",
        "第 3 个专项工作小组：组长产生方式应为推选或指定",
    ]


def test_new_groups_renames_and_retirement():
    assert new_group_problems("traceability", "追溯体系组", {"general"}, {"综合工作组"}) == []
    assert new_group_problems("Bad-Code", "", {"general"}, set()) == [
        "专家组代码应以小写字母开头，由小写字母、数字和下划线组成（2—40 位）", "请填写专家组名称"]
    assert new_group_problems("general", "综合服务组", {"general"}, {"综合工作组"}) == [
        "专家组代码 general 已被使用", "已有名为“综合工作组”的专家组"]  # the 附件1 alias is the same group
    assert rename_problems("综合工作组", "综合工作组", set()) == ["新名称与现名称相同"]
    assert rename_problems("监督抽查组", "综合工作组", {"监督抽查组"}) == ["已有名为“监督抽查组”的专家组"]
    assert retire_problems(True, 6) == [] and retire_problems(False, 6) == ["该专家组已撤销"]
    assert retire_problems(True, 1) == ["不能撤销最后一个在用的专家组"]
