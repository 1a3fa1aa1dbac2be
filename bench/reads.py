"""Read hot paths at the issue-14 scale: the inbox (API and page) and the expert list/search (API and page).

The data set is bench/scale_data.py's (5,000 experts, 100,000 tasks of which 10,000 open, 50,000 audit
events; `--quick` a tenth), built on a fresh schema (the migrations) in a temporary SQLite file, or in the
database DATABASE_URL names (PostgreSQL: a scratch database, which is wiped). The product is the Flask app
with that database, driven through its test client (the whole request: session or bearer-token auth, the
view, the queries, the template or JSON), as:

* a **reviewer** (talent_center, whose lane holds ~30 % of the open tasks) and a **using unit** account
  (unit-scoped lane), and an **applicant** with exactly one task (returned to them for correction);
* the expert list as the talent_center (sees personal data unmasked: each page view is one audit event, as the
  product records it), the auditor (unmasked, a search) and the using unit (masked: no audit write).

Baselines from the same run, interleaved request by request: **trivial** — an authenticated route doing the same
auth + render work with no data (`GET /api/v1/tasks/0` → 404 JSON through the same token auth for the API;
`GET /account` for pages); **raw SQL** — the statements a page needs, as one hand-written SQL string per
query on the same connection. Printed: p50/p95 in ms, ratios, SQL statements per request, and the query plans.

    .venv/bin/python bench/reads.py [--quick] [--reps 60] [--json PATH]
"""

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import scale_data  # noqa: E402
from flask import g  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from engine.core.db import Base  # noqa: E402
from engine.deploy.versions import deploy_shipped  # noqa: E402
from engine.experts.reference import ensure_reference_data  # noqa: E402
from webui.app import create_app  # noqa: E402
from webui.extensions import db  # noqa: E402

TARGET_MS = 25.0
SECTION = """## Reads at scale (bench/reads.py)

The inbox (JSON API `GET /api/v1/tasks`, page `/tasks`) and the expert list/search (API `GET /api/v1/experts`,
page `/experts`) through the Flask app on the scale data set (bench/scale_data.py), next to two baselines from the
same run, interleaved: a trivial authenticated route (same auth and rendering, no data) and the request's own
SELECTs replayed as raw SQL on a DBAPI connection (the database's share)."""


def make_app(url: str):
    """The product's app on `url`, schema rebuilt by the migrations, clock fixed at the data set's NOW."""
    app = create_app({"SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": url, "FIXED_NOW": scale_data.NOW})
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        with contextlib.redirect_stderr(io.StringIO()):  # alembic's per-revision log lines
            upgrade()
        ensure_reference_data(db.session)
        deploy_shipped(db.session, scale_data.NOW)
    return app


def build(app, scale):
    """The data set; returns (seconds, build result)."""
    with app.app_context():
        start = time.perf_counter()
        result = scale_data.build(db.session, scale)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does to a bulk-loaded table
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        return time.perf_counter() - start, result


class Recorder:
    """Counts (and, when asked, keeps) the SQL statements the app sends."""

    def __init__(self, engine):
        self.count, self.keep, self.statements = 0, False, []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, parameters, _context, _many):
        self.count += 1
        if self.keep:
            self.statements.append((statement, parameters))

    def capture(self, call):
        """Run `call` once; returns the statements it sent."""
        self.statements, self.keep = [], True
        try:
            call()
        finally:
            self.keep = False
        return self.statements


def page_client(app, username: str):
    """A test client logged in through the real login form."""
    client = app.test_client()
    g.pop("_login_user", None)
    response = client.post("/login", data={"username": username, "password": scale_data.PASSWORD})
    assert response.status_code == 302, f"login of {username} failed: {response.status_code}"
    return client


