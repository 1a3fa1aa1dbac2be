"""Service-layer errors; the web layer maps each to an HTTP status and a Chinese message."""


class ServiceError(Exception):
    """Base class: `status` is the HTTP status the web layer answers with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def summary(self) -> str:
        """One line for per-item results: the field messages when there are any, else the message."""
        return "；".join(getattr(self, "errors", {}).values()) or self.message


class NotFound(ServiceError):
    """The object does not exist (or the caller may not know it exists)."""

    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    """The caller's role, unit or relation to the object does not allow this."""

    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    """Stale or double action: the task is done, claimed by someone else, or the instance changed."""

    status = 409
    code = "conflict"


class ValidationFailed(ServiceError):
    """Input failed validation; `errors` maps field name → Chinese message. Nothing was saved."""

    status = 422
    code = "validation_failed"

    def __init__(self, errors: dict[str, str], message: str = "提交的内容有误，请按提示修改。"):
        super().__init__(message, errors=errors)
        self.errors = errors


class StepFailed(ServiceError):
    """An automatic step (service task, script, condition, timer) failed: the unit of work rolled back and
    an incident was recorded for process owners and admins (see engine.core.incidents)."""

    status = 500
    code = "step_failed"

    def __init__(self, message: str, *, kind: str = "task", instance_id=None, process_key=None,
                 element_id=None, element_name=None, actor=None, now=None):
        super().__init__(message)
        self.kind = kind
        self.instance_id, self.process_key = instance_id, process_key
        self.element_id, self.element_name = element_id, element_name
        self.actor, self.now = actor, now
        self.incident_id = None
