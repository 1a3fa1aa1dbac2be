"""Complete-task latency through the JSON API on a real server: gunicorn, 1 worker, SQLite, one client.

Prepares a fresh SQLite file (migrations, reference data, shipped versions) with N submitted applications (through
the services, untimed), starts `gunicorn -w 1 webui.app:create_app()` on loopback and, from one keep-alive
connection, alternates: POST /api/v1/tasks/<id>/complete (an initial review, as 人才开发中心) and the baseline
GET /api/v1/applications/mine (the same token auth, one small query, a JSON answer). Both are timed at the client
(request sent → body read), interleaved one for one, after untimed warm-up requests.

    .venv/bin/python bench/api_latency.py [--n 400] [--quick] [--json PATH]
"""

import argparse
import sys
import tempfile
from pathlib import Path

import benchlib
from benchlib import Client, Server, check, md_table, pct, publish

TARGET_P50, TARGET_P99 = 10.0, 40.0


def open_initial_reviews(url: str) -> list[int]:
    """Ids of the open initial_review tasks, oldest first."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text(
            "SELECT id FROM human_task WHERE bpmn_id = 'initial_review' AND state = 'open' ORDER BY id"))]
    engine.dispose()
    return ids


def measure(server: Server, token: str, task_ids: list[int], warmup: int) -> dict[str, list[float]]:
    """Alternate complete and the trivial route; ms per request of each (warm-up excluded), and the worker's CPU
    ms per request of each (read from /proc around every request; 10 ms ticks, so only the sums mean much)."""
    client = Client(server.port)
    (worker,) = server.worker_pids()
    times: dict[str, list[float]] = {"complete": [], "trivial": []}
    cpu = {"complete": 0.0, "trivial": 0.0}
    errors = 0
    for i, task_id in enumerate(task_ids):
        order = (("complete", task_id), ("trivial", None)) if i % 2 == 0 else (("trivial", None), ("complete", task_id))
        for kind, tid in order:
            before = benchlib.proc_cpu(worker)
            if kind == "complete":
                status, _, took = client.call("POST", f"/api/v1/tasks/{tid}/complete", token,
                                              {"data": benchlib.INITIAL_PASS})
            else:
                status, _, took = client.call("GET", benchlib.TRIVIAL, token)
            if status != 200:
                errors += 1
            elif i >= warmup:
                times[kind].append(took * 1000)
                cpu[kind] += (benchlib.proc_cpu(worker) - before) * 1000
    client.close()
    times["errors"] = [errors]
    times["cpu"] = [cpu["complete"] / max(1, len(times["complete"])), cpu["trivial"] / max(1, len(times["trivial"]))]
    return times


def report(times: dict, n: int) -> tuple[str, list[dict]]:
    comp, triv = times["complete"], times["trivial"]
    rows = []
    for label, values, cpu in (("complete-task (POST /api/v1/tasks/<id>/complete)", comp, times["cpu"][0]),
                               ("baseline: trivial authenticated route (GET /api/v1/applications/mine)", triv,
                                times["cpu"][1])):
        rows.append([label, len(values), f"{pct(values, 50):.2f}", f"{pct(values, 90):.2f}", f"{pct(values, 99):.2f}",
                     f"{max(values):.2f}" if values else "-", f"{cpu:.2f}"])
    ratio = pct(comp, 50) / pct(triv, 50) if triv else float("nan")
    p50, p99 = pct(comp, 50), pct(comp, 99)
    markdown = (
        "Complete-task through the JSON API on a real server: gunicorn with 1 worker on a SQLite file, one "
        "keep-alive client on loopback, alternating one complete (an initial review, 人才开发中心's token) with one "
        "request to a trivial authenticated route (same token auth, one small query), timed at the client. "
        f"{n} of each after warm-up.\n\n"
        + md_table(["request", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "worker CPU ms/request"], rows)
        + f"\n\ncomplete / trivial at p50: {ratio:.2f}×; errors: {times['errors'][0]}.")
    checks = [check("complete-task, JSON API, gunicorn 1 worker, SQLite: p50", f"≤ {TARGET_P50:.0f} ms",
                    f"{p50:.1f} ms (trivial route {pct(triv, 50):.1f} ms)", p50 <= TARGET_P50),
              check("complete-task, JSON API, gunicorn 1 worker, SQLite: p99", f"≤ {TARGET_P99:.0f} ms",
                    f"{p99:.1f} ms (trivial route {pct(triv, 99):.1f} ms)", p99 <= TARGET_P99)]
    return markdown, checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=400, help="timed completions (default 400)")
    benchlib.add_convention(parser)
    args = parser.parse_args(argv)
    n = 100 if args.quick else args.n
    warmup = 20
    with tempfile.TemporaryDirectory(prefix="api_latency_") as tmp:
        url = f"sqlite:///{Path(tmp) / 'api.sqlite'}"
        print(f"preparing {n + warmup} applications on {url} …", flush=True)
        prepared = benchlib.prepare_server_db(url, n + warmup, 0)
        task_ids = open_initial_reviews(url)
        server = Server(url, workers=1)
        try:
            times = measure(server, prepared.staff_tokens["talent_center"], task_ids, warmup)
        finally:
            server.stop()
    markdown, checks = report(times, n)
    publish(args.json, "API latency (gunicorn, SQLite)", markdown, checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
