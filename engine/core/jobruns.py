"""Exactly-once scheduled work: a JobRun row per (job, key), inserted in the same transaction as the work.

Two workers (or a restart) running the same job race on the unique (job_name, run_key) index: on PostgreSQL
the second INSERT waits for the first transaction and then fails, so only one of them does the work.
"""

from datetime import datetime

from sqlalchemy import select

from engine.core.models import JobRun


def has_run(session, job_name: str, run_key: str) -> bool:
    """True when the (job, key) run has been claimed (by anyone, committed)."""
    return session.scalar(select(JobRun.id).where(JobRun.job_name == job_name, JobRun.run_key == run_key)) is not None


def claim(session, job_name: str, run_key: str, now: datetime) -> JobRun | None:
    """Insert the run row in the caller's unit of work; None when it exists already.

    A concurrent claim that commits first makes this flush raise IntegrityError (→ Conflict from the unit of
    work); the caller then finds the run with `has_run` and treats it as done.
    """
    if has_run(session, job_name, run_key):
        return None
    row = JobRun(job_name=job_name, run_key=run_key, started_at=now)
    session.add(row)
    session.flush()
    return row


def finish(session, job_name: str, run_key: str, now: datetime, result: dict | None = None) -> None:
    """Mark a claimed run finished with its result (caller commits)."""
    row = session.scalar(select(JobRun).where(JobRun.job_name == job_name, JobRun.run_key == run_key))
    if row is not None:
        row.finished_at, row.result = now, result
