"""Declarative base shared by every table; the web layer binds it to Flask-SQLAlchemy."""

from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import MetaData, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of all models."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """Current time, timezone-aware UTC (only for defaults; services pass time in)."""
    return datetime.now(UTC)


WRITE_LOCKED = "sqlite_write_locked"  # session.info key: this transaction holds SQLite's write lock


def begin_write(session) -> None:
    """SQLite: take the database write lock now, so what this transaction reads next stays current.

    pysqlite starts a transaction only at the first write, so reads before it see no lock and two writers
    could both build on the same state (e.g. both extend the audit chain's tail). A write statement that
    matches no row takes SQLite's RESERVED lock (other writers wait up to busy_timeout). PostgreSQL
    takes row locks instead, so this does nothing there. Taken once per transaction: the lock is held until it ends.
    """
    if session.info.get(WRITE_LOCKED) or session.get_bind().dialect.name != "sqlite":
        return
    session.execute(text("UPDATE counter SET value = value WHERE name = '_write_lock'"))
    session.info[WRITE_LOCKED] = True


TRANSACTION_CACHE = "transaction_cache"


@contextmanager
def kept_loaded(session):
    """Rows already loaded stay loaded across the commits inside the block instead of being read again after each:
    for a commit that changed none of them (a recorded view) or whose rows the answer shows as just written."""
    real = session() if isinstance(session, scoped_session) else session  # the setting lives on the Session
    before, real.expire_on_commit = real.expire_on_commit, False
    try:
        yield session
    finally:
        real.expire_on_commit = before


def transaction_cache(session, name: str) -> dict:
    """A dict kept with the session for the current transaction only: what this transaction has already locked or
    read, so it need not ask the database again (emptied when the transaction commits or rolls back)."""
    return session.info.setdefault(TRANSACTION_CACHE, {}).setdefault(name, {})


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_transaction(session, transaction):
    # Locks end with the outermost transaction (commit or rollback), not with a flush's inner one.
    if transaction.parent is None:
        session.info.pop(WRITE_LOCKED, None)
        session.info.pop(TRANSACTION_CACHE, None)
