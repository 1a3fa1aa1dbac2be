"""Script environment: every expression and script runs in the sandbox (engine/sandbox.py); BPMN service
tasks may call only allow-listed host functions.

SpiffWorkflow 3.2.0 evaluates through `PythonScriptEngine.evaluate/execute` (conditions, parameters, DMN,
timers, loops, events) and, in a few places, through `script_engine.environment.evaluate` directly (ad-hoc
completion, conditional paths, message correlations): both are overridden here, so every path is sandboxed.
SpiffWorkflow's default `call_service` is broken (it references an undefined name on error), so the host
overrides it; each call gets a HostContext with the session, the actor and the time passed in.
"""

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.task import Task

from engine.core import sandbox
from engine.core.sandbox import SandboxViolation

# Allow-listed service-task operators, filled by engine.bootstrap.install() from the procedures' contributions.
HOST_FUNCTIONS: dict[str, Callable[..., Any]] = {}

# Host helpers BPMN expressions/scripts may call besides the sandbox's safe builtins (engine/sandbox_guards.py
# SAFE_BUILTINS: len, min, max, sorted, dict, list, str, int, float, bool, any, all, abs, round, range, ...,
# which the sandbox counts toward its size budget). None so far; the sandbox refuses rebinding their names.
SCRIPT_GLOBALS: dict[str, Any] = {}




@dataclass
class HostContext:
    """What a host function may use: database session, acting user, time, the instance row and the random
    source (`rng(n)` → n bytes; None means os.urandom — tests and the demo pass a reproducible one)."""

    session: Any
    actor: Any
    now: datetime
    instance: Any = None
    rng: Callable[[int], bytes] | None = None


def _with_caller(exc: SandboxViolation) -> SandboxViolation:
    """Name the element even on the paths where SpiffWorkflow calls the environment without a task
    (ad-hoc completion, conditional paths, message correlations): the nearest caller's task, or the
    (sub)process spec whose condition it is. Runs on the error path only."""
    frame = sys._getframe(2)
    for _ in range(12):
        if frame is None:
            break
        local = frame.f_locals
        if isinstance(local.get("self"), BpmnProcessSpec):
            return SandboxViolation(exc.reason, source=exc.source, element_id=local["self"].name)
        task = local.get("my_task", local.get("task"))
        if isinstance(task, Task):
            return SandboxViolation(exc.reason, task=task, source=exc.source)
        frame = frame.f_back
    return exc


def _with_task(exc: SandboxViolation, task) -> SandboxViolation:
    return exc if exc.task is not None else SandboxViolation(exc.reason, task=task, source=exc.source)


def _json_default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


class SandboxEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment with eval/exec replaced by the sandbox."""

    def evaluate(self, expression, context, external_context=None):
        """The expression's value over the task data, evaluated in the sandbox."""
        try:
            return sandbox.evaluate(expression, context, external_context, self.globals)
        except SandboxViolation as exc:
            raise _with_caller(exc) from None

    def execute(self, script, context, external_context=None):
        """Run the script in the sandbox; its variables become the task data."""
        self.check_for_overwrite(context, external_context or {})
        try:
            sandbox.execute(script, context, external_context, self.globals)
        except SandboxViolation as exc:
            raise _with_caller(exc) from None
        return True


class HostScriptEngine(PythonScriptEngine):
    """PythonScriptEngine with the sandbox and the allow-listed service-task dispatch."""

    def __init__(self, ctx: HostContext):
        super().__init__(environment=SandboxEnvironment(dict(SCRIPT_GLOBALS)))
        self.ctx = ctx

    def evaluate(self, task, expression, external_context=None):
        """Evaluate in the sandbox; a violation is re-raised naming the task's element."""
        try:
            return super().evaluate(task, expression, external_context)
        except SandboxViolation as exc:
            raise _with_task(exc, task) from None

    def execute(self, task, script, external_context=None):
        """Execute in the sandbox; a violation is re-raised naming the task's element."""
        try:
            return super().execute(task, script, external_context)
        except SandboxViolation as exc:
            raise _with_task(exc, task) from None

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        """Dispatch a service task to its host function; unknown operators fail the task."""
        fn = HOST_FUNCTIONS.get(operation_name)
        if fn is None:
            raise WorkflowTaskException(f"服务任务调用了未登记的宿主函数：{operation_name}", task=task)
        params = {key: spec["value"] for key, spec in (operation_params or {}).items()}
        result = fn(self.ctx, **params)
        return json.dumps(result, default=_json_default)
