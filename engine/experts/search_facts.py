"""Search facts every procedure shares: an expert's name, ID number, unit and groups; group names by code."""

from sqlalchemy import select

from engine.core.inbox_index import SearchFacts
from engine.experts.models import Expert, ExpertGroup, GroupMembership


def group_names(session, codes) -> tuple[str, ...]:
    """The names of the groups with these codes (unknown codes left out)."""
    wanted = [c for c in codes or () if c]
    if not wanted:
        return ()
    return tuple(session.scalars(select(ExpertGroup.name).where(ExpertGroup.code.in_(wanted))
                                 .order_by(ExpertGroup.sort_order)))


def expert_facts(session, expert_id: int | None, *titles: str) -> SearchFacts | None:
    """What a task about one expert is found by: name, ID number, unit, the groups they belong to."""
    expert = session.get(Expert, expert_id) if expert_id else None
    if expert is None:
        return None
    groups = session.scalars(select(ExpertGroup.name).join(GroupMembership, GroupMembership.group_id == ExpertGroup.id)
                             .where(GroupMembership.expert_id == expert.id).order_by(ExpertGroup.sort_order))
    return SearchFacts(names=(expert.name,), id_number=expert.id_number or "", unit=expert.unit_name or "",
                       groups=tuple(groups), titles=tuple(t for t in titles if t))


def key_part(business_key: str | None, prefix: str, index: int = 1) -> int | None:
    """The integer at `index` of a business key `PREFIX-<a>-<b>…` with this prefix, else None."""
    parts = (business_key or "").split("-")
    if parts[0] != prefix or len(parts) <= index or not parts[index].isdigit():
        return None
    return int(parts[index])
