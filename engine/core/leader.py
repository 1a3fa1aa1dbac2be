"""APScheduler: one background scheduler per process; with PostgreSQL only the advisory-lock holder fires."""

import logging
import os
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import text

log = logging.getLogger(__name__)
TIMER_LOCK_KEY = 727275


class LeaderLock:
    """Leader election across web workers: a PostgreSQL session advisory lock on a dedicated connection.

    The connection is held for the process's lifetime, so the lock is released only when the process dies
    and another worker then takes over. SQLite deployments are single-host: always the leader.
    """

    def __init__(self, sa_engine):
        self._engine = sa_engine
        self._conn = None
        self.held = sa_engine.dialect.name != "postgresql"

    def is_leader(self) -> bool:
        """True when this process holds (or just took) the lock."""
        if self.held:
            return True
        if self._conn is None:
            self._conn = self._engine.connect()
        self.held = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": TIMER_LOCK_KEY}).scalar())
        self._conn.commit()
        if self.held:
            log.info("this process (pid %d) is now the scheduler leader", os.getpid())
        return self.held

    def release(self) -> None:
        """Drop the lock (tests, shutdown)."""
        if self._conn is not None:
            if self.held:  # the pooled connection outlives close(): unlock explicitly
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": TIMER_LOCK_KEY})
                self._conn.commit()
            self._conn.close()
            self._conn = None
        self.held = self._engine.dialect.name != "postgresql"


def build_scheduler(tick: Callable[[], object], seconds: int = 30) -> BackgroundScheduler:
    """A scheduler running `tick` every `seconds` (never overlapping itself)."""
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    scheduler.add_job(tick, "interval", seconds=seconds, id="fire_timers", max_instances=1, coalesce=True)
    return scheduler
