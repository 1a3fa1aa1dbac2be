"""Art 9 of the Measures: the standard expert groups, their leader and deputies, and special-task sub-teams.

Pure functions of their inputs (standard library only). Each check returns every reason a proposal breaks
the rules, in Chinese, so a reviewer sees them all at once; an empty list means the proposal is valid.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

# Art 9: the six standard expert groups, as (code, name) pairs.
STANDARD_GROUPS: tuple[tuple[str, str], ...] = (
    ("general", "综合工作组"),
    ("supervision_sampling", "监督抽查组"),
    ("risk_monitoring", "风险监控组"),
    ("post_license", "证后检查组"),
    ("quality_assistance", "质量帮扶组"),
    ("institution_inspection", "机构检查组"),
)
GROUP_NAMES: dict[str, str] = dict(STANDARD_GROUPS)
GROUP_CODES: tuple[str, ...] = tuple(code for code, _ in STANDARD_GROUPS)

# 附件1《推荐表》 calls the general group 综合服务组; Art 9 calls it 综合工作组.
GROUP_ALIASES: dict[str, str] = {"综合服务组": "综合工作组"}



def normalize_group_name(name: str) -> str:
    """Return the canonical Art 9 group name, mapping the 附件1 alias 综合服务组 to 综合工作组."""
    cleaned = "".join(name.split())
    return GROUP_ALIASES.get(cleaned, cleaned)


def group_code_for_name(name: str) -> str | None:
    """Return the standard group code for a group name (alias accepted), or None if not standard."""
    canonical = normalize_group_name(name)
    return next((code for code, label in STANDARD_GROUPS if label == canonical), None)


ART_9 = "第九条"
LEADERS_PER_GROUP = 1  # Art 9: 每个专家组各设组长1名
MIN_DEPUTIES, MAX_DEPUTIES = 2, 3  # Art 9: 副组长2—3名
MAX_NAME = 60
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,39}")
LEAD_METHODS = {"elected": "推选", "designated": "指定"}  # Art 9: 专项小组组长可视情采取推选或指定的办法确定


@dataclass(frozen=True)
class Leadership:
    """A group's proposed leader and deputies (expert ids)."""

    leader: int | None
    deputies: tuple[int, ...]


@dataclass(frozen=True)
class SubTeamSpec:
    """A proposed special-task sub-team (专项工作小组) and its lead."""

    name: str
    lead: int | None
    lead_method: str = "designated"


def _label(expert_id: int, names: Mapping[int, str]) -> str:
    return f"{names.get(expert_id, '专家')}（编号 {expert_id}）"


def leadership_problems(proposal: Leadership, members: Collection[int], names: Mapping[int, str]) -> list[str]:
    """Reasons a leader/deputy appointment breaks Art 9 (counts, no double roles, members only)."""
    problems = []
    if proposal.leader is None:
        problems.append(f"每个专家组应设组长{LEADERS_PER_GROUP}名（{ART_9}），请指定组长")
    count = len(proposal.deputies)
    if not MIN_DEPUTIES <= count <= MAX_DEPUTIES:
        problems.append(f"每个专家组应设副组长{MIN_DEPUTIES}—{MAX_DEPUTIES}名（{ART_9}），当前为 {count} 名")
    for expert_id, times in Counter(proposal.deputies).items():
        if times > 1:
            problems.append(f"{_label(expert_id, names)} 被重复列为副组长")
    if proposal.leader is not None and proposal.leader in proposal.deputies:
        problems.append(f"{_label(proposal.leader, names)} 不能同时担任组长和副组长")
    appointed = ([proposal.leader] if proposal.leader is not None else []) + list(dict.fromkeys(proposal.deputies))
    for expert_id in appointed:
        if expert_id not in members:
            problems.append(f"{_label(expert_id, names)} 不是本组在库成员，不能任组长或副组长（{ART_9}）")
    return problems


def sub_team_problems(teams: Sequence[SubTeamSpec], members: Collection[int], names: Mapping[int, str]) -> list[str]:
    """Reasons a group's list of sub-teams is invalid (names unique, each lead a member of the group)."""
    problems = []
    seen: set[str] = set()
    for index, team in enumerate(teams, start=1):
        name = "".join((team.name or "").split())
        where = f"第 {index} 个专项工作小组"
        if not name:
            problems.append(f"{where}：请填写小组名称")
        elif len(name) > MAX_NAME:
            problems.append(f"{where}：名称不能超过 {MAX_NAME} 个字")
        elif name in seen:
            problems.append(f"{where}：名称“{name}”重复")
        seen.add(name)
        if team.lead is None:
            problems.append(f"{where}（{name or '未命名'}）：请确定小组组长（{ART_9}：推选或指定）")
        elif team.lead not in members:
            problems.append(f"{where}（{name or '未命名'}）：组长 {_label(team.lead, names)} 不是本组在库成员")
        if team.lead_method not in LEAD_METHODS:
            problems.append(f"{where}：组长产生方式应为推选或指定")
    return problems


def _name_problems(name: str, existing_names: Collection[str]) -> list[str]:
    cleaned = normalize_group_name(name or "")
    if not cleaned:
        return ["请填写专家组名称"]
    if len(cleaned) > MAX_NAME:
        return [f"专家组名称不能超过 {MAX_NAME} 个字"]
    if cleaned in {normalize_group_name(n) for n in existing_names}:
        return [f"已有名为“{cleaned}”的专家组"]
    return []


def new_group_problems(code: str, name: str, existing_codes: Collection[str], existing_names: Collection[str]) -> list[str]:
    """Reasons a new group (Art 9: 可依据实际工作需要进行增设) cannot be added."""
    problems = []
    if not CODE_PATTERN.fullmatch(code or ""):
        problems.append("专家组代码应以小写字母开头，由小写字母、数字和下划线组成（2—40 位）")
    elif code in existing_codes:
        problems.append(f"专家组代码 {code} 已被使用")
    return problems + _name_problems(name, existing_names)


def rename_problems(new_name: str, current_name: str, other_names: Collection[str]) -> list[str]:
    """Reasons a group cannot be renamed to `new_name` (Art 9: 调整)."""
    if normalize_group_name(new_name or "") == normalize_group_name(current_name):
        return ["新名称与现名称相同"]
    return _name_problems(new_name, other_names)


def retire_problems(active: bool, active_group_count: int) -> list[str]:
    """Reasons a group cannot be retired: already retired, or it is the last active group."""
    if not active:
        return ["该专家组已撤销"]
    if active_group_count <= 1:
        return ["不能撤销最后一个在用的专家组"]
    return []
