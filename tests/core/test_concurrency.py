"""Concurrency on the suite's database (SQLite or PostgreSQL): real threads, each with its own connection,
released together by a barrier. A lost race is a 409 (Conflict); never a fork of the audit chain, a double
claim or fire, a deadlock, a server error or an instance marked `error` (DESIGN §6, §7 Reliability)."""

import threading
import time
from collections import Counter, namedtuple
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from engine.admission import services as admission
from engine.admission.uploads import upload
from engine.core import audit, runner
from engine.core.errors import Conflict
from engine.core.integrity import DOMAIN_ROWS, check
from engine.core.models import AuditEvent, HumanTask, Incident, ProcessInstance
from engine.core.timers import fire_due
from engine.evaluation import campaign
from engine.evaluation.models import Evaluation
from engine.platform.accounts import LOCK_MINUTES, MAX_FAILURES, LoginFailed, authenticate
from engine.platform.attachments import Upload
from engine.platform.models import User
from engine.platform.settings import LOCAL_TZ
from engine.renewal import services as renewals
from engine.renewal.models import RenewalCase
from engine.tasks import services as task_service
from rules.exit import lapse_instant
from tests import assignment_support as assignment
from tests.admission.test_admission_paths import DOC, SIGN
from tests.experts.roster_support import DEC1, expert_user, make_expert
from tests.support import PASSWORD, T0, application_form, id_number, make_user

WAIT = 60  # seconds: a thread still running after this is stuck
DIVISION_PASS = {"decision": "pass", "propose_role": "none"}
RENEW = {"renew": "yes", "recommit": "on", "phone": "13905910000"}
STAGGER = ((0, 0), (0, 0.01), (0.01, 0), (0, 0.03), (0, 0.005))  # (timer, user) late starts, cycled
@pytest.fixture()
def db_threads(app, session):
    """An engine without a pool (each thread's Session its own connection); `.lock_failures` lists every
    deadlock or SQLite lock timeout it saw, even those the services turned into a 409."""
    session.commit()  # the test's own setup is visible to the threads and holds no lock
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    engine.lock_failures = []

    @event.listens_for(engine, "handle_error")
    def _lock_failure(context):
        original = context.original_exception
        if getattr(original, "sqlstate", None) == "40P01" or "database is locked" in str(original):
            engine.lock_failures.append(str(original).splitlines()[0])

    yield engine
    engine.dispose()


def race(engine, *jobs) -> list[tuple[str, object]]:
    """Run every job in its own thread and Session, all released at once by a barrier.

    A job is `prepare(session) -> action`: `prepare` loads what it needs before the barrier, `action()`
    runs after it. Returns (outcome, value) per job: ("ok", result), ("Conflict", exc) or ("LoginFailed",
    exc). Anything else (a 500, a stuck thread, a deadlock even if mapped to a 409) fails the test.
    """
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [("not run", None)] * len(jobs)

    def run(index, prepare):
        with Session(engine) as own:
            try:
                action = prepare(own)
            except Exception as exc:
                action, outcomes[index] = None, ("error", exc)
            barrier.wait()
            try:
                outcomes[index] = ("ok", action()) if action else outcomes[index]
            except (Conflict, LoginFailed) as exc:
                outcomes[index] = (type(exc).__name__, exc)
            except Exception as exc:  # a 500, an unmapped database error
                outcomes[index] = ("error", exc)

    threads = [threading.Thread(target=run, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    [t.start() for t in threads]
    [t.join(WAIT) for t in threads]
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    assert not [o for o in outcomes if o[0] in ("error", "not run")], outcomes
    assert not engine.lock_failures, engine.lock_failures
    return outcomes


def delayed(seconds: float, prepare):
    """The same job, its action started `seconds` after the barrier (to vary who gets there first)."""
    def prepare_later(own):
        action = prepare(own)
        return lambda: (time.sleep(seconds), action())[1]
    return prepare_later


def as_user(user_id: int, act):
    """A job acting as a user loaded (with roles) in the thread's own session: act(session, user)."""
    def prepare(own):
        user = own.get(User, user_id)
        assert user.roles
        return lambda: act(own, user)
    return prepare


def assert_chain_intact(session) -> int:
    """The audit chain verifies and never forks (no two events extend the same tail); returns its length."""
    session.rollback()
    assert audit.verify_chain(session) is None
    prevs = session.scalars(select(AuditEvent.prev_hash)).all()
    assert not [h for h, n in Counter(prevs).items() if n > 1], "events share a prev_hash: the chain forked"
    return len(prevs)


def assert_clean(session) -> None:
    """No instance marked error, no incident (a lost race is never one), every invariant holds."""
    session.rollback()
    assert session.scalar(select(func.count()).where(ProcessInstance.status == "error")) == 0
    assert session.scalars(select(Incident.message)).all() == []
    assert check(session) == []


def count_events(session, action: str, *where) -> int:
    """How many audit events of one action (optionally filtered)."""
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action, *where)
    return session.scalar(query)


def nominate(session, nominator, n: int, first: int = 0) -> list[HumanTask]:
    """n directed invitations of different people; their open division_review tasks."""
    apps = [admission.nominate(session, nominator, application_form(id_number=id_number(i)), {}, T0, "急需")
            for i in range(first, first + n)]
    return [open_task_of(session, a.instance_id) for a in apps]


def open_task_of(session, instance_id: int) -> HumanTask:
    """The single open task of an instance."""
    (row,) = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                     HumanTask.state == "open")).all()
    return row


