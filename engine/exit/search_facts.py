"""What the inbox search finds exit tasks by: the expert the case is about."""

from engine.core.contributions import Contributions
from engine.core.inbox_index import SearchFacts
from engine.exit.models import ExitCase
from engine.experts.search_facts import expert_facts, key_part

exports = Contributions()


@exports.search_fact("exit")
def exit_facts(session, instance) -> SearchFacts | None:
    """The expert of the exit case (business key EXIT-<case id>)."""
    case = session.get(ExitCase, key_part(instance.business_key, "EXIT") or 0)
    return expert_facts(session, case.expert_id) if case else None
