"""Year-end evaluation statuses."""

from engine.core.status import Status


class CampaignStatus(Status):
    """A year's campaign (`evaluation_campaign.status`)."""

    LAUNCHING = "launching", "启动中"
    OPEN = "open", "评价中"


class EvaluationStatus(Status):
    """One expert's evaluation (`expert_evaluation.status`)."""

    GROUP_PENDING = "group_pending", "待专家组评价"
    CENTER_PENDING = "center_pending", "待人才开发中心评价"
    FINALIZED = "finalized", "已完成"
