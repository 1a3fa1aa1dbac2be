"""How long the audit chain's lock is held, and waited for, when several writers complete tasks on PostgreSQL.

The audit chain (engine.core.audit) chains a transaction's events in `before_commit`: it takes the transaction-scoped
advisory lock `pg_advisory_xact_lock(727274)`, reads the tail, hashes and inserts the events; PostgreSQL releases
the lock when the commit ends. This bench prepares the scratch PostgreSQL database (BENCH_PG_URL; its public
schema is dropped and recreated) with submitted applications and runs --procs processes (default 4, as gunicorn's
workers), each completing initial reviews through `engine.tasks.services.complete` in its own session, one unit of
work per task. Instrumented in each process: the whole unit of work (the baseline), the wait for the lock, and the
hold (lock granted → commit returned).

    .venv/bin/python bench/audit_lock.py [--tasks 400] [--procs 4] [--quick] [--json PATH]
"""

import argparse
import multiprocessing
import sys
import time

import benchlib
from benchlib import PG_URL, md_table, pct, write_json

MODES = ("flush inside the lock (before)", "flush before the lock (now)")


def _old_chain(audit, session) -> None:
    """engine.core.audit._chain_pending as it was: no flush first, so the unit of work's rows flush under the lock."""
    pending = session.info.pop("audit_pending", None)
    if not pending:
        return
    audit._serialize_chain(session)
    prev = session.execute(audit.select(audit.AuditEvent.hash).order_by(audit.AuditEvent.id.desc()).limit(1)).scalar()
    prev = prev or audit.GENESIS
    for item in pending:
        item.prev_hash = prev
        item.hash = prev = audit.event_hash(prev, audit._hashed_fields(item))
    session.add_all(pending)


def _instrument(audit, marks: dict, got: dict) -> None:
    """Time the chain lock's wait and hold; run the chain as the current mode says."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    original_lock, original_chain = audit._serialize_chain, audit._chain_pending

    def timed_lock(session):
        asked = time.perf_counter()
        original_lock(session)
        marks["granted"] = time.perf_counter()
        got[marks["mode"]]["waits"].append((marks["granted"] - asked) * 1000)

    def chain(session):
        (_old_chain(audit, session) if marks["mode"] == MODES[0] else original_chain(session))

    def released(session):
        granted = marks.pop("granted", None)
        if granted is not None:
            got[marks["mode"]]["holds"].append((time.perf_counter() - granted) * 1000)

    audit._serialize_chain = timed_lock
    event.remove(Session, "before_commit", original_chain)
    event.listen(Session, "before_commit", chain)
    event.listen(Session, "after_commit", released)


def _worker(task_ids: list[int], queue) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import sessionmaker

    from engine import bootstrap
    from engine.core import audit
    from engine.platform.accounts import load_user
    from engine.platform.models import User
    from engine.tasks import services as tasks

    bootstrap.install()
    got = {mode: {"waits": [], "holds": [], "totals": [], "errors": 0} for mode in MODES}
    marks: dict = {}
    _instrument(audit, marks, got)
    engine = create_engine(PG_URL)
    new_session = sessionmaker(bind=engine)
    with new_session() as session:
        actor_id = session.scalar(select(User.id).where(User.username == "bench_talent_center"))
    quarter = max(1, len(task_ids) // 4)
    for i, task_id in enumerate(task_ids):
        marks["mode"] = mode = MODES[(i // quarter) % 2]  # old, new, old, new: both see the same load
        with new_session() as session:
            actor = load_user(session, actor_id)
            start = time.perf_counter()
            try:
                tasks.complete(session, task_id, actor, benchlib.INITIAL_PASS, {}, datetime.now(UTC))
            except Exception:  # noqa: BLE001 — counted, the bench goes on
                got[mode]["errors"] += 1
                continue
            got[mode]["totals"].append((time.perf_counter() - start) * 1000)
    engine.dispose()
    queue.put(got)


def run(tasks: int, procs: int) -> tuple[dict, float]:
    from sqlalchemy import create_engine, text

    benchlib.reset_postgres(PG_URL)
    print(f"preparing {tasks} applications on PostgreSQL …", flush=True)
    benchlib.prepare_server_db(PG_URL, tasks, 0)
    engine = create_engine(PG_URL)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text(
            "SELECT id FROM human_task WHERE bpmn_id = 'initial_review' AND state = 'open' ORDER BY id"))]
    engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(ids[i::procs], queue)) for i in range(procs)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    results = [queue.get() for _ in workers]
    wall = time.perf_counter() - start
    for w in workers:
        w.join()
    merged = {mode: {key: [v for r in results for v in r[mode][key]] for key in ("waits", "holds", "totals")}
              for mode in MODES}
    for mode in MODES:
        merged[mode]["errors"] = sum(r[mode]["errors"] for r in results)
    return merged, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=400)
    parser.add_argument("--procs", type=int, default=4)
    benchlib.add_convention(parser)
    args = parser.parse_args(argv)
    if not benchlib.postgres_available(PG_URL):
        write_json(args.json, "Audit chain lock (PostgreSQL)", "PostgreSQL not reachable: not measured.", [])
        return 0
    n = 120 if args.quick else args.tasks
    got, wall = run(n, args.procs)
    rows = []
    for mode in MODES:
        g = got[mode]
        rows += [[mode, label, len(v), f"{pct(v, 50):.2f}", f"{pct(v, 90):.2f}", f"{pct(v, 99):.2f}"]
                 for label, v in (("baseline: whole unit of work (complete)", g["totals"]),
                                  ("wait for the chain lock", g["waits"]),
                                  ("chain lock held (granted → commit returned)", g["holds"]))]
    now = got[MODES[1]]
    markdown = (
        f"{args.procs} processes complete {n} initial reviews on PostgreSQL through `tasks.complete` (one unit of "
        "work each) at the same time. The chain lock (`pg_advisory_xact_lock`) is taken in `before_commit` and "
        "released when the commit ends. Two ways of chaining alternate in quarters of each process's tasks: as "
        "before this change (the unit of work's own rows flushed at commit, under the lock) and now (flushed just "
        "before the lock is taken, so it covers reading the tail, hashing, inserting the events and the commit).\n\n"
        + md_table(["chaining", "interval", "n", "p50 ms", "p90 ms", "p99 ms"], rows)
        + f"\n\nWall {wall:.1f} s, {sum(len(got[m]['totals']) for m in MODES) / wall:.0f} completions/s, errors "
        f"{sum(got[m]['errors'] for m in MODES)}; now, the lock is held {sum(now['holds']) / max(sum(now['totals']), 1):.0%}"
        " of the units of work's time (hold / unit of work at p50: "
        f"{pct(now['holds'], 50) / pct(now['totals'], 50):.0%}).")
    print(markdown)
    write_json(args.json, "Audit chain lock (PostgreSQL)", markdown, [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
