"""Script environment: BPMN service tasks may call only allow-listed host functions.

SpiffWorkflow 3.2.0's default `call_service` is broken (it references an undefined name on error), so the
host overrides it; each call gets a HostContext with the session, the actor and the time passed in.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

HOST_FUNCTIONS: dict[str, Callable[..., Any]] = {}

# Pure helpers BPMN expressions/scripts may use (checked at deploy time, issue #5).
SCRIPT_GLOBALS: dict[str, Any] = {"len": len, "min": min, "max": max, "sorted": sorted, "dict": dict, "list": list}


def host_function(name: str):
    """Register `fn(ctx, **params)` under `name` on the allow-list of service-task operators."""

    def register(fn):
        if name in HOST_FUNCTIONS:
            raise ValueError(f"host function {name} registered twice")
        HOST_FUNCTIONS[name] = fn
        return fn

    return register


@dataclass
class HostContext:
    """What a host function may use: database session, acting user, time and the instance row."""

    session: Any
    actor: Any
    now: datetime
    instance: Any = None
    events: list = field(default_factory=list)


def _json_default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


class HostScriptEngine(PythonScriptEngine):
    """PythonScriptEngine with the allow-listed service-task dispatch."""

    def __init__(self, ctx: HostContext):
        super().__init__(environment=TaskDataEnvironment(dict(SCRIPT_GLOBALS)))
        self.ctx = ctx

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        """Dispatch a service task to its host function; unknown operators fail the task."""
        fn = HOST_FUNCTIONS.get(operation_name)
        if fn is None:
            raise WorkflowTaskException(f"服务任务调用了未登记的宿主函数：{operation_name}", task=task)
        params = {key: spec["value"] for key, spec in (operation_params or {}).items()}
        result = fn(self.ctx, **params)
        return json.dumps(result, default=_json_default)