def test_concurrent_failed_logins_lock_the_account_without_forking_the_chain(session, users, db_threads):
    victim, username, attempts = users["talent_center"], users["talent_center"].username, 26
    outcomes = race(db_threads, *[
        (lambda own: lambda: authenticate(own, username, "wrong-password", T0)) for _ in range(attempts)])
    assert [o for o, _ in outcomes] == ["LoginFailed"] * attempts
    failed = count_events(session, "login_failed", AuditEvent.actor_id == victim.id)
    assert MAX_FAILURES <= failed <= attempts
    assert_chain_intact(session)
    user = session.get(User, victim.id)
    assert user.locked_until == T0 + timedelta(minutes=LOCK_MINUTES)
    assert user.failed_logins == failed % MAX_FAILURES  # each failure counted exactly once (atomic)
    with pytest.raises(LoginFailed, match="锁定"):  # even the right password, while locked
        authenticate(session, username, PASSWORD, T0 + timedelta(minutes=1))


def test_concurrent_claims_unclaims_and_completions_never_fork_the_chain(session, users, db_threads):
    qd = users["quality_division"]
    claimer, holder = (make_user(session, name, "quality_division") for name in ("qd_claimer", "qd_holder"))
    tasks = [t.id for t in nominate(session, qd, 27)]
    to_complete, to_claim, to_unclaim = tasks[:7], tasks[7:17], tasks[17:]
    for task_id in to_unclaim:
        task_service.claim(session, task_id, holder, T0)
    before = assert_chain_intact(session)
    later = T0 + timedelta(hours=1)
    jobs = ([as_user(qd.id, lambda s, u, t=t: task_service.complete(s, t, u, DIVISION_PASS, {}, later))
             for t in to_complete]
            + [as_user(claimer.id, lambda s, u, t=t: task_service.claim(s, t, u, later)) for t in to_claim]
            + [as_user(holder.id, lambda s, u, t=t: task_service.unclaim(s, t, u, later))
               for t in to_unclaim])
    assert [o for o, _ in race(db_threads, *jobs)] == ["ok"] * len(jobs)
    assert assert_chain_intact(session) == before + len(jobs)
    actions = ("task_completed", "task_claimed", "task_unclaimed")
    assert [count_events(session, a, AuditEvent.at == later) for a in actions] == [7, 10, 10]
    found = session.scalars(select(HumanTask).where(HumanTask.id.in_(tasks)))
    rows = {t.id: (t.state, t.claimed_by) for t in found}
    expected = [("done", None)] * 7 + [("open", claimer.id)] * 10 + [("open", None)] * 10
    assert [rows[t] for t in tasks] == expected
    assert_clean(session)


def test_two_users_claiming_one_task_exactly_one_wins_every_time(session, users, db_threads):
    first, second = users["quality_division"], make_user(session, "qd_second", "quality_division")
    tasks = [(t.id, t.task_guid) for t in nominate(session, first, 20)]
    ids = (first.id, second.id)
    wins = Counter()
    for task_id, guid in tasks:
        outcomes = race(db_threads, *[as_user(u, lambda s, u, t=task_id: task_service.claim(s, t, u, T0))
                                      for u in ids])
        assert sorted(o for o, _ in outcomes) == ["Conflict", "ok"], outcomes
        winner = ids[[o for o, _ in outcomes].index("ok")]
        wins[winner] += 1
        session.expire_all()
        assert session.get(HumanTask, task_id).claimed_by == winner
        assert session.scalars(select(AuditEvent.actor_id).where(
            AuditEvent.action == "task_claimed", AuditEvent.task_guid == guid)).all() == [winner]
    assert sum(wins.values()) == len(tasks)
    assert_chain_intact(session)
    assert_clean(session)


