"""The expert pool's version: a token that changes in the same transaction as anything recusal reads about an
expert (the expert row, declarations, group memberships, groups), so a worker may keep what it built from them
(engine.assignment.snapshot) exactly as long as the token it read is still the current one.

The token is a random value in `counter` ("expert_pool"), replaced — never incremented, so a database that was
emptied and refilled (or restored) can never present a value that meant other rows — when a transaction that
flushed a change to such a row, or ran an ORM UPDATE / DELETE / INSERT on their tables, commits (the row is
locked only while it commits). Until then `current` gives that transaction None. Registered on import by
engine.experts.models, so every process that can write these rows versions them. Raw SQL on these tables
(migrations) must call `bump` or be followed by a restart of the workers.
"""

import secrets
from itertools import chain

from sqlalchemy import event, text
from sqlalchemy.orm import Session

NAME = "expert_pool"
POOL_TABLES = frozenset({"expert", "expert_declaration", "group_membership", "expert_group"})
_UPSERT = text("INSERT INTO counter (name, value) VALUES (:name, :value) "
               "ON CONFLICT (name) DO UPDATE SET value = excluded.value")


CHANGED = "expert_pool_changed"  # session.info key: this transaction changed the pool (not yet versioned)


def bump(session) -> None:
    """Give the pool a new version in the session's transaction."""
    session.connection().execute(_UPSERT, {"name": NAME, "value": secrets.randbelow(2**31 - 2) + 1})


def current(session) -> int | None:
    """The pool's version as this transaction sees it; None when it was never versioned or when this transaction
    changed the pool itself (its own changes are in no version yet), so nothing kept may be reused."""
    version = session.execute(text("SELECT value FROM counter WHERE name = :name"), {"name": NAME}).scalar()
    return None if session.info.get(CHANGED) else version


def _table(obj) -> str:
    table = getattr(obj, "__table__", None)
    return table.name if table is not None else ""


@event.listens_for(Session, "before_flush")
def _on_flush(session, _context, _instances) -> None:
    if any(_table(obj) in POOL_TABLES for obj in chain(session.new, session.dirty, session.deleted)):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and any(
            mapper.local_table.name in POOL_TABLES for mapper in state.all_mappers):
        state.session.info[CHANGED] = True


@event.listens_for(Session, "before_commit")
def _version_at_commit(session) -> None:
    """The new version is written at commit, so the row is locked only while the transaction commits."""
    session.flush()  # what the commit would flush next: a change to the pool among it marks the transaction
    if session.info.get(CHANGED):
        bump(session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_change(session) -> None:
    session.info.pop(CHANGED, None)
