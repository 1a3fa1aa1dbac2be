"""Unit of work: one transaction per service call; commit once, roll back on any error."""

from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from engine.core.db import begin_write
from engine.core.errors import Conflict, StepFailed

# PostgreSQL SQLSTATEs of a lost race: deadlock, serialization failure, lock not available, lock timeout.
LOST_RACE_SQLSTATES = {"40P01", "40001", "55P03"}


def is_lost_race(exc: BaseException) -> bool:
    """True when a database error only means another transaction got there first (retry or 409)."""
    if isinstance(exc, (StaleDataError, Conflict)):
        return True
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError):
        return False
    if getattr(exc.orig, "sqlstate", None) in LOST_RACE_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)  # SQLite: a concurrent writer held the lock too long


@contextmanager
def unit_of_work(session):
    """Commit when the block succeeds; on error roll back and map lost races to Conflict (409).

    On SQLite the write lock is taken first, so a unit of work reads current data and writers queue
    instead of interleaving (PostgreSQL units of work lock the rows they change instead).
    """
    try:
        begin_write(session)
        yield session
        session.commit()
    except StepFailed as exc:
        session.rollback()
        _record_incident(session, exc)
        raise
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("数据冲突：记录已存在或已被修改") from exc
    except DBAPIError as exc:
        session.rollback()
        if is_lost_race(exc):
            raise Conflict("数据正被他人更新，请稍后重试") from exc
        raise
    except StaleDataError as exc:
        session.rollback()
        raise Conflict("数据已被他人更新，请刷新后重试") from exc
    except BaseException:
        session.rollback()
        raise


def _record_incident(session, failure: StepFailed) -> None:
    # After the rollback, in a transaction of its own: the failed step leaves nothing but the incident.
    from engine.core import incidents

    incident = incidents.record(session, failure, failure.kind)
    failure.incident_id = incident.id
    failure.message = f"{failure.message}（已记录为故障 #{incident.id}，流程管理员处理后可重试）"
