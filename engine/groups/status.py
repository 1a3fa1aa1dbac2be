"""Group change statuses."""

from engine.core.status import Status


class ChangeStatus(Status):
    """An Art 9 group change (`group_change.status`)."""

    PROPOSED = "proposed", "待局领导批准"
    EFFECTIVE = "effective", "已生效"
    REJECTED = "rejected", "未予批准"
    FAILED = "failed", "未生效"


class NominationStatus(Status):
    """A leader/deputy proposal waiting for an appointment (`group_nomination.status`)."""

    PENDING = "pending", "待任命"
    DECIDED = "decided", "已办理任命"