def _wait_for_the_other(own, gave_up: threading.Event) -> None:
    """Until the other side waits for a lock held by the first (or, a timer skipping it, has given up)."""
    if own.get_bind().dialect.name != "postgresql":
        gave_up.wait(0.3)  # SQLite: it waits in the busy handler for the write lock the first one holds
        return
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'")
    deadline = time.monotonic() + WAIT
    while not gave_up.is_set() and not own.scalar(waiting):
        assert time.monotonic() < deadline, "the other side never waited for the lock"
        time.sleep(0.01)
    own.rollback()


def _held(monkeypatch, first: str, timer, user) -> tuple:
    """Choreograph a race: `first` ("timer" or "user") locks the instance and keeps it until the other
    side waits for it, then both go on. Returns the timer's and user's jobs and the releasing job."""
    holding, go, gave_up = threading.Event(), threading.Event(), threading.Event()
    original = runner.lock_instance

    def lock_and_hold(session, instance_id, *, skip_locked=False):
        instance = original(session, instance_id, skip_locked=skip_locked)
        if skip_locked == (first == "timer") and not holding.is_set():  # only the timer skips locked rows
            holding.set()
            go.wait(WAIT)
        return instance

    def second(prepare):
        def prepare_second(own):
            action = prepare(own)

            def after_the_first():
                assert holding.wait(WAIT), "the first side never locked the instance"
                try:
                    return action()
                finally:
                    gave_up.set()
            return after_the_first
        return prepare_second

    def release(own):
        return lambda: (holding.wait(WAIT), _wait_for_the_other(own, gave_up), go.set())

    monkeypatch.setattr(runner, "lock_instance", lock_and_hold)
    return (timer, second(user), release) if first == "timer" else (second(timer), user, release)


# One timer/user race: the user completes a task with `values` at `now`, when its timer is due.
Case = namedtuple("Case", "task_id user_id values now instance_id")


def _commitment_cases(session, users) -> list[Case]:
    qd, cases = users["quality_division"], []
    for i in range(10):  # signed off a minute apart: one due timer per race
        signed_off = T0 + timedelta(minutes=i)
        task = nominate(session, qd, 1, first=i)[0]
        for actor, values in ((qd, DIVISION_PASS), (users["bureau_leader"], {"decision": "approve"}),
                              (users["talent_center"], DOC)):
            task_service.complete(session, task.id, actor, values, {}, signed_off)
            task = open_task_of(session, task.instance_id)
        assert task.bpmn_id == "sign_commitment"
        scan = upload(session, qd, Upload("承诺书.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n"), signed_off)
        cases.append(Case(task.id, qd.id, SIGN | {"signed_scan": [scan.id]},  # a paper signature: its scan
                          signed_off + timedelta(days=14, seconds=1), task.instance_id))
    return cases


def _confirmation_cases(session, users) -> list[Case]:
    assignment.make_pool(session, 8)
    cases = []
    for i in range(8):  # requested a minute apart: one due timer per race
        request = assignment.create(session, users["using_unit"], now=T0 + timedelta(minutes=i),
                                    n_experts="1", n_backups="0", response_hours="24")
        (task,) = assignment.open_tasks(session, request, "confirm_availability")
        due = T0 + timedelta(hours=24, minutes=i, seconds=1)
        cases.append(Case(task.id, task.assignee_id, assignment.CONFIRM, due, request.instance_id))
    return cases


def _renewal_cases(session, users) -> list[Case]:
    for i in range(5):  # terms ending a day apart: one due lapse timer per race
        end = date(2026, 4, 20) + timedelta(days=i)
        make_expert(session, f"续聘{i}", user=expert_user(session, f"renewing{i}"),
                    term_start=end.replace(year=2023), term_end=end)
    assert renewals.renewal_scan_job(session, T0)["started"] == 5
    cases = []
    for case in session.scalars(select(RenewalCase).order_by(RenewalCase.old_term_end)).all():
        task = open_task_of(session, case.instance_id)
        due = lapse_instant(case.old_term_end, LOCAL_TZ) + timedelta(seconds=1)
        cases.append(Case(task.id, task.assignee_id, RENEW, due, case.instance_id))
    return cases


