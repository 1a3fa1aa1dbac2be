"""Registry of scheduled jobs (APScheduler triggers); the web process runs them while it is the leader."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScheduledJob:
    """`run(session, now)` on an APScheduler trigger (e.g. "cron", {"month": 12, "day": 1, "hour": 0})."""

    id: str
    trigger: str
    trigger_args: dict = field(default_factory=dict)
    run: Callable = None


JOBS: dict[str, ScheduledJob] = {}  # filled by engine.bootstrap.install()
