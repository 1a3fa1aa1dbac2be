"""Engine settings from the environment (no secrets have defaults here)."""

import os
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def commitment_period() -> str:
    """ISO duration an admitted applicant has to sign the 承诺书 (Art 8); default 14 days."""
    days = int(os.environ.get("EXPERTPOOL_COMMITMENT_DAYS", "14"))
    return f"P{days}D"


TERM_YEARS = 3  # Art 8: 聘期为3年
