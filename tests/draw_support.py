"""Helpers for the issue-11 assignment tests: after-the-work time, usage records, draw exports, sealed walks."""

from datetime import UTC, datetime, time, timedelta

from tests.assignment_support import START, USAGE, complete_all
from tests.support import api_headers  # noqa: F401 (re-exported for the draw tests)

# 18:00 in Fuzhou on the last day of the default request's work (START .. START + 2 days): usage may be recorded.
AFTER_WORK = datetime.combine(START + timedelta(days=2), time(10, 0), tzinfo=UTC)


def record_usage(session, request, unit_user, values=None, now=AFTER_WORK) -> int:
    """The using unit records every open usage task once the work has ended; returns how many."""
    return complete_all(session, request, "record_usage", unit_user, values or USAGE, now)




def declare(session, expert, now=None, **fields):
    """The expert declares an organisation on their own page (engine.experts.selfservice), as recusal reads it."""
    from engine.experts import selfservice
    from engine.platform.models import User
    from tests.support import T0

    raw = {"kind": "employment", "org_name": "", "credit_code": "", "start": "", "end": "", "note": ""} | fields
    return selfservice.add_declaration(session, session.get(User, expert.user_id), raw, now or T0)


def exclusion_codes(session, request_id: int) -> dict[str, set[str]]:
    """Expert name → the exclusion codes stored for the request's draw."""
    from engine.assignment import exclusions
    from engine.experts.models import Expert

    found: dict[str, set[str]] = {}
    for _, x in exclusions.of_request(session, request_id):
        found.setdefault(session.get(Expert, x.expert_id).name, set()).add(x.code)
    return found


def stored_exclusions(session, request_id: int | None = None) -> list:
    """The stored exclusions (rules.recusal.Exclusion) of one request's draw, or of every draw."""
    from sqlalchemy import select

    from engine.assignment import exclusions
    from engine.assignment.models import DrawExclusionRound

    ids = [request_id] if request_id is not None else sorted(set(session.scalars(select(
        DrawExclusionRound.request_id))))
    return [x for i in ids for _, x in exclusions.of_request(session, i)]


TOOL = __import__("pathlib").Path(__file__).resolve().parents[1] / "tools" / "verify_draw.py"


def run_verifier(tmp_path, document: dict) -> tuple[int, str]:
    """Run tools/verify_draw.py as an outsider would: a copy of the script alone in an empty directory, an
    isolated interpreter (no PYTHONPATH, no site packages, no product code); returns (exit code, output)."""
    import json
    import shutil
    import subprocess
    import sys

    workdir = tmp_path / "outsider"
    workdir.mkdir(exist_ok=True)
    script = shutil.copy(TOOL, workdir / "verify_draw.py")
    (workdir / "draw.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", "-S", str(script), "draw.json"], cwd=workdir, capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    return done.returncode, done.stdout + done.stderr


def user_for(session, expert_id: int):
    """The login of a pool expert by expert id."""
    from engine.experts.models import Expert
    from engine.platform.models import User

    return session.get(User, session.get(Expert, expert_id).user_id)
