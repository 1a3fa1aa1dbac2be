"""Exit statuses."""

from engine.core.status import Status


class ExitCaseStatus(Status):
    """An exit case (`exit_case.status`)."""

    OPEN = "open", "办理中"
    EXITED = "exited", "已出库"
    DISMISSED = "dismissed", "不予出库"
    REJECTED = "rejected", "未获批准"
