"""What a procedure contributes to the host — host functions, form hooks, task-page context, scheduled jobs,
domain rows — declared on a module's own `Contributions`. Importing a module changes no global registry;
`engine.bootstrap.install()` puts the listed procedures' contributions into the core registries."""

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.core.jobs import ScheduledJob


@dataclass(frozen=True)
class DomainRow:
    """A procedure's business row tied to an instance: its status must agree with the instance's (integrity)."""

    model: type
    label: str
    final: frozenset


@dataclass
class Contributions:
    """One module's contributions; the decorators record a function here and return it unchanged."""

    host_functions: dict[str, Callable] = field(default_factory=dict)
    form_hooks: dict[str, Callable] = field(default_factory=dict)
    task_contexts: dict[str, Callable] = field(default_factory=dict)
    jobs: dict[str, ScheduledJob] = field(default_factory=dict)
    instance_viewers: dict[str, Callable] = field(default_factory=dict)
    sealed_steps: dict[str, Callable] = field(default_factory=dict)
    row_facts: dict[str, Callable] = field(default_factory=dict)
    search_facts: dict[str, Callable] = field(default_factory=dict)

    def host_function(self, name: str):
        """Offer `fn(ctx, **params)` as the service-task operator `name` (BPMN `spiffworkflow:serviceTaskOperator`)."""
        return self._record(self.host_functions, name)

    def form_hook(self, form_key: str):
        """Run `fn(ctx, task_row, cleaned) -> values to store` when a task with this form is completed."""
        return self._record(self.form_hooks, form_key)

    def task_context(self, process_key: str):
        """`fn(session, task_row, viewer) -> dict` of plain values (hooks.TASK_CONTEXT): the task page
        renders it with templates/<process_key>/_task_context.html, the API returns it as the detail's context."""
        return self._record(self.task_contexts, process_key)

    def row_fact(self, process_key: str):
        """`fn(session, task_rows, viewer) -> {task id: {"person", "unit", "eligibility"}}` for the inbox's expandable
        rows, many rows in one query (hooks.ROW_FACTS)."""
        return self._record(self.row_facts, process_key)
    def search_fact(self, process_key: str):
        """`fn(session, instance) -> inbox_index.SearchFacts | None`: what the inbox search finds its tasks by."""
        return self._record(self.search_facts, process_key)

    def instance_viewer(self, process_key: str):
        """`fn(session, viewer, instance) -> bool`: who else may see instances of this process."""
        return self._record(self.instance_viewers, process_key)

    def sealing(self, process_key: str):
        """`fn(session, viewer, instance) -> frozenset of step ids` sealed from the viewer (hooks.SEALED_STEPS)."""
        return self._record(self.sealed_steps, process_key)

    def scheduled(self, job_id: str, trigger: str, **trigger_args):
        """Run `fn(session, now)` on an APScheduler trigger (jobs must be idempotent)."""

        def record(fn):
            self.jobs[job_id] = ScheduledJob(job_id, trigger, trigger_args, fn)
            return fn

        return record

    @staticmethod
    def _record(table: dict, key: str):
        def record(fn):
            if key in table:
                raise ValueError(f"{key} declared twice")
            table[key] = fn
            return fn

        return record
