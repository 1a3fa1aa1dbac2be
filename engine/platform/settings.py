"""The one configuration source: settings from the environment (defaults are the Measures' own figures;
no secret has a default here)."""

import os
from pathlib import Path
from zoneinfo import ZoneInfo

import processes
from rules.exit import DEFAULT_MAX_AGE, DEFAULT_REFUSAL_THRESHOLD, RENEWAL_WINDOW_DAYS

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def processes_dir() -> Path:
    """The shipped BPMN/DMN/forms folder: EXPERTPOOL_PROCESSES_DIR, else the installed `processes` package
    (the repository's processes/ in a development checkout; package data after `pip install .`)."""
    configured = os.environ.get("EXPERTPOOL_PROCESSES_DIR")
    return Path(configured) if configured else Path(processes.__file__).resolve().parent


def commitment_period() -> str:
    """ISO duration an admitted applicant has to sign the 承诺书 (Art 8); default 14 days."""
    days = int(os.environ.get("EXPERTPOOL_COMMITMENT_DAYS", "14"))
    return f"P{days}D"


TERM_YEARS = 3  # Art 8: 聘期为3年


def _int_env(name: str, default: int, minimum: int) -> int:
    try:
        value = int(os.environ.get(name, "").strip() or default)
    except ValueError:
        return default
    return max(minimum, value)


def refusal_threshold() -> int:
    """Unjustified refusals per year that propose an exit (Art 15(1)); EXPERTPOOL_REFUSAL_THRESHOLD, default 3."""
    return _int_env("EXPERTPOOL_REFUSAL_THRESHOLD", DEFAULT_REFUSAL_THRESHOLD, 1)


def max_age() -> int:
    """Age limit for the exit proposal (Art 6(三)); EXPERTPOOL_MAX_AGE, default 60."""
    return _int_env("EXPERTPOOL_MAX_AGE", DEFAULT_MAX_AGE, 18)


def renewal_window_days() -> int:
    """Days before a term's end when renewal starts; EXPERTPOOL_RENEWAL_WINDOW_DAYS, default 60."""
    return _int_env("EXPERTPOOL_RENEWAL_WINDOW_DAYS", RENEWAL_WINDOW_DAYS, 1)


LAUNCH_CHUNK = 250  # instances started per unit of work when a campaign launches


SCHEDULER_MODES = ("leader", "off")


def scheduler_mode() -> str:
    """Who runs the timers and jobs, EXPERTPOOL_SCHEDULER: `leader` (default: every web process runs a
    scheduler, only the elected leader fires) or `off` (web processes run none: one `expertpool scheduler`
    process does). Any other value is an error, so a typo never silently stops the timers."""
    mode = os.environ.get("EXPERTPOOL_SCHEDULER", "").strip().lower() or "leader"
    if mode not in SCHEDULER_MODES:
        raise ValueError(f"EXPERTPOOL_SCHEDULER={mode!r}: expected one of {', '.join(SCHEDULER_MODES)}")
    return mode


def timer_seconds() -> int:
    """How often the scheduler looks for due timers, EXPERTPOOL_TIMER_SECONDS (default 30, at least 1)."""
    return _int_env("EXPERTPOOL_TIMER_SECONDS", 30, 1)


def secret_key() -> str | None:
    """EXPERTPOOL_SECRET_KEY, or the content of EXPERTPOOL_SECRET_KEY_FILE (a 0600 file: not in the unit's env)."""
    key_file = os.environ.get("EXPERTPOOL_SECRET_KEY_FILE", "").strip()
    if key_file:
        return Path(key_file).read_text(encoding="utf-8").strip() or None
    return os.environ.get("EXPERTPOOL_SECRET_KEY")


_RANDOM_SEARCH_KEY = os.urandom(32)


def search_key() -> bytes:
    """The key of the inbox's ID-number hashes: EXPERTPOOL_SEARCH_KEY, else the secret key (env or file); with
    neither a random key per process (search by ID number then finds only rows indexed since the start — set one
    and run `expertpool inbox-reindex` after changing it)."""
    configured = os.environ.get("EXPERTPOOL_SEARCH_KEY") or secret_key()
    return configured.encode("utf-8") if configured else _RANDOM_SEARCH_KEY
