"""Domain hooks run when a user task with a given form is completed (e.g. a corrected 推荐表)."""

from collections.abc import Callable

FORM_HOOKS: dict[str, Callable] = {}


def form_hook(form_key: str):
    """Register `fn(ctx, task_row, cleaned) -> values to store in task data` for a form."""

    def register(fn):
        FORM_HOOKS[form_key] = fn
        return fn

    return register
