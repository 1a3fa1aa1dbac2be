"""Domain hooks run when a user task with a given form is completed (e.g. a corrected 推荐表)."""

from collections.abc import Callable

FORM_HOOKS: dict[str, Callable] = {}


def form_hook(form_key: str):
    """Register `fn(ctx, task_row, cleaned) -> values to store in task data` for a form."""

    def register(fn):
        FORM_HOOKS[form_key] = fn
        return fn

    return register


# Extra context a process shows on the generic task page beside the form (keyed by process key).
TASK_CONTEXT: dict[str, Callable] = {}


def task_context(process_key: str):
    """Register `fn(session, task_row, viewer) -> dict` rendered by templates/<process_key>/_task_context.html."""

    def register(fn):
        TASK_CONTEXT[process_key] = fn
        return fn

    return register


def context_for(session, task_row, viewer) -> dict:
    """The registered extra context of a task's process, or {}."""
    provider = TASK_CONTEXT.get(task_row.process_key)
    return provider(session, task_row, viewer) if provider else {}
