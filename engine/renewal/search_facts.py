"""What the inbox search finds renewal tasks by: the expert whose term is renewed."""

from engine.core.contributions import Contributions
from engine.core.inbox_index import SearchFacts
from engine.experts.search_facts import expert_facts, key_part

exports = Contributions()


@exports.search_fact("term_renewal")
def renewal_facts(session, instance) -> SearchFacts | None:
    """The expert of the instance (business key RENEW-<expert id>-<term end>)."""
    return expert_facts(session, key_part(instance.business_key, "RENEW"))
