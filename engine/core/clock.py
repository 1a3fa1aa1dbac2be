"""The host clock: time is passed in, and SpiffWorkflow's timers read it instead of the wall clock.

SpiffWorkflow 3.2.0 timer definitions call `datetime.now(timezone.utc)` at module level; to make timers
reproducible (tests, `fire-timers --now`), that module's `datetime` name is replaced by a subclass whose
`now()` returns the time bound by `frozen_at()` in the current context, or the real time otherwise.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

from engine.platform.settings import LOCAL_TZ

_now: ContextVar[datetime | None] = ContextVar("engine_clock_now", default=None)


class _HostDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        bound = _now.get()
        if bound is None:
            return datetime.now(tz)
        return bound.astimezone(tz) if tz else bound.replace(tzinfo=None)


_spiff_timer.datetime = _HostDatetime


@contextmanager
def frozen_at(now: datetime):
    """Run the enclosed engine steps as if the time were `now` (aware datetime)."""
    if now.tzinfo is None:
        raise ValueError("frozen_at needs an aware datetime")
    token = _now.set(now)
    try:
        yield now
    finally:
        _now.reset(token)



def local_date(now: datetime) -> date:
    """The bureau's (Asia/Shanghai) calendar date of an instant: deadlines and terms are counted in it."""
    return now.astimezone(LOCAL_TZ).date()
