"""Admission statuses."""

from engine.core.status import Status


class ApplicationStatus(Status):
    """An application (`application.status`)."""

    IN_REVIEW = "in_review", "审核中"
    RETURNED = "returned", "退回补正"
    REJECTED = "rejected", "未通过"
    APPROVED = "approved", "已批准，待发文"
    AWAITING_COMMITMENT = "awaiting_commitment", "待签承诺书"
    LAPSED = "lapsed", "逾期未签承诺书"
    ADMITTED = "admitted", "已入库"


# An application still being handled (not rejected, lapsed or admitted).
OPEN_STATUSES = (ApplicationStatus.IN_REVIEW, ApplicationStatus.RETURNED, ApplicationStatus.APPROVED,
                 ApplicationStatus.AWAITING_COMMITMENT)
