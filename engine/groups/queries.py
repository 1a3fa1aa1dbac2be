"""Everything the group-change page shows, gathered by one call (read-only)."""

from dataclasses import dataclass

from engine.groups import services as groups
from engine.groups.models import GroupChange


@dataclass
class GroupsPage:
    """Every group's composition and the history of changes."""

    states: list[groups.GroupState]
    changes: list[GroupChange]


def groups_page(session, actor) -> GroupsPage:
    """The 专家组 page."""
    return GroupsPage(groups.overview(session, actor), groups.list_changes(session, actor))
