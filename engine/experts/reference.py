"""Reference data every installation needs: roles, units (Art 12 using units), the Art 9 groups."""

from sqlalchemy import select

from engine.experts.models import ExpertGroup
from engine.platform.models import Role, Unit
from rules.groups import GROUP_ALIASES, STANDARD_GROUPS

ROLES = [
    ("applicant", "申请人", False),
    ("expert", "专家", False),
    ("talent_center", "人才开发中心", True),
    ("quality_division", "质量监督处", True),
    ("bureau_leader", "局领导", False),
    ("using_unit", "使用单位", False),
    ("group_leader", "专家组组长", False),
    ("process_owner", "流程管理员", False),
    ("auditor", "审计人员", True),
    ("admin", "系统管理员", True),
    ("system", "系统", False),
]
CITIES = ["福州", "厦门", "漳州", "泉州", "三明", "莆田", "南平", "龙岩", "宁德"]
PROVINCIAL_UNITS = [
    ("prov_quality", "省市场监管局产品质量安全监管处"),
    ("prov_talent", "省市场监管局人才开发中心"),
    ("prov_office", "省市场监管局办公室"),
    ("prov_law", "省市场监管局法规处"),
    ("prov_license", "省市场监管局认证监督管理处"),
    ("prov_news", "省市场监管局新闻宣传处"),
    ("prov_inst_fqi", "福建省产品质量检验研究院"),
    ("prov_inst_metrology", "福建省计量科学研究院"),
    ("prov_inst_standard", "福建省标准化研究院"),
]
CITY_CODES = ["fuzhou", "xiamen", "zhangzhou", "quanzhou", "sanming", "putian", "nanping", "longyan", "ningde"]


def ensure_reference_data(session) -> None:
    """Insert missing roles, units and groups (idempotent; never renames what exists); commits."""
    have_roles = set(session.scalars(select(Role.code)))
    session.add_all(Role(code=c, name=n, sees_pii=p) for c, n, p in ROLES if c not in have_roles)
    have_units = set(session.scalars(select(Unit.code)))
    units = [(code, f"{city}市市场监督管理局", "city") for code, city in zip(CITY_CODES, CITIES, strict=True)]
    units.append(("pingtan", "平潭综合实验区市场监督管理局", "pingtan"))
    units += [(code, name, "provincial") for code, name in PROVINCIAL_UNITS]
    session.add_all(Unit(code=c, name=n, kind=k) for c, n, k in units if c not in have_units)
    have_groups = set(session.scalars(select(ExpertGroup.code)))
    session.add_all(
        ExpertGroup(code=code, name=name, aliases=[a for a, canon in GROUP_ALIASES.items() if canon == name], sort_order=i)
        for i, (code, name) in enumerate(STANDARD_GROUPS) if code not in have_groups
    )
    session.commit()
