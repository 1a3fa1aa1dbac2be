"""Admission eligibility of an expert candidate (Art 6, Art 7, Art 9 and 附件1 of the Measures).

Pure function of its inputs: the evaluation date and thresholds are passed in. Every failing
reason is returned, and matters the Measures leave to judgement (age exemptions) are flagged.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date

from rules.work_areas import WORK_AREA_KNOWLEDGE, WORK_AREA_NAMES

RANK_LEVELS = ("none", "section", "vice_division", "division", "vice_bureau", "bureau")
RANK_LABELS = dict(zip(RANK_LEVELS, ("无", "科级", "副处级", "正处级", "副厅级", "正厅级及以上"), strict=True))
TITLE_LEVELS = ("none", "junior", "intermediate", "vice_senior", "senior")
TITLE_LABELS = dict(zip(TITLE_LEVELS, ("无", "初级", "中级", "副高级", "正高级"), strict=True))
# Art 6(三): 对工作急需且身体状况能够胜任 / 被授予省级以上专家荣誉称号 — the age limit "may be relaxed".
EXEMPTIONS = ("urgent_need", "provincial_honour")
EXEMPTION_LABELS = dict(zip(EXEMPTIONS, ("产品质量安全监管工作急需且身体状况能够胜任", "被授予省级以上专家荣誉称号"), strict=True))

ART_6_1 = "第六条第（一）项"
ART_6_2 = "第六条第（二）项"
ART_6_3 = "第六条第（三）项"
ART_7 = "第七条"
ART_9 = "第九条"
ANNEX_1 = "附件1《福建省产品质量安全监管专家推荐表》"


def _to_int(key: str, value: object) -> int:
    """Convert a DMN/JSON value (int, integral float or numeric string) to int."""
    if isinstance(value, bool):
        raise ValueError(f"阈值“{key}”应为整数，收到布尔值：{value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().strip('"').strip()
        try:
            return int(float(text)) if text.endswith(".0") else int(text)
        except ValueError:
            pass
    raise ValueError(f"阈值“{key}”应为整数，收到：{value!r}")


def _to_level(key: str, value: object, levels: tuple[str, ...], labels: dict[str, str]) -> str:
    """Accept a level code or its Chinese label; raise ValueError otherwise."""
    text = str(value).strip().strip('"').strip()
    code = text if text in levels else {label: c for c, label in labels.items()}.get(text)
    if code is not None:
        return code
    raise ValueError(f"阈值“{key}”的级别代码无效：{value!r}，应为 {', '.join(levels)} 之一")


@dataclass(frozen=True)
class Thresholds:
    """Numeric limits of Art 6 and 附件1; defaults are the Measures' own figures."""

    max_age: int = 60  # Art 6(三): 原则上不超过60周岁
    min_years_with_rank: int = 3  # Art 6(二): 3年以上且副处以上职务(级)
    min_rank: str = "vice_division"
    min_years_with_title: int = 5  # Art 6(二): 5年以上且副高级以上专业技术职称
    min_title: str = "vice_senior"
    max_groups: int = 3  # 附件1: 申请加入专家组（不超3个）

    def __post_init__(self) -> None:
        if self.min_rank not in RANK_LEVELS:
            raise ValueError(f"最低职务级别代码无效：{self.min_rank!r}")
        if self.min_title not in TITLE_LEVELS:
            raise ValueError(f"最低职称级别代码无效：{self.min_title!r}")

    @classmethod
    def from_mapping(cls, data: Mapping) -> Thresholds:
        """Build thresholds from a mapping (e.g. DMN output), ignoring unknown keys and None values."""
        values: dict[str, object] = {}
        for f in fields(cls):
            if data.get(f.name) is None:
                continue
            raw = data[f.name]
            if f.name == "min_rank":
                values[f.name] = _to_level(f.name, raw, RANK_LEVELS, RANK_LABELS)
            elif f.name == "min_title":
                values[f.name] = _to_level(f.name, raw, TITLE_LEVELS, TITLE_LABELS)
            else:
                values[f.name] = _to_int(f.name, raw)
        return cls(**values)


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Candidate:
    """The facts about an applicant that Art 6, 7 and 9 are checked against."""

    birth_date: date
    field_years: int
    rank_level: str
    title_level: str
    groups: tuple[str, ...]
    on_dishonesty_list: bool = False
    exemptions: tuple[str, ...] = ()
    work_areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One reason or flag: a stable code, a specific Chinese message and the article it rests on."""

    code: str
    message: str
    article: str


@dataclass(frozen=True)
class EligibilityReport:
    """Outcome of `evaluate`: every failing reason, reviewer flags and the Art 7 checklist."""

    eligible: bool
    reasons: tuple[Finding, ...]
    flags: tuple[Finding, ...]
    checklist: tuple[tuple[str, str], ...]
    path: str | None

    def to_dict(self) -> dict:
        """Return a JSON-safe dict of the report."""
        return {
            "eligible": self.eligible,
            "path": self.path,
            "reasons": [asdict(r) for r in self.reasons],
            "flags": [asdict(f) for f in self.flags],
            "checklist": [{"area": area, "knowledge": text} for area, text in self.checklist],
        }


def age_on(birth_date: date, on: date) -> int:
    """Return the completed years of age on the given date."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    """Drop duplicates, keeping first-seen order."""
    return tuple(dict.fromkeys(items))


def _check_age(c: Candidate, on: date, t: Thresholds) -> tuple[list[Finding], list[Finding]]:
    """Art 6(三): age limit; an exemption claim is flagged for the reviewer, never granted."""
    age = age_on(c.birth_date, on)
    if age <= t.max_age:  # the whole year of being max_age still counts
        return [], []
    claimed = [e for e in _unique(c.exemptions) if e in EXEMPTIONS]
    over = f"年满{age}周岁，超过{t.max_age}周岁的年龄限制"
    if not claimed:
        return [Finding("age_over_limit", f"{over}，且未申请放宽年龄限制（第六条第三项）", ART_6_3)], []
    grounds = "；".join(f"“{EXEMPTION_LABELS[e]}”" for e in claimed)
    msg = f"{over}，申请以{grounds}为由放宽年龄限制，须由审核人确认是否同意（第六条第三项）"
    return [], [Finding("age_exemption_claimed", msg, ART_6_3)]


def _check_exemption_codes(c: Candidate) -> list[Finding]:
    """Flag exemption codes that are not among Art 6(三)'s grounds."""
    return [
        Finding("unknown_exemption", f"申请的放宽年龄理由“{e}”不属于第六条第三项规定的情形，不予考虑", ART_6_3)
        for e in _unique(c.exemptions) if e not in EXEMPTIONS
    ]


