"""Mixed load on PostgreSQL: gunicorn with 4 workers, 32 concurrent clients on loopback, bounded duration.

Prepares the scratch PostgreSQL database (BENCH_PG_URL, default expertpool_bench: its public schema is dropped and
recreated) with submitted applications and spare applicant accounts, then starts `gunicorn -w 4`. Each of 32
client threads owns a share of the applications and loops: GET its role's inbox (/api/v1/tasks), view the open task
(/api/v1/tasks/<id>), complete it (the admission happy path, each step with the token of the role that acts:
人才开发中心, 质量处, 局领导, the applicant), and every 5th iteration start a new application as a fresh applicant
(POST /api/v1/processes/admission_public/instances), which joins the client's share. The client learns the next
open task of an application from the database (one indexed read in the bench process, untimed). Then, in the same
run, the baseline: the same 32 clients on the trivial authenticated route for a quarter of the duration.

    .venv/bin/python bench/mix_load.py [--seconds 60] [--clients 32] [--workers 4] [--quick] [--json PATH]
"""

import argparse
import collections
import itertools
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import benchlib
from benchlib import PG_URL, Client, Server, check, md_table, pct, publish, write_json

KINDS = ("inbox", "view", "complete", "start")
ROLE_OF = {"initial_review": "talent_center", "division_review": "quality_division",
           "leader_approval": "bureau_leader", "record_document": "talent_center", "sign_commitment": "applicant"}


class Shared:
    """Counters and latencies of all clients, plus the feed of spare applicant tokens."""

    def __init__(self, spare: list[str]):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter = collections.Counter()
        self.error_samples: list[str] = []
        self.spare = collections.deque(spare)
        self.serials = itertools.count(1_000_000)  # id numbers of new applicants, unlike the prepared ones
        self.recording = False  # off during the warm-up (every worker process compiles its specs first)
        self.app_cpu: dict[str, float] = {}  # gunicorn's CPU seconds in the mix and in the baseline

    def record(self, kind: str, status: int, took: float, expected: int = 200, body=None) -> bool:
        with self.lock:
            if not self.recording:
                return status == expected
            if status != expected:
                self.errors[kind] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"{kind} {status} {str(body)[:200]}")
                return False
            self.times[kind].append(took * 1000)
            return True

    def spare_token(self) -> tuple[str, int] | None:
        with self.lock:
            return (self.spare.popleft(), next(self.serials)) if self.spare else None


