"""Read models hold typed values (dates, instants, small dataclasses); the JSON API turns them into JSON here."""

from dataclasses import asdict, is_dataclass
from datetime import date, datetime


def json_safe(value):
    """`value` with dates/instants as ISO 8601 text, dataclasses as objects and tuples as lists (recursively)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return json_safe(asdict(value))
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    return value
