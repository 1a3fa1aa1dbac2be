"""Request time: the wall clock, or a fixed instant in tests (config FIXED_NOW)."""

from datetime import UTC, datetime

from flask import current_app

from engine.platform.settings import LOCAL_TZ


def now() -> datetime:
    """The current instant (aware UTC); tests may pin it with app.config['FIXED_NOW']."""
    fixed = current_app.config.get("FIXED_NOW")
    return fixed if fixed is not None else datetime.now(UTC)


def local(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format an instant in Asia/Shanghai for display."""
    return dt.astimezone(LOCAL_TZ).strftime(fmt) if dt else ""
