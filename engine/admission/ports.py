"""What admission needs from other procedures (wired in engine.bootstrap)."""

from engine.core.ports import Port

propose_group_position = Port(
    "propose_group_position",
    "propose_group_position(session, expert_id, group_code, position, proposed_by, application_id, now) -> "
    "nomination or None: quality_division's leader/deputy proposal made at admission (Art 8(一)3) becomes a pending "
    "appointment of the group (groups, Art 9).")
