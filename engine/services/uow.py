"""Unit of work: one transaction per service call; commit once, roll back on any error."""

from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict


@contextmanager
def unit_of_work(session):
    """Commit when the block succeeds; on error roll back and map lost races to Conflict (409)."""
    try:
        yield session
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict("数据已被他人更新，请刷新后重试") from exc
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("数据冲突：记录已存在或已被修改") from exc
    except OperationalError as exc:
        session.rollback()
        if "database is locked" in str(exc):  # SQLite: a concurrent writer holds the lock
            raise Conflict("数据正被他人更新，请稍后重试") from exc
        raise
    except BaseException:
        session.rollback()
        raise
