"""All tables; importing this module registers every model on `engine.db.Base.metadata`."""

from engine.models import assignment, evaluation, notify, workbench  # noqa: F401  (register their tables)
from engine.models.calls import APPLICATION_STATUSES, Application, PublicCall
from engine.models.experts import (
    EXPERT_STATUSES,
    GROUP_ROLES,
    Attachment,
    DishonestyEntry,
    Expert,
    ExpertGroup,
    GroupMembership,
)
from engine.models.users import UNIT_KINDS, ApiToken, Role, Unit, User, UserRole
from engine.models.workflow import (
    INSTANCE_STATUSES,
    TASK_STATES,
    AuditEvent,
    Counter,
    HumanTask,
    Incident,
    ProcessInstance,
    ProcessVersion,
)

__all__ = [
    "APPLICATION_STATUSES", "EXPERT_STATUSES", "GROUP_ROLES", "INSTANCE_STATUSES", "TASK_STATES", "UNIT_KINDS",
    "ApiToken", "Application", "Attachment", "AuditEvent", "Counter", "DishonestyEntry", "Expert",
    "ExpertGroup", "GroupMembership", "HumanTask", "Incident", "ProcessInstance", "ProcessVersion", "PublicCall",
    "Role", "Unit", "User", "UserRole",
]
