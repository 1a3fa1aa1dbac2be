"""Statuses as enums, one `status.py` per package that owns a model with a status (viewflow's style)."""

from enum import StrEnum


class Status(StrEnum):
    """A stored status value with its Chinese label: `OPEN = "open", "办理中"`; a member equals its value."""

    def __new__(cls, value: str, label: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label or value
        return member

    @property
    def label(self) -> str:
        """The Chinese label shown to people."""
        return self._label

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Value → label of every member, in declaration order."""
        return {member.value: member.label for member in cls}


class InstanceStatus(Status):
    """A process instance (`process_instance.status`)."""

    RUNNING = "running", "进行中"
    COMPLETED = "completed", "已完成"
    ERROR = "error", "出错"
    TERMINATED = "terminated", "已终止"


class TaskState(Status):
    """An inbox row (`human_task.state`)."""

    OPEN = "open", "待办"
    DONE = "done", "已办"
    CANCELLED = "cancelled", "已取消"
