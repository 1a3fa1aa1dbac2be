"""What the inbox search finds evaluation tasks by: the evaluated expert."""

from sqlalchemy import select

from engine.core.contributions import Contributions
from engine.core.inbox_index import SearchFacts
from engine.evaluation.models import Evaluation
from engine.experts.search_facts import expert_facts, key_part

exports = Contributions()


@exports.search_fact("annual_evaluation")
def evaluation_facts(session, instance) -> SearchFacts | None:
    """The expert of the instance (business key EVAL-<year>-<expert id>)."""
    return expert_facts(session, key_part(instance.business_key, "EVAL", 2))


def instances_about(session, expert_id: int) -> list[int]:
    """The instances of the expert's evaluations (experts.ports.expert_instances)."""
    query = select(Evaluation.instance_id).where(Evaluation.expert_id == expert_id,
                                                 Evaluation.instance_id.is_not(None))
    return list(session.scalars(query))