def _check_levels(c: Candidate) -> list[Finding]:
    """Art 6(二): the rank and title codes must be known levels."""
    found = []
    if c.rank_level not in RANK_LEVELS:
        found.append(Finding("invalid_level", f"职务级别代码“{c.rank_level}”无效，无法按职务条件审查（第六条第二项）", ART_6_2))
    if c.title_level not in TITLE_LEVELS:
        found.append(Finding("invalid_level", f"职称级别代码“{c.title_level}”无效，无法按职称条件审查（第六条第二项）", ART_6_2))
    return found


def _experience_path(c: Candidate, t: Thresholds) -> str | None:
    """Art 6(二): return "rank" or "title" for the experience path met, else None."""
    rank_ok = c.rank_level in RANK_LEVELS and RANK_LEVELS.index(c.rank_level) >= RANK_LEVELS.index(t.min_rank)
    if rank_ok and c.field_years >= t.min_years_with_rank:
        return "rank"
    title_ok = c.title_level in TITLE_LEVELS and TITLE_LEVELS.index(c.title_level) >= TITLE_LEVELS.index(t.min_title)
    if title_ok and c.field_years >= t.min_years_with_title:
        return "title"
    return None


def _experience_finding(c: Candidate, t: Thresholds) -> Finding:
    """Explain both Art 6(二) paths against the candidate's own figures."""
    rank = RANK_LABELS.get(c.rank_level, f"无效代码“{c.rank_level}”")
    title = TITLE_LABELS.get(c.title_level, f"无效代码“{c.title_level}”")
    msg = (
        f"从事相关专业领域工作{c.field_years}年，职务级别为{rank}，专业技术职称为{title}；"
        f"不满足“{t.min_years_with_rank}年以上且{RANK_LABELS[t.min_rank]}以上职务”"
        f"或“{t.min_years_with_title}年以上且{TITLE_LABELS[t.min_title]}以上专业技术职称”的条件（第六条第二项）"
    )
    return Finding("experience_insufficient", msg, ART_6_2)


def _check_groups(c: Candidate, t: Thresholds, known: Collection[str] | None) -> list[Finding]:
    """Art 9 / 附件1: at least one group, at most max_groups, each an existing group."""
    groups = _unique(c.groups)
    if not groups:
        return [Finding("no_group", "未选择申请加入的专家组，至少应选择1个（第九条、附件1）", ART_9)]
    found = []
    if len(groups) > t.max_groups:
        found.append(Finding("too_many_groups", f"申请加入{len(groups)}个专家组，超过{t.max_groups}个的上限（附件1）", ANNEX_1))
    if known is not None:
        found.extend(
            Finding("unknown_group", f"专家组“{g}”不在现有专家组之列（第九条）", ART_9) for g in groups if g not in known
        )
    return found


def _checklist(c: Candidate) -> tuple[tuple[tuple[str, str], ...], list[Finding]]:
    """Art 7: the knowledge items to verify for each claimed work area; unknown areas are flagged."""
    areas = _unique(c.work_areas)
    items = tuple((WORK_AREA_NAMES[a], WORK_AREA_KNOWLEDGE[a]) for a in areas if a in WORK_AREA_NAMES)
    flags = [
        Finding("unknown_work_area", f"工作领域“{a}”不属于第七条所列领域，无对应审核要点", ART_7)
        for a in areas if a not in WORK_AREA_NAMES
    ]
    return items, flags


def evaluate(
    candidate: Candidate,
    on: date,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    known_groups: Collection[str] | None = None,
) -> EligibilityReport:
    """Check a candidate against Art 6, 7, 9 and 附件1 on the given date, returning every reason."""
    reasons: list[Finding] = []
    if candidate.on_dishonesty_list:  # Art 6(一)
        reasons.append(Finding("dishonesty_list", "已被列入失信被执行人等“黑名单”，存在违法失信行为（第六条第一项）", ART_6_1))
    reasons.extend(_check_levels(candidate))
    path = _experience_path(candidate, thresholds)
    if path is None:
        reasons.append(_experience_finding(candidate, thresholds))
    age_reasons, flags = _check_age(candidate, on, thresholds)
    reasons.extend(age_reasons)
    flags.extend(_check_exemption_codes(candidate))
    reasons.extend(_check_groups(candidate, thresholds, known_groups))
    checklist, area_flags = _checklist(candidate)
    flags.extend(area_flags)
    return EligibilityReport(
        eligible=not reasons,
        reasons=tuple(reasons),
        flags=tuple(flags),
        checklist=checklist,
        path=path,
    )
