"""What the inbox search finds exit tasks by: the expert the case is about."""

from sqlalchemy import select

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


def instances_about(session, expert_id: int) -> list[int]:
    """The instances of the expert's exit cases (experts.ports.expert_instances)."""
    query = select(ExitCase.instance_id).where(ExitCase.expert_id == expert_id,
                                               ExitCase.instance_id.is_not(None))
    return list(session.scalars(query))
