"""The legal person (法人) behind an organisation name or credit code: recusal (Art 11(5)) matches parties by it,
and a request takes at most one expert per legal person (Art 13).

- A branch — 分公司, 分支机构, a bank's 分行/支行, 分厂, 分店, 营业部, 办事处 — is no legal person of its own (公司法
  第十三条: 分公司不具有法人资格，其民事责任由公司承担): its name is keyed as the company it belongs to.
- A 统一社会信用代码 declared for an organisation (by any expert, in any kind of declaration) is known for that
  organisation: it applies to every expert whose unit bears the name, declared or not (`known_unit_codes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Protocol

from rules.orgs import normalize_credit_code, normalize_org

# On a normalised name: the company (the longest prefix ending in a company form), an optional place or
# descriptor without another company form, then the branch word at the very end.
_BRANCH = re.compile(r"^(?P<parent>.+(?:公司|集团|银行))(?:(?!公司|集团|银行).)*"
                     r"(?:分公司|分支机构|分行|支行|分厂|分店|营业部|办事处)$")

KnownCodes = Mapping[str, frozenset[str]]
"""normalize_org(organisation name) → the credit codes declared for it (known_unit_codes)."""


class HasUnit(Protocol):
    """What the entity keys read of an expert (rules.recusal.ExpertProfile has it)."""

    id: int
    unit_name: str
    unit_credit_code: str


@lru_cache(maxsize=65536)
def entity_name_key(name: str) -> str:
    """Return the comparison key of the legal person an organisation name belongs to (a branch: its company)."""
    key = normalize_org(name)
    match = _BRANCH.match(key)
    return match.group("parent") if match else key


def is_branch(name: str) -> bool:
    """Return True when the name is a branch's (its legal person bears the company's name)."""
    return entity_name_key(name) != normalize_org(name)


def known_unit_codes(pairs: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """Return normalize_org(name) → every credit code declared with that organisation name.

    `pairs` are (organisation name, credit code) of any declaration; a pair without a name or a code says
    nothing and is skipped.
    """
    found: dict[str, set[str]] = {}
    for name, code in pairs:
        key, code = normalize_org(name or ""), normalize_credit_code(code or "")
        if key and code:
            found.setdefault(key, set()).add(code)
    return {key: frozenset(codes) for key, codes in found.items()}


def legal_entity_key(profile: HasUnit) -> str:
    """Return the "one expert per legal entity per request" key of one expert alone: credit code, else name key."""
    code = "" if is_branch(profile.unit_name) else normalize_credit_code(profile.unit_credit_code)
    # An expert whose unit is unknown must not share an entity with every other such expert.
    return code or entity_name_key(profile.unit_name) or f"expert:{profile.id}"


def legal_entity_keys(experts: Iterable[HasUnit], known: KnownCodes | None = None) -> dict[int, str]:
    """Return the legal person's key per expert: the company's credit code — the expert's own, another expert's
    of the same company, else one declared for it anywhere (`known`) — else its name key.

    A branch's own code is not its company's, so a branch takes the company's key like a unit known by name.
    """
    keys: dict[int, str] = {}
    code_of_name: dict[str, str] = {}
    by_name = []
    for p in experts:
        code = normalize_credit_code(p.unit_credit_code) if p.unit_credit_code else ""
        if code and not is_branch(p.unit_name):
            keys[p.id] = code_of_name[entity_name_key(p.unit_name)] = code
        else:
            by_name.append(p)
    code_of_name.pop("", None)
    known = known or {}
    for p in by_name:  # after the loop above, so input order does not matter
        name = entity_name_key(p.unit_name)
        declared = known.get(name)
        keys[p.id] = code_of_name.get(name) or (min(declared) if declared else "") or name or f"expert:{p.id}"
    return keys
