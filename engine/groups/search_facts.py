"""What the inbox search finds group-change tasks by: the group and the change's summary."""

from engine.core.contributions import Contributions
from engine.core.inbox_index import SearchFacts
from engine.experts.models import ExpertGroup
from engine.groups.models import GroupChange

exports = Contributions()


@exports.search_fact("group_change")
def change_facts(session, instance) -> SearchFacts | None:
    """The group change of the instance (business key GC-<id>)."""
    parts = (instance.business_key or "").split("-")
    change = session.get(GroupChange, int(parts[1])) if len(parts) == 2 and parts[0] == "GC" and parts[1].isdigit() else None
    if change is None:
        return None
    group = session.get(ExpertGroup, change.group_id) if change.group_id else None
    return SearchFacts(groups=(group.name,) if group else (), titles=(change.summary,))
