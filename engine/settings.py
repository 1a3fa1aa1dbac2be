"""Engine settings from the environment (no secrets have defaults here)."""

import os
from pathlib import Path
from zoneinfo import ZoneInfo

import processes

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
