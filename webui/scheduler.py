"""Start the timer scheduler inside the app (the web process owns one scheduler)."""

import logging
from datetime import UTC, datetime

from engine.scheduler import LeaderLock, build_scheduler
from engine.timers import fire_due
from webui.extensions import db

log = logging.getLogger(__name__)


def start_scheduler(app, seconds: int = 30):
    """Start APScheduler firing due timers every `seconds` while this worker is the leader."""
    with app.app_context():
        leader = LeaderLock(db.engine)

    def tick():
        with app.app_context():
            try:
                if leader.is_leader():
                    fired = fire_due(db.session, datetime.now(UTC))
                    if fired:
                        log.info("fired %s timers", fired)
            except Exception:  # the scheduler must survive a failing tick
                log.exception("timer tick failed")

    scheduler = build_scheduler(tick, seconds)
    scheduler.start()
    return scheduler
