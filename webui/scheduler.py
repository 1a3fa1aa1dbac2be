"""The scheduler: timers every EXPERTPOOL_TIMER_SECONDS plus the registered jobs (engine.core.jobs).

It runs either inside every web process with a leader election (EXPERTPOOL_SCHEDULER=leader, the default:
only the holder of `core.leader.LeaderLock` fires) or in one process of its own (`expertpool scheduler`,
with EXPERTPOOL_SCHEDULER=off for the web processes); that process takes the same lock, so a second one
started by mistake waits instead of firing twice.
"""

import logging
import signal
import threading
from datetime import UTC, datetime

from engine.core.jobs import JOBS
from engine.core.leader import LeaderLock, build_scheduler
from engine.core.timers import fire_due
from engine.platform.settings import scheduler_mode, timer_seconds
from webui.extensions import db

log = logging.getLogger(__name__)
_RUNNING: dict = {}  # this process's scheduler and its lock (web workers: started by the gunicorn hook)


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


def start_scheduler(app, seconds: int | None = None):
    """Start APScheduler in the background: due timers, then every registered job, fired while leader."""
    with app.app_context():
        leader = LeaderLock(db.engine)
    scheduler = build_scheduler(_guarded(app, leader, "fire_timers", fire_due), seconds or timer_seconds())
    for job in JOBS.values():
        scheduler.add_job(_guarded(app, leader, job.id, job.run), job.trigger, id=job.id, max_instances=1,
                          coalesce=True, **job.trigger_args)
    scheduler.start()
    _RUNNING.update(scheduler=scheduler, leader=leader)
    return scheduler


def start_for_web(app) -> bool:
    """In a web process: start the scheduler when EXPERTPOOL_SCHEDULER=leader; True when started."""
    if scheduler_mode() != "leader":
        log.info("EXPERTPOOL_SCHEDULER=off: this web process runs no scheduler")
        return False
    start_scheduler(app)
    return True


def stop_scheduler() -> None:
    """Stop this process's scheduler (the running tick finishes) and give up the leadership."""
    scheduler, leader = _RUNNING.pop("scheduler", None), _RUNNING.pop("leader", None)
    if scheduler is not None:
        scheduler.shutdown(wait=True)
    if leader is not None:
        leader.release()


def run_foreground(app, stop: threading.Event | None = None) -> None:
    """The scheduler process: run until SIGTERM/SIGINT (systemd stop, Ctrl+C), then stop cleanly."""
    stop = stop or threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    start_scheduler(app)
    log.info("scheduler running (timers every %s s, %d jobs)", timer_seconds(), len(JOBS))
    try:
        stop.wait()
    finally:
        stop_scheduler()
        log.info("scheduler stopped")
