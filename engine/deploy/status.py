"""Workbench statuses."""

from engine.core.status import Status


class DraftStatus(Status):
    """A process draft (`process_draft.status`)."""

    DRAFT = "draft", "草稿"
    DEPLOYED = "deployed", "已部署"
    ABANDONED = "abandoned", "已放弃"
