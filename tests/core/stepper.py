"""One process step in a process of its own (used by test_cross_process): build the app on an existing
database, run one named step through the real service, commit and exit.

    python -m tests.core.stepper DATABASE_URL STEP 'JSON arguments'
    python -m tests.core.stepper --serve      # JSON lines {url, step, arguments} in, outcomes out

Prints the step's result as one JSON line on stdout and exits 0; on any error prints the error on stderr
and exits 1. A process runs one step only, so nothing stays in memory from one step to the next: every
step builds its app, opens its connections and compiles its process afresh, as a restarted server (or
another worker) would. `--serve` saves the ~2-3 s of imports per step: it imports once and forks a
child per step, and it never runs a step (or builds an app) itself.
"""

import json
import os
import sys
import tempfile
import traceback
from datetime import datetime

from sqlalchemy import select

from engine.admission import services as admission
from engine.assignment import services as assignment
from engine.core import inbox
from engine.core.models import HumanTask
from engine.core.timers import fire_due
from engine.evaluation import campaign
from engine.exit import services as exits
from engine.groups import services as groups
from engine.platform.models import User
from engine.renewal import services as renewals
from engine.tasks import services as task_service
from webui.app import create_app
from webui.extensions import db


def _user(session, user_id: int) -> User:
    return session.get(User, user_id)


def _complete(session, now, instance_id: int, bpmn_id: str, user_id: int, values: dict) -> dict:
    """Complete the open `bpmn_id` task of an instance that this user may act on (the first such)."""
    actor = _user(session, user_id)
    rows = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == "open")
        .order_by(HumanTask.id)).all()
    mine = [r for r in rows if inbox.can_act(actor, r)]
    if not mine:
        raise LookupError(f"no open {bpmn_id} task of instance {instance_id} for user {user_id}: "
                          f"{[(r.id, r.assignee_id, r.lane_role) for r in rows]}")
    task_service.complete(session, mine[0].id, actor, values, {}, now)
    return {"task_id": mine[0].id}


def _submit_public(session, now, user_id: int, call_id: int, form: dict) -> dict:
    app = admission.submit_public(session, _user(session, user_id), form, {}, now, call_id)
    return {"application_id": app.id, "instance_id": app.instance_id}


def _nominate(session, now, user_id: int, form: dict, reason: str) -> dict:
    app = admission.nominate(session, _user(session, user_id), form, {}, now, reason)
    return {"application_id": app.id, "instance_id": app.instance_id}


def _create_request(session, now, user_id: int, form: dict) -> dict:
    request = assignment.create_request(session, _user(session, user_id), form, now, lambda n: b"\x07" * n)
    return {"request_id": request.id, "instance_id": request.instance_id}


def _year_end(session, now) -> dict:
    return campaign.year_end_job(session, now)


def _withdraw(session, now, user_id: int, raw: dict) -> dict:
    case = exits.request_withdrawal(session, _user(session, user_id), raw, now)
    return {"case_id": case.id, "instance_id": case.instance_id}


def _renewal_scan(session, now) -> dict:
    return renewals.renewal_scan_job(session, now)


def _propose_group_change(session, now, user_id: int, kind: str, raw: dict) -> dict:
    change = groups.propose(session, _user(session, user_id), kind, raw, now)
    return {"change_id": change.id, "instance_id": change.instance_id}


def _fire(session, now) -> dict:
    return {"fired": fire_due(session, now)}


STEPS = {
    "complete": _complete, "fire": _fire, "submit_public": _submit_public, "nominate": _nominate,
    "create_request": _create_request, "year_end": _year_end, "withdraw": _withdraw,
    "renewal_scan": _renewal_scan, "propose_group_change": _propose_group_change,
}


def run(url: str, step: str, arguments: dict) -> dict:
    """Build the app on `url` and perform one step (arguments as JSON, `now` an ISO time); commit."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        try:
            now = datetime.fromisoformat(arguments.pop("now"))
            result = STEPS[step](db.session, now, **arguments)
            db.session.commit()
            return result
        finally:
            db.session.remove()
            db.engine.dispose()


def _forked(request: dict) -> dict:
    """Run one step in a child forked from this process; the child's exit status, stdout and stderr."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        pid = os.fork()
        if pid == 0:  # the child: one step, then exit without running this process's exit handlers
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            status = main(["stepper", request["url"], request["step"], json.dumps(request["arguments"])])
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        out.seek(0)
        err.seek(0)
        return {"status": status, "out": out.read(), "err": err.read()}


def serve() -> int:
    """Fork server: this process imports everything once and never runs a step itself (no app, no
    connection, no compiled spec); each request line on stdin ({url, step, arguments}) is run by a fresh
    forked child, and its outcome is answered as one JSON line on stdout."""
    for line in sys.stdin:
        print(json.dumps(_forked(json.loads(line))), flush=True)
    return 0


def main(argv: list[str]) -> int:
    """Entry point `URL STEP JSON` (or `--serve`); exit status 0 on success, 1 with the error on stderr."""
    if argv[1:] == ["--serve"]:
        return serve()
    try:
        print(json.dumps(run(argv[1], argv[2], json.loads(argv[3])), default=str))
        return 0
    except Exception:
        print(f"stepper {' '.join(argv[2:3])} failed (pid {os.getpid()}):", file=sys.stderr)
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
