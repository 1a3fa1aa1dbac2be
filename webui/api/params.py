"""Request parsing the API's views share: bounded integer and yes/no query arguments, the page / per_page pair and
string members of a JSON body (422 with the field's Chinese message when out of range or of another type)."""

from flask import request

from engine.core.errors import ValidationFailed
from webui.security import MAX_ID

MAX_PER_PAGE = 200


def int_arg(name: str, default: int | None, low: int = 1, high: int = MAX_ID) -> int | None:
    """An integer query argument within [low, high]; 422 otherwise."""
    raw = request.args.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed({name: f"{name} 应为整数"}) from None
    if value < low or (high is not None and value > high):
        raise ValidationFailed({name: f"{name} 应在 {low} 到 {high} 之间"})
    return value


def page_args() -> tuple[int, int]:
    """page (≥1) and per_page (1..200) query arguments."""
    return int_arg("page", 1), int_arg("per_page", 50, high=MAX_PER_PAGE)


def flag_arg(name: str) -> bool:
    """A yes/no query argument: 1/true/yes or 0/false/no (absent: no); 422 otherwise."""
    raw = request.args.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise ValidationFailed({name: f"{name} 只能取 1 或 0"})


def body_text(body: dict, name: str) -> str:
    """An optional string member of the JSON body; 422 when present with another type."""
    value = body.get(name, "")
    if not isinstance(value, str):
        raise ValidationFailed({name: f"{name} 应为字符串"})
    return value
