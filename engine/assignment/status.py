"""Assignment statuses."""

from engine.core.status import Status


class RequestStatus(Status):
    """A work request (`work_request.status`)."""

    FILING = "filing", "待人才开发中心备案"
    APPROVING = "approving", "待领导审批"
    REJECTED = "rejected", "未获批准"
    CONFIRMING = "confirming", "待专家确认"
    CANCELLING = "cancelling", "取消待审批"
    STAFFED = "staffed", "已选派"
    EXHAUSTED = "exhausted", "库内专家不足"
    COMPLETED = "completed", "已完成"
    WITHDRAWN = "withdrawn", "已撤回"
