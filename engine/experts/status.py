"""Roster statuses: experts and their engagements."""

from engine.core.status import Status


class ExpertStatus(Status):
    """An expert (`expert.status`)."""

    ACTIVE = "active", "在库"
    SUSPENDED = "suspended", "暂停"
    EXITED = "exited", "已出库"
    EXPIRED = "expired", "聘期届满"


class EngagementStatus(Status):
    """An expert on one request (`engagement.status`)."""

    DRAWN = "drawn", "待确认"
    CONFIRMED = "confirmed", "已确认"
    DECLINED = "declined", "已拒绝（待审批取消）"
    CANCEL_PENDING = "cancel_pending", "申请回避（待审批取消）"
    CANCELLED = "cancelled", "已取消"
    RELEASED = "released", "已释放"
    COMPLETED = "completed", "已完成"
