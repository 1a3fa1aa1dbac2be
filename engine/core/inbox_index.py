"""The inbox's search columns: what a task is found by, copied onto its inbox row when the row is created.

A procedure contributes `fn(session, instance) -> SearchFacts` (`@exports.search_fact(process_key)`); `fill`
runs it once per step that opens tasks, so no read deserializes a workflow or joins a procedure's tables.
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
