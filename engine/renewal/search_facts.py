"""What the inbox search finds renewal tasks by: the expert whose term is renewed."""

from sqlalchemy import select

from engine.core.contributions import Contributions
from engine.core.inbox_index import SearchFacts
from engine.experts.search_facts import expert_facts, key_part
from engine.renewal.models import RenewalCase

exports = Contributions()


@exports.search_fact("term_renewal")
def renewal_facts(session, instance) -> SearchFacts | None:
    """The expert of the instance (business key RENEW-<expert id>-<term end>)."""
    return expert_facts(session, key_part(instance.business_key, "RENEW"))


def instances_about(session, expert_id: int) -> list[int]:
    """The instances of the expert's renewal cases (experts.ports.expert_instances)."""
    query = select(RenewalCase.instance_id).where(RenewalCase.expert_id == expert_id,
                                                  RenewalCase.instance_id.is_not(None))
    return list(session.scalars(query))
