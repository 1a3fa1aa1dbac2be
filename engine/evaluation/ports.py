"""What the annual evaluation needs from other procedures (wired in engine.bootstrap)."""

from engine.core.ports import Port

usage_counts = Port(
    "usage_counts",
    "usage_counts(session, expert_id, year) -> rules.evaluation.UsageCounts: this year's and cumulative "
    "engagements (assignment, Art 14).")

usage_records = Port(
    "usage_records",
    "usage_records(session, expert_id, year) -> list of dicts: the year's engagements with their usage "
    "records, as the 评价表 lists them (assignment).")

propose_exit = Port(
    "propose_exit",
    "propose_exit(session, expert_id, trigger, key, facts, actor, now, *, link=None) -> exit case or None: an "
    "exit review once per key, or a note with the link on the expert's case already open (exit, Art 15).")

first_term_starts = Port(
    "first_term_starts",
    "first_term_starts(session, expert_ids) -> {expert_id: date}: the first term's start of renewed experts, "
    "from which cumulative usage is counted (renewal).")