def api_headers(app, username: str) -> dict:
    """Bearer-token headers for `username` (token issued by the real API)."""
    response = app.test_client().post("/api/v1/auth/token", json={"username": username,
                                                                   "password": scale_data.PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": "Bearer " + response.get_json()["token"]}


def _getter(client, url: str, headers: dict | None = None, status: int = 200):
    def call():
        g.pop("_login_user", None)  # the app context is shared: forget the cached user as a new request would
        response = client.get(url, headers=headers or {})
        assert response.status_code == status, (url, response.status_code, response.data[:300])
    return call


def _replay(app, statements):
    """The SELECTs a request sent, replayed as raw SQL on one DBAPI connection (no ORM, no Flask)."""
    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]

    def call():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, params in selects:
                cursor.execute(statement, params)
                cursor.fetchall()
            cursor.close()
            raw.rollback()
        finally:
            raw.close()
    return call, len(selects)


def measures(app, result) -> dict:
    """name -> (callable, kind); kinds group a measure with its baselines."""
    users = result["users"]
    tc, unit, auditor, applicant = (users[k] for k in ("talent_center", "using_unit", "auditor", "applicant"))
    # talent_center and the auditor see personal data unmasked: each list view is also one audit event (a write)
    pages = {name: page_client(app, name) for name in (tc, unit, applicant, auditor)}
    tokens = {name: api_headers(app, name) for name in (tc, unit, applicant, auditor)}
    plain = app.test_client()
    return {
        "inbox API, reviewer": _getter(plain, "/api/v1/tasks", tokens[tc]),
        "inbox API, using unit": _getter(plain, "/api/v1/tasks", tokens[unit]),
        "inbox API, applicant (1 task)": _getter(plain, "/api/v1/tasks", tokens[applicant]),
        "inbox page, reviewer": _getter(pages[tc], "/tasks"),
        "inbox page, using unit": _getter(pages[unit], "/tasks"),
        "inbox page, applicant (1 task)": _getter(pages[applicant], "/tasks"),
        "expert API, reviewer (unmasked)": _getter(plain, "/api/v1/experts", tokens[tc]),
        "expert API, using unit (masked)": _getter(plain, "/api/v1/experts", tokens[unit]),
        "expert page, reviewer (unmasked)": _getter(pages[tc], "/experts"),
        "expert search page, auditor (unmasked)": _getter(pages[auditor], "/experts?q=%E7%AC%AC12"),
        "expert search page, using unit (masked)": _getter(pages[unit], "/experts?q=%E7%AC%AC12"),
        "baseline: trivial API (404 task)": _getter(plain, "/api/v1/tasks/999999999", tokens[tc], 404),
        "baseline: trivial page (/account)": _getter(pages[tc], "/account"),
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(calls: dict, reps: int) -> dict:
    """Interleaved timing: every rep runs every call once, in a rotating order. ms per call (wall; and "cpu: "
    entries, this process's CPU time, which a busy machine disturbs less; it includes SQLite's work, not
    PostgreSQL's)."""
    names, times, cpu = list(calls), {name: [] for name in calls}, {name: [] for name in calls}
    for name in names:  # warm-up (spec cache, templates, statement caches)
        calls[name]()
        calls[name]()
    for rep in range(reps):
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            start, start_cpu = time.perf_counter(), time.process_time()
            calls[name]()
            times[name].append((time.perf_counter() - start) * 1000)
            cpu[name].append((time.process_time() - start_cpu) * 1000)
    return {**times, **{"cpu: " + name: values for name, values in cpu.items()}}


def plans(statements, dialect: str, tables=("human_task", "expert")) -> list[str]:
    """The query plan of every captured SELECT that reads one of `tables`."""
    out = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, params in statements:
            head = statement.lstrip().upper()
            if not head.startswith(("SELECT", "WITH")) or not any(t in statement for t in tables):
                continue
            prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
            cursor.execute(prefix + statement, params)
            rows = cursor.fetchall()
            lines = [" | ".join(str(c) for c in r[-1:]) if dialect != "sqlite" else f"{r[1]:>3} {r[3]}" for r in rows]
            out.append(" ".join(statement.split())[:400] + "\n    " + "\n    ".join(lines))
        raw.rollback()
    finally:
        raw.close()
    return out


INBOX = ("inbox API, reviewer", "inbox API, using unit", "inbox API, applicant (1 task)", "inbox page, reviewer",
         "inbox page, using unit", "inbox page, applicant (1 task)")
EXPERTS = ("expert API, reviewer (unmasked)", "expert API, using unit (masked)", "expert page, reviewer (unmasked)",
           "expert search page, auditor (unmasked)", "expert search page, using unit (masked)")


def measure(app, result, reps: int) -> tuple[dict, dict, dict]:
    """(times, statements per request, captured statements) of every measure and its raw-SQL replay."""
    recorder = Recorder(db.engine)
    calls = measures(app, result)
    captured, per_request = {}, {}
    for name, call in list(calls.items()):
        call()  # warm
        captured[name] = recorder.capture(call)
        per_request[name] = len(captured[name])
        if not name.startswith("baseline"):
            calls["raw SQL: " + name], _n = _replay(app, captured[name])
    return run(calls, reps), per_request, captured


def _row(name: str, times: dict, per_request: dict, trivial: str) -> tuple:
    ms = times[name]
    raw = times.get("raw SQL: " + name)
    p50, p95 = statistics.median(ms), _pct(ms, 0.95)
    return (name, p50, p95, per_request.get(name, 0), raw and statistics.median(raw), raw and _pct(raw, 0.95),
            p95 / _pct(times[trivial], 0.95), statistics.median(times["cpu: " + name]))


def report(times: dict, per_request: dict, counts: dict, dialect: str, reps: int,
           server: dict | None = None) -> tuple[str, list]:
    """The markdown table and the checks."""
    lines = [f"Data set: {counts['experts']:,} experts, {counts['tasks']:,} human tasks ({counts['open_tasks']:,} open), "
             f"{counts['events']:,} audit events, {counts['instances']:,} instances; {dialect}; {reps} interleaved "
             "requests per measure.", "",
             "| measure | p50 ms | p95 ms | CPU p50 ms | SQL statements | raw SQL p50 ms | raw SQL p95 ms | "
             "p95 / trivial p95 |", "|---|---|---|---|---|---|---|---|"]
    rows = {}
    for name in (*INBOX, *EXPERTS):
        trivial = "baseline: trivial API (404 task)" if " API" in name else "baseline: trivial page (/account)"
        rows[name] = row = _row(name, times, per_request, trivial)
        lines.append(f"| {row[0]} | {row[1]:.1f} | {row[2]:.1f} | {row[7]:.1f} | {row[3]} | {row[4]:.2f} | "
                     f"{row[5]:.2f} | {row[6]:.1f}× |")
    for name in ("baseline: trivial API (404 task)", "baseline: trivial page (/account)"):
        ms = times[name]
        lines.append(f"| {name} | {statistics.median(ms):.1f} | {_pct(ms, 0.95):.1f} | "
                     f"{statistics.median(times['cpu: ' + name]):.1f} | {per_request[name]} | | | 1.0× |")
    checks = [_check(f"{n} p95", "≤ 25 ms", rows[n][2], rows[n][2] <= TARGET_MS)
              for n in ("inbox API, reviewer", "inbox page, reviewer", "expert API, reviewer (unmasked)",
                        "expert page, reviewer (unmasked)")]
    if server:  # PostgreSQL: its own time; the raw replay's round trips have a floor on a busy server
        reviewer, applicant = server["inbox API, reviewer"], server["inbox API, applicant (1 task)"]
        how = "PostgreSQL planning + execution time"
    else:
        reviewer, applicant = rows["inbox API, reviewer"][4], rows["inbox API, applicant (1 task)"][4]
        how = "raw SQL p50"
    checks.append(_check(f"applicant's inbox SQL vs reviewer's ({how})", "≤ 0.25×", applicant / reviewer,
                         applicant <= 0.25 * reviewer, unit="×"))
    most = max(per_request[n] for n in EXPERTS)
    checks.append(_check("SQL statements per expert list request (50 rows)", "≤ 15", most, most <= 15, unit=""))
    for c in checks:  # run_all's summary shows both databases' rows
        c["measure"] += " (PostgreSQL)" if server else " (SQLite)"
    if server:
        lines += ["", "PostgreSQL's own time for the SELECTs of one request (EXPLAIN ANALYZE, planning + execution, "
                  "median of 5): " + ", ".join(f"{n} {ms:.2f} ms" for n, ms in server.items())]
    return "\n".join(lines), checks


def _check(measure_name: str, target: str, value: float, met: bool, unit: str = " ms") -> dict:
    text_value = f"{value:.2f}{unit}" if isinstance(value, float) else f"{value}{unit}"
    return {"measure": measure_name, "target": target, "value": text_value, "met": bool(met)}


def server_ms(statements, reps: int = 5) -> float:
    """PostgreSQL's own time for a request's SELECTs (EXPLAIN ANALYZE planning + execution), median of reps:
    the database's work without the round trips and queueing a busy machine adds."""
    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    totals = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for _ in range(reps):
            total = 0.0
            for statement, params in selects:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params)
                plan = cursor.fetchone()[0][0]
                total += plan["Planning Time"] + plan["Execution Time"]
            totals.append(total)
        raw.rollback()
    finally:
        raw.close()
    return statistics.median(totals)


def print_plans(captured: dict, dialect: str) -> str:
    """Query plans of the inbox (reviewer, applicant) and expert list requests."""
    out = []
    for name in ("inbox API, reviewer", "inbox API, applicant (1 task)", "expert API, using unit (masked)",
                 "expert search page, using unit (masked)"):
        out.append(f"### {name}")
        out.extend(plans(captured[name], dialect))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or "sqlite:///" + str(Path(tempfile.mkdtemp()) / "reads.sqlite")
    scale = scale_data.Scale.quick() if args.quick else scale_data.Scale()
    app = make_app(url)
    seconds, result = build(app, scale)
    dialect = url.split(":")[0].split("+")[0]
    print(f"data set built in {seconds:.1f} s on {dialect}: {result['counts']}", flush=True)
    reps = args.reps or (30 if args.quick else 60)
    with app.app_context():
        times, per_request, captured = measure(app, result, reps)
        server = {n: server_ms(captured[n]) for n in (*INBOX, *EXPERTS)} if dialect == "postgresql" else None
        table, checks = report(times, per_request, result["counts"], dialect, reps, server)
        plan_text = print_plans(captured, "sqlite" if dialect == "sqlite" else "postgresql")
    print(table)
    print()
    for check in checks:
        print(f"{'OK ' if check['met'] else 'MISS'} {check['measure']}: {check['value']} (target {check['target']})")
    print()
    print(plan_text)
    if args.json:
        markdown = (SECTION + "\n\n" + table + "\n\nQuery plans:\n\n```\n" + plan_text + "\n```\n")
        Path(args.json).write_text(json.dumps({"name": "reads", "markdown": markdown, "checks": checks},
                                              ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
