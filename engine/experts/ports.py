"""What the shared expert roster needs from the procedures (wired in engine.bootstrap)."""

from engine.core.ports import Port

release_engagements = Port(
    "release_engagements",
    "release_engagements(session, expert_id, reason, actor, now): an exited expert's open engagements are released "
    "and redrawn (assignment), in the caller's unit of work.")

admission_exemptions = Port(
    "admission_exemptions",
    "admission_exemptions(session, application_ids) -> {application_id: tuple of Art 6(三) age exemptions "
    "accepted at admission} (admission).")

expert_cases = Port(
    "expert_cases",
    "expert_cases(session, expert_id) -> list of engine.experts.history.HistoryItem: the expert's cases in every "
    "procedure (applications, requests and exclusions, renewals, evaluations, exit cases) for the expert's history.")

expert_instances = Port(
    "expert_instances",
    "expert_instances(session, expert_id) -> instance ids whose inbox search facts read the expert's record "
    "(evaluation, renewal, exit; admission reads its application and assignment never names the drawn experts), "
    "so a change of the expert's unit refreshes their open rows (engine.core.inbox_index.refresh).")
