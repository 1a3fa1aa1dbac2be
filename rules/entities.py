"""The legal person (法人) behind an organisation name or credit code: recusal (Art 11(5)) matches parties by it,
and a request takes at most one expert per legal person (Art 13).

- A branch — 分公司, 分支机构, a bank's 分行/支行, 分厂, 分店, 营业部, 办事处 — is no legal person of its own (公司法
  第十三条: 分公司不具有法人资格，其民事责任由公司承担): its name is keyed as the company it belongs to.
- A 统一社会信用代码 declared for an organisation (by any expert, in any kind of declaration) is known for that
  organisation: it applies to every expert whose unit bears the name, declared or not (`known_unit_codes`).
`Parties` indexes a request's parties by both, for the recusal checks.
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


class HasParty(Protocol):
    """A party concerned as the requester wrote it (rules.recusal.Party has it)."""

    name: str
    credit_code: str


class Parties:
    """The parties of one request indexed by credit code and by legal person's name (Art 11(5)), widened by the
    codes declared anywhere: a party's code declared under another name makes that name the party's too."""

    def __init__(self, parties: Iterable[HasParty], known: KnownCodes) -> None:
        self.by_name: dict[str, str] = {}  # entity_name_key → the party as the requester wrote it
        self.by_code: dict[str, str] = {}
        self.declared: dict[str, str] = {}  # a key found through a declared code → that code (for the reason)
        for party in parties:  # first listing wins, so reasons name the party as the requester wrote it
            named = party.name or party.credit_code
            self.by_name.setdefault(entity_name_key(party.name), named)
            self.by_code.setdefault(normalize_credit_code(party.credit_code), named)
            for code in known.get(normalize_org(party.name), ()):  # the party's codes declared by experts
                if code not in self.by_code:
                    self.by_code[code], self.declared[code] = named, code
        self.by_name.pop("", None)  # an empty name or code matches nothing
        self.by_code.pop("", None)
        for name, codes in known.items():  # an organisation declared with a party's code is that party
            if (hit := min((c for c in codes if c in self.by_code), default=None)) is not None:
                key = entity_name_key(name)
                if key not in self.by_name:
                    self.by_name[key], self.declared[key] = self.by_code[hit], hit

    def learn_units(self, pool: Iterable[HasUnit]) -> None:
        """An expert's own unit recorded with a party's code makes that unit's name the party's for colleagues."""
        codes, code_of = self.by_code, normalize_credit_code
        for p in pool:
            if p.unit_credit_code and (code := code_of(p.unit_credit_code)) in codes:
                key = entity_name_key(p.unit_name)
                if key and key not in self.by_name:
                    self.by_name[key], self.declared[key] = codes[code], code

    def party_of(self, name: str, code: str) -> str | None:
        """Return the party an organisation belongs to, by credit code first, then by legal person's name."""
        by_code = self.by_code.get(normalize_credit_code(code)) if code else None
        return by_code or self.by_name.get(entity_name_key(name))

    def unit_reason(self, p: HasUnit, party: str) -> str:
        """Return why an expert's unit is the party's legal person: a code, the name, a branch, a declared code."""
        unit, code, key = p.unit_name, normalize_credit_code(p.unit_credit_code), entity_name_key(p.unit_name)
        if code in self.declared:
            return f"所在单位“{unit}”的统一社会信用代码 {code}，与库内专家为当事方“{party}”申报的统一社会信用代码相同"
        if code in self.by_code:
            return f"所在单位“{unit}”的统一社会信用代码 {code} 与当事方“{party}”相同"
        if key in self.declared:
            return f"据库内专家的申报记录，所在单位“{unit}”的统一社会信用代码为 {self.declared[key]}，与当事方“{party}”相同"
        if is_branch(unit) or normalize_org(unit) != key or key != normalize_org(party):
            return f"所在单位“{unit}”与当事方“{party}”属同一公司（分公司等分支机构不具有法人资格，视为同一法人）"
        return f"所在单位“{unit}”即当事方“{party}”"


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
