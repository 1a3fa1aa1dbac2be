"""What the inbox search finds admission tasks by: the applicant's name, ID number, work unit, groups."""

from engine.admission.models import Application
from engine.core.contributions import Contributions
from engine.core.inbox_index import SearchFacts
from engine.experts.search_facts import group_names, key_part

exports = Contributions()


@exports.search_fact("admission_public")
@exports.search_fact("admission_invited")
def application_facts(session, instance) -> SearchFacts | None:
    """The application of the instance (business key APP-<id>)."""
    app = session.get(Application, key_part(instance.business_key, "APP") or 0)
    if app is None:
        return None
    form = app.form or {}
    return SearchFacts(names=(app.name,), id_number=str(form.get("id_number") or ""),
                       unit=str(form.get("unit_name") or ""), groups=group_names(session, app.groups))
