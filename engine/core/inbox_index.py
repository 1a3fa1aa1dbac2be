"""The inbox's search columns: what a task is found by, copied onto its inbox row when the row is created.

A procedure contributes `fn(session, instance) -> SearchFacts` (`@exports.search_fact(process_key)`); `fill`
runs it once per step that opens tasks, so no read deserializes a workflow or joins a procedure's tables.
When the facts change while a row stays open (an expert's new unit, a renamed group or unit), the service that
changes them calls `refresh` (the instances it knows are about the changed record) or `refresh_found_by` (the
rows the old name finds) in its own unit of work, so the search never answers from stale text.
The subject person's ID number is stored only as a keyed hash (HMAC-SHA256, settings.search_key) and masked:
the inbox row is read by every list and the API, so it must not carry the number in clear; a query that looks
like an ID number is hashed with the same key and matched exactly.
"""

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from engine.core import hooks
from engine.core.models import HumanTask, ProcessInstance
from engine.core.status import TaskState
from engine.platform.settings import search_key

ID_NUMBER = re.compile(r"^(\d{17}[\dx]|\d{15})$")


@dataclass(frozen=True)
class SearchFacts:
    """The business facts a task is found by (a procedure's answer for one instance)."""

    names: tuple[str, ...] = ()
    id_number: str = ""
    unit: str = ""
    groups: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()


def normalize(text: str | None) -> str:
    """Search form of a text: NFKC (full-width → half-width), lowercase, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text or "").lower().split())


def escape_like(term: str) -> str:
    """A term for LIKE with `escape="\\"`: its wildcards match literally."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def looks_like_id_number(text: str) -> bool:
    """Whether a (normalized) query is a full 18- or 15-character ID number."""
    return bool(ID_NUMBER.match(text))


def id_hash(id_number: str) -> str:
    """Keyed hash of a normalized full ID number (what the row stores and a query is matched by)."""
    return hmac.new(search_key(), normalize(id_number).encode("utf-8"), hashlib.sha256).hexdigest()


def mask(id_number: str) -> str:
    """3501**********1234: the first 4 and last 4 characters."""
    number = (id_number or "").strip()
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) >= 8 else "****"


def facts_of(session, instance) -> SearchFacts:
    """The facts the instance's procedure gives, or none."""
    provider = hooks.SEARCH_FACTS.get(instance.process_key)
    return (provider(session, instance) if provider else None) or SearchFacts()


def apply(row: HumanTask, facts: SearchFacts) -> None:
    """Set one inbox row's search columns from its procedure's facts."""
    parts = (row.subject, row.process_name, row.name, *facts.names, facts.unit, *facts.groups, *facts.titles)
    row.search_text = normalize(" ".join(p for p in parts if p))
    number = normalize(facts.id_number)
    row.id_number_hash = id_hash(number) if number else None
    row.id_number_masked = mask(facts.id_number) if number else None
    row.unit_name = (facts.unit or "")[:120] or None


def fill(session, instance, rows: list[HumanTask]) -> None:
    """Set the search columns of an instance's new inbox rows (one provider call for all of them)."""
    if rows:
        facts = facts_of(session, instance)
        for row in rows:
            apply(row, facts)


def refresh(session, instance_ids) -> int:
    """Recompute the search columns of the open rows of these instances from their procedures' current facts
    (one query for the rows, one provider call per instance); returns how many rows were refreshed."""
    ids = sorted({i for i in instance_ids if i})
    if not ids:
        return 0
    session.flush()  # the caller's changes are what the providers must read
    rows = session.execute(select(HumanTask, ProcessInstance)
                           .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                           .where(HumanTask.instance_id.in_(ids), HumanTask.state == TaskState.OPEN)
                           .order_by(HumanTask.instance_id, HumanTask.id)).all()
    by_instance: dict[int, tuple] = {}
    for row, instance in rows:
        by_instance.setdefault(instance.id, (instance, []))[1].append(row)
    with session.no_autoflush:
        for instance, instance_rows in by_instance.values():
            fill(session, instance, instance_rows)
    return len(rows)


def refresh_found_by(session, old_text: str | None) -> int:
    """Refresh the open rows the old text finds: a renamed group or unit is in the facts of exactly those rows
    (a row that merely contains the text too is recomputed to what it was)."""
    term = normalize(old_text)
    if not term:
        return 0
    session.flush()
    found = HumanTask.search_text.like(f"%{escape_like(term)}%", escape="\\")
    ids = session.scalars(select(HumanTask.instance_id).distinct()
                          .where(HumanTask.state == TaskState.OPEN, found)).all()
    return refresh(session, ids)


def reindex(session, *, only_missing: bool = False) -> int:
    """Refill the search columns of every open row (the backfill after the upgrade, or after a key change)."""
    query = select(HumanTask).where(HumanTask.state == TaskState.OPEN).order_by(HumanTask.instance_id)
    if only_missing:
        query = query.where(HumanTask.search_text.is_(None))
    rows = session.scalars(query).all()
    by_instance: dict[int, list[HumanTask]] = {}
    for row in rows:
        by_instance.setdefault(row.instance_id, []).append(row)
    with session.no_autoflush:  # the providers' reads need not flush the rows filled so far
        for instance_id, instance_rows in by_instance.items():
            fill(session, session.get(ProcessInstance, instance_id), instance_rows)
    return len(rows)