def _outcome(session, case: Case) -> tuple:
    """(status of the instance's business row, state of the raced task)."""
    status = next(s for model in (row.model for row in DOMAIN_ROWS)
                  for s in session.scalars(select(model.status).where(model.instance_id == case.instance_id)))
    return status, session.get(HumanTask, case.task_id).state


def _timer_against_user(engine, monkeypatch, case: Case, i: int) -> str:
    """Race fire_due against the user completing the task; the winner ("timer" or "user"). Race 0 lets the
    timer lock the instance first, race 1 the user; later races run free, one side a little late by turns."""
    timer = lambda own: lambda: fire_due(own, case.now)  # noqa: E731
    user = as_user(case.user_id,
                   lambda s, u: task_service.complete(s, case.task_id, u, case.values, {}, case.now))
    with monkeypatch.context() as patch:
        if i < 2:
            jobs = _held(patch, ("timer", "user")[i], timer, user)
        else:
            timer_lag, user_lag = STAGGER[i % len(STAGGER)]
            jobs = (delayed(timer_lag, timer), delayed(user_lag, user))
        fired, by_user = race(engine, *jobs)[:2]
    assert fired[1] in (0, 1) and by_user[0] in ("ok", "Conflict"), (fired, by_user)
    assert (fired[1] == 1) == (by_user[0] == "Conflict"), f"exactly one wins: {fired} {by_user}"
    winner = "timer" if fired[1] else "user"
    assert i >= 2 or winner == ("timer", "user")[i]  # whoever locked the instance first
    return winner


TIMER_RACES = {  # the races, and their outcomes (business row status, task state) by winner
    "commitment": (_commitment_cases, {"user": ("admitted", "done"), "timer": ("lapsed", "cancelled")}),
    "confirmation": (_confirmation_cases, {"user": ("staffed", "done"),
                                           "timer": ("cancelling", "cancelled")}),
    # an answer after the term's end is kept, but the next step lapses at once
    "renewal": (_renewal_cases, {"user": ("lapsed", "done"), "timer": ("lapsed", "cancelled")}),
}


@pytest.mark.parametrize("kind", ["commitment", "confirmation", "renewal"])
def test_timer_racing_a_user_one_wins_never_a_deadlock_or_error(session, users, db_threads, monkeypatch,
                                                                 kind):
    make_cases, expected = TIMER_RACES[kind]
    cases = make_cases(session, users)
    session.commit()
    wins = Counter()
    for i, case in enumerate(cases):
        winner = _timer_against_user(db_threads, monkeypatch, case, i)
        wins[winner] += 1
        session.expire_all()
        assert _outcome(session, case) == expected[winner]
        fired = count_events(session, "timer_fired", AuditEvent.instance_id == case.instance_id)
        assert fired == (winner == "timer")
        instance = session.get(ProcessInstance, case.instance_id)
        status, lock = instance.status, instance.lock_version
        assert status in ("running", "completed")
        assert fire_due(session, case.now + timedelta(seconds=30)) == 0  # nothing due before the next case
        session.expire_all()
        assert session.get(ProcessInstance, case.instance_id).lock_version == lock  # never overwritten
    assert sum(wins.values()) == len(cases)
    assert_chain_intact(session)
    assert_clean(session)


def test_two_timer_runners_fire_each_due_instance_exactly_once(session, db_threads):
    experts = 24
    for i in range(experts):
        make_expert(session, f"专家{i:02d}")
    assert campaign.year_end_job(session, DEC1)["started"] == experts
    session.commit()
    new_year = DEC1 + timedelta(days=31, seconds=1)  # every evaluation's deadline has passed
    outcomes = race(db_threads, *[(lambda own: lambda: fire_due(own, new_year)) for _ in range(2)])
    assert sum(n for _, n in outcomes) == experts
    session.expire_all()
    fired = Counter(session.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer_fired")))
    assert sorted(fired) == sorted(session.scalars(select(ProcessInstance.id))) and set(fired.values()) == {1}
    assert all(e.overdue_at == new_year for e in session.scalars(select(Evaluation)))
    assert fire_due(session, new_year + timedelta(days=1)) == 0
    assert_chain_intact(session)
    assert_clean(session)
