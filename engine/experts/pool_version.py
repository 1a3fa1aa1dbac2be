"""The expert pool's version: a token that changes in the same transaction as anything recusal reads about an
expert (the expert row, declarations, group memberships, groups), so a worker may keep what it built from them
(engine.assignment.snapshot) exactly as long as the token it read is still the current one.

The token is a random value in `counter` ("expert_pool"), replaced — never incremented, so a database that was
emptied and refilled can never present an old value again — by every flush that adds, changes or deletes such
a row, and by every ORM UPDATE / DELETE / INSERT statement on their tables. Registered on import by
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


def bump(session) -> None:
    """Give the pool a new version in the session's transaction."""
    session.connection().execute(_UPSERT, {"name": NAME, "value": secrets.randbelow(2**31 - 2) + 1})


def current(session) -> int | None:
    """The pool's version as this transaction sees it (None: never versioned, so nothing may be reused)."""
    return session.execute(text("SELECT value FROM counter WHERE name = :name"), {"name": NAME}).scalar()


def _table(obj) -> str:
    table = getattr(obj, "__table__", None)
    return table.name if table is not None else ""


@event.listens_for(Session, "before_flush")
def _on_flush(session, _context, _instances) -> None:
    if any(_table(obj) in POOL_TABLES for obj in chain(session.new, session.dirty, session.deleted)):
        bump(session)


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and any(
            mapper.local_table.name in POOL_TABLES for mapper in state.all_mappers):
        bump(state.session)
