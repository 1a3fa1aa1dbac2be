"""Start the scheduler inside the app: timers every 30 s plus the registered jobs (engine.core.jobs)."""

import logging
from datetime import UTC, datetime

from engine.core.jobs import JOBS
from engine.core.leader import LeaderLock, build_scheduler
from engine.core.timers import fire_due
from webui.extensions import db

log = logging.getLogger(__name__)


def _guarded(app, leader: LeaderLock, name: str, fn):
    def tick():
        with app.app_context():
            try:
                if leader.is_leader():
                    fn(db.session, datetime.now(UTC))
            except Exception:  # the scheduler must survive a failing tick
                log.exception("scheduled job %s failed", name)
            finally:
                db.session.remove()

    return tick


def start_scheduler(app, seconds: int = 30):
    """Start APScheduler while this worker is the leader: due timers, then every registered job."""
    with app.app_context():
        leader = LeaderLock(db.engine)
    scheduler = build_scheduler(_guarded(app, leader, "fire_timers", fire_due), seconds)
    for job in JOBS.values():
        scheduler.add_job(_guarded(app, leader, job.id, job.run), job.trigger, id=job.id, max_instances=1,
                          coalesce=True, **job.trigger_args)
    scheduler.start()
    return scheduler
