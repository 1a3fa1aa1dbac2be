"""Procedure hooks the generic task services call: form hooks and task-page context (keyed by form key and
process key; filled by engine.bootstrap.install() from the procedures' contributions)."""

from collections.abc import Callable

# `fn(ctx, task_row, cleaned) -> values to store in task data`, run when a task with that form completes.
FORM_HOOKS: dict[str, Callable] = {}

# `fn(session, task_row, viewer) -> dict` (keyed by process key): what the task is about, part of the one
# read model of a task (engine.tasks.task_view) that the task page renders and the API returns. Plain values only
# (text, numbers, dates, lists, dicts, dataclasses). Keys the task page itself reads: "correction" (shown above
# the form), "prefill" (form values to start from), "attachments" (files the page may link), "disclosed" (what
# it shows of someone else's personal data in full: {"subjects": [(kind, id, name)], "fields": [...]}; the task view
# takes it out and records it with the earlier steps' as one view, only when the page is shown anew).
TASK_CONTEXT: dict[str, Callable] = {}

# `fn(session, task_rows, viewer) -> {task id: {"person", "unit", "eligibility"}}`: what the
# inbox's expandable row of a bulk-capable task shows about its business object, for a page of rows at once.
ROW_FACTS: dict[str, Callable] = {}

# `fn(session, viewer, instance) -> bool`: who else may see an instance of that process (e.g. its applicant).
INSTANCE_VIEWERS: dict[str, Callable] = {}

# `fn(session, viewer, instance) -> frozenset of step ids` whose tasks name people the viewer may not know of
# (assignment: drawn experts, Art 13). Task pages leave those steps out of their history; the instance history,
# which shows every step's data and the automatic steps' results, is refused to that viewer.
SEALED_STEPS: dict[str, Callable] = {}

# `fn(session, instance) -> inbox_index.SearchFacts | None`: names, ID number, unit, groups and titles the inbox
# search finds the process's tasks by, copied onto the inbox row when it is created (keyed by process key).
SEARCH_FACTS: dict[str, Callable] = {}


def may_view_instance(session, viewer, instance) -> bool:
    """Whether the instance's process lets this viewer see it besides the generic rules."""
    check = INSTANCE_VIEWERS.get(instance.process_key)
    return bool(check and check(session, viewer, instance))


def sealed_steps(session, viewer, instance) -> frozenset[str]:
    """The steps of the instance its process seals from this viewer (empty: nothing sealed)."""
    check = SEALED_STEPS.get(instance.process_key)
    return frozenset(check(session, viewer, instance)) if check and viewer is not None else frozenset()


def context_for(session, task_row, viewer) -> dict:
    """What the task's process says the task is about (TASK_CONTEXT), or {}."""
    provider = TASK_CONTEXT.get(task_row.process_key)
    return provider(session, task_row, viewer) if provider else {}
