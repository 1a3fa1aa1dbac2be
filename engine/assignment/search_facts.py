"""What the inbox search finds assignment tasks by: the request's title, unit and group (never drawn names)."""

from engine.assignment.models import WorkRequest
from engine.core.contributions import Contributions
from engine.core.inbox_index import SearchFacts
from engine.experts.search_facts import group_names, key_part
from engine.platform.models import Unit

exports = Contributions()


@exports.search_fact("assignment")
def request_facts(session, instance) -> SearchFacts | None:
    """The work request of the instance (business key REQ-<id>); the drawn experts stay out (Art 13)."""
    request = session.get(WorkRequest, key_part(instance.business_key, "REQ") or 0)
    if request is None:
        return None
    unit = session.get(Unit, request.unit_id)
    return SearchFacts(unit=unit.name if unit else "", groups=group_names(session, [request.group_code]),
                       titles=(request.title,))
