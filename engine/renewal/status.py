"""Renewal statuses."""

from engine.core.status import Status


class RenewalStatus(Status):
    """A renewal case (`renewal_case.status`)."""

    OPEN = "open", "办理中"
    NOT_RENEWING = "not_renewing", "不续聘，待聘期届满"
    RENEWED = "renewed", "已续聘"
    LAPSED = "lapsed", "聘期届满未续聘"
