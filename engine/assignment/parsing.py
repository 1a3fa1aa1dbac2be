"""Parse and check free-text request input: parties (名称 + 统一社会信用代码), designated and external experts.

Every problem becomes a Chinese message keyed by the form field, so a bad submission changes nothing and
tells the user exactly which line to fix.
"""

import re
from dataclasses import dataclass

from sqlalchemy import or_, select

from engine.experts.models import Expert

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015 (no I, O, S, V, Z)
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CODE_AT_END = re.compile(r"^(?P<name>.*?)[\s,，;；:：]*(?P<code>[0-9A-Za-z]{18})$")
SEPARATORS = re.compile(r"[,，;；\t|]+")
MAX_LINES = 50


def credit_code_problem(code: str) -> str | None:
    """Why a 统一社会信用代码 is invalid (length, characters, GB 32100 check digit), or None."""
    if len(code) != 18:
        return "应为18位"
    if any(c not in CREDIT_CHARS for c in code):
        return "含有不允许的字符（不使用 I、O、S、V、Z）"
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(code[:17], CREDIT_WEIGHTS, strict=True))
    check = (31 - total % 31) % 31
    return None if CREDIT_CHARS[check] == code[17] else "校验位不正确，请核对"


def _lines(value) -> list[str]:
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return []


def _party_from_line(line: str) -> tuple[str, str]:
    match = CODE_AT_END.match(line.upper() if line.isascii() else line)
    if match and any(ch.isdigit() for ch in match["code"]):
        return match["name"].strip(" ,，;；"), match["code"].upper()
    return line.strip(" ,，;；"), ""


def parse_parties(value) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, credit code) pairs from lines "名称，代码" or a list of {name, credit_code}; plus problems."""
    if isinstance(value, list):
        pairs = [(str((p or {}).get("name") or "").strip(), str((p or {}).get("credit_code") or "").strip().upper())
                 for p in value if isinstance(p, dict)]
        bad = len(value) - len(pairs)
    else:
        pairs, bad = [_party_from_line(line) for line in _lines(value)], 0
    problems = ["当事方应为包含 name 和 credit_code 的对象"] if bad else []
    if len(pairs) > MAX_LINES:
        problems.append(f"当事方最多 {MAX_LINES} 个")
    for i, (name, code) in enumerate(pairs, start=1):
        if not name:
            problems.append(f"第 {i} 个当事方缺少单位名称")
        elif len(name) > 200:
            problems.append(f"第 {i} 个当事方名称过长（最多200字）")
        if code and (why := credit_code_problem(code)):
            problems.append(f"第 {i} 个当事方“{name}”的统一社会信用代码 {code} {why}")
    return list(dict.fromkeys(pairs)), problems


@dataclass(frozen=True)
class ExternalEntry:
    """An out-of-pool expert as entered: name, unit, contact, optional specialty."""

    name: str
    unit: str
    contact: str
    specialty: str = ""


def _external_from(item) -> list[str]:
    if isinstance(item, dict):
        return [str(item.get(k) or "").strip() for k in ("name", "unit", "contact", "specialty")]
    return [part.strip() for part in SEPARATORS.split(item)]


def parse_externals(value) -> tuple[list[ExternalEntry], list[str]]:
    """Out-of-pool experts from lines "姓名，单位，联系方式[，专业]" or a list of objects; plus problems."""
    items = value if isinstance(value, list) else _lines(value)
    entries, problems = [], []
    for i, item in enumerate(items[:MAX_LINES], start=1):
        parts = _external_from(item) + ["", "", "", ""]
        name, unit, contact, specialty = parts[:4]
        if not (name and unit and contact):
            problems.append(f"库外专家第 {i} 行应包含“姓名，单位，联系方式”")
            continue
        if len(name) > 60 or len(unit) > 200 or len(contact) > 100:
            problems.append(f"库外专家第 {i} 行内容过长")
            continue
        entries.append(ExternalEntry(name, unit, contact, specialty[:200]))
    return entries, problems


def _designated_tokens(value) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return _lines(value)


def _match_expert(rows: list, token: str):
    by_id = [r for r in rows if token.lstrip("#").isdigit() and r.id == int(token.lstrip("#"))]
    by_cert = [r for r in rows if r.certificate_no == token]
    by_name = [r for r in rows if r.name == token]
    return by_id or by_cert or by_name


def resolve_designated(session, value) -> tuple[list[Expert], list[str]]:
    """Pool experts named by id (#12), certificate number or unique name, one per line; plus problems."""
    tokens = _designated_tokens(value)[:MAX_LINES]
    if not tokens:
        return [], []
    ids = [int(t.lstrip("#")) for t in tokens if t.lstrip("#").isdigit()]
    rows = list(session.scalars(select(Expert).where(or_(
        Expert.id.in_(ids), Expert.certificate_no.in_(tokens), Expert.name.in_(tokens)))))
    found, problems = [], []
    for token in tokens:
        matches = _match_expert(rows, token)
        if not matches:
            problems.append(f"库内没有找到专家“{token}”（请填写聘书编号或姓名）")
        elif len(matches) > 1:
            problems.append(f"姓名“{token}”对应多位专家，请改填聘书编号")
        elif matches[0] not in found:
            found.append(matches[0])
    return found, problems