class Worker(threading.Thread):
    """One client: its own connection, its own applications."""

    def __init__(self, port, prepared, shared, owned, deadline, next_task):
        super().__init__(daemon=True)
        self.client, self.prepared, self.shared = Client(port), prepared, shared
        self.owned = collections.deque(owned)  # (instance id, applicant token)
        self.deadline, self.next_task = deadline, next_task
        self.today = (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()

    def token(self, role: str, applicant: str) -> str:
        return applicant if role == "applicant" else self.prepared.staff_tokens[role]

    def run(self) -> None:
        iteration = 0
        while time.monotonic() < self.deadline and self.owned:
            iteration += 1
            instance_id, applicant = self.owned.popleft()
            found = self.next_task(instance_id)
            if found is None:
                continue  # admitted: this application is done
            task_id, bpmn_id = found
            token = self.token(ROLE_OF[bpmn_id], applicant)
            status, body, took = self.client.call("GET", f"/api/v1/tasks?bpmn_id={bpmn_id}", token)
            self.shared.record("inbox", status, took, body=body)
            status, body, took = self.client.call("GET", f"/api/v1/tasks/{task_id}", token)
            self.shared.record("view", status, took, body=body)
            status, body, took = self.client.call("POST", f"/api/v1/tasks/{task_id}/complete", token,
                                                  {"data": benchlib.step_data(bpmn_id, self.today)})
            self.shared.record("complete", status, took, body=body)
            self.owned.append((instance_id, applicant))
            if iteration % 5 == 0:
                self.start_application()
        self.client.close()

    def start_application(self) -> None:
        spare = self.shared.spare_token()
        if spare is None:
            return
        token, serial = spare
        status, body, took = self.client.call(
            "POST", "/api/v1/processes/admission_public/instances", token,
            {"call_id": self.prepared.call_id, "form": benchlib.application_form(serial)})
        if self.shared.record("start", status, took, expected=201, body=body):
            self.owned.append((body["instance_id"], token))


class Baseline(threading.Thread):
    """One client on the trivial authenticated route."""

    def __init__(self, port, token, shared, deadline):
        super().__init__(daemon=True)
        self.client, self.token, self.shared, self.deadline = Client(port), token, shared, deadline

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            status, body, took = self.client.call("GET", benchlib.TRIVIAL, self.token)
            self.shared.record("trivial", status, took, body=body)
        self.client.close()


def next_task_reader(url: str):
    """A thread-safe lookup of an instance's open task (id, bpmn id) from the database (bench side, untimed)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, pool_size=8, max_overflow=40)
    query = text("SELECT id, bpmn_id FROM human_task WHERE instance_id = :i AND state = 'open' ORDER BY id LIMIT 1")

    def lookup(instance_id: int):
        with engine.connect() as conn:
            row = conn.execute(query, {"i": instance_id}).first()
        return (row[0], row[1]) if row else None

    return lookup, engine


def run(args) -> tuple[Shared, float, float]:
    seconds = 15 if args.quick else args.seconds
    apps = max(args.clients * 4, int((seconds + 3) * 12))
    benchlib.reset_postgres(PG_URL)
    print(f"preparing {apps} applications on PostgreSQL …", flush=True)
    prepared = benchlib.prepare_server_db(PG_URL, apps, int(seconds * 10))
    shared = Shared(prepared.spare_applicants)
    lookup, engine = next_task_reader(PG_URL)
    server = Server(PG_URL, workers=args.workers)
    try:
        Client(server.port).call("GET", benchlib.TRIVIAL, prepared.staff_tokens["talent_center"])  # warm a worker
        shares = [prepared.instances[i::args.clients] for i in range(args.clients)]
        warmup = 3.0
        start = time.monotonic()
        workers = [Worker(server.port, prepared, shared, share, start + warmup + seconds, lookup) for share in shares]
        for w in workers:
            w.start()
        time.sleep(warmup)
        with shared.lock:
            shared.recording, start = True, time.monotonic()
        cpu, pg_cpu = server.cpu_seconds(), benchlib.postgres_cpu()
        for w in workers:
            w.join()
        mix_seconds = time.monotonic() - start
        shared.app_cpu["mix"] = server.cpu_seconds() - cpu
        shared.app_cpu["postgres"] = benchlib.postgres_cpu() - pg_cpu
        cpu = server.cpu_seconds()
        base_seconds = max(3.0, seconds / 4)
        start = time.monotonic()
        base = [Baseline(server.port, prepared.staff_tokens["talent_center"], shared, start + base_seconds)
                for _ in range(args.clients)]
        for b in base:
            b.start()
        for b in base:
            b.join()
        base_seconds = time.monotonic() - start
        shared.app_cpu["trivial"] = server.cpu_seconds() - cpu
    finally:
        server.stop()
        engine.dispose()
    return shared, mix_seconds, base_seconds


def report(shared: Shared, mix_seconds: float, base_seconds: float, args) -> tuple[str, list[dict]]:
    rows = []
    for kind in (*KINDS, "trivial"):
        values = shared.times.get(kind, [])
        secs = base_seconds if kind == "trivial" else mix_seconds
        label = "baseline: trivial route, same 32 clients" if kind == "trivial" else kind
        rows.append([label, len(values), f"{len(values) / secs:.1f}", shared.errors[kind], f"{pct(values, 50):.1f}",
                     f"{pct(values, 99):.1f}"])
    completions = len(shared.times.get("complete", [])) / mix_seconds
    errors = sum(shared.errors[k] for k in KINDS)
    mix_all = [v for k in KINDS for v in shared.times.get(k, [])]
    app_cpu_ms = shared.app_cpu.get("mix", 0) * 1000 / max(1, len(shared.times.get("complete", [])))
    base_cpu_ms = shared.app_cpu.get("trivial", 0) * 1000 / max(1, len(shared.times.get("trivial", [])))
    pg_cpu_ms = shared.app_cpu.get("postgres", 0) * 1000 / max(1, len(shared.times.get("complete", [])))
    p99 = pct(mix_all, 99)
    markdown = (
        f"PostgreSQL, gunicorn {args.workers} workers (sync), {args.clients} client threads on loopback for "
        f"{mix_seconds:.0f} s: per iteration inbox → view → complete of the next admission step (the role's token), "
        "and a new application every 5th iteration. Baseline in the same run: the same clients on the trivial "
        f"authenticated route for {base_seconds:.0f} s.\n\n"
        + md_table(["kind", "requests", "per s", "errors", "p50 ms", "p99 ms"], rows)
        + f"\n\ncompletions/s: {completions:.1f}; errors: {errors}; p99 over all mix requests: {p99:.0f} ms. "
        f"gunicorn's CPU (all workers, from /proc): {app_cpu_ms:.1f} ms per mix iteration (inbox + view + complete "
        f"+ 1/5 start), {base_cpu_ms:.2f} ms per trivial request; PostgreSQL's CPU (every backend on the machine, "
        f"other databases' too) {pg_cpu_ms:.1f} ms per mix iteration."
        + ("\n\nerror samples: " + "; ".join(shared.error_samples) if shared.error_samples else ""))
    checks = [
        check("PostgreSQL, 4 workers, 32 clients: completions/s", "≥ 150", f"{completions:.1f}", completions >= 150),
        check("PostgreSQL, 4 workers, 32 clients: errors", "0", str(errors), errors == 0),
        check("PostgreSQL, 4 workers, 32 clients: p99 (all mix requests)", "≤ 200 ms",
              f"{p99:.0f} ms (trivial route {pct(shared.times.get('trivial', []), 99):.0f} ms)", p99 <= 200),
    ]
    return markdown, checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    benchlib.add_convention(parser)
    args = parser.parse_args(argv)
    if not benchlib.postgres_available(PG_URL):
        print(f"PostgreSQL not reachable at {PG_URL}: skipped")
        write_json(args.json, "Mixed load (PostgreSQL)", "PostgreSQL not reachable: not measured.", [])
        return 0
    shared, mix_seconds, base_seconds = run(args)
    markdown, checks = report(shared, mix_seconds, base_seconds, args)
    publish(args.json, "Mixed load (PostgreSQL)", markdown, checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
