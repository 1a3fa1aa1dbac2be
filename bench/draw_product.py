"""The Art 13 draw with recusal over a 10,000-expert group AS THE PRODUCT RUNS IT, on SQLite and PostgreSQL.

Four variants, interleaved in every repetition (same machine load), wall and CPU time:
PRODUCT      — one unit of work (engine.core.uow) around engine.assignment.flow.draw_first, as the draw_experts
               host function runs it: the group's profiles (engine.assignment.snapshot: kept while the pool's
               version holds) and the engagements overlapping the dates, rules.recusal.screen, rules.draw.new_draw,
               store the draw record, its exclusions, the engagements and notices of the drawn, the audit anchor,
               commit.
PRODUCT COLD — the same, the first draw after a pool change (the kept profiles dropped first: loaded afresh).
FETCH+RULES  — baseline: the same candidate columns and side rows fetched with raw SQL on the driver's cursor
               (no SQLAlchemy), the ExpertProfile tuples built, then the same in-memory screen +
               legal_entity_keys + new_draw; stores nothing, no commit.
RULES        — baseline: only the in-memory screen + legal_entity_keys + new_draw of FETCH+RULES (the floor of
               any implementation that keeps the profiles: the draw's verifiable record is computed from them).

The pool is synthetic and deterministic (random.Random(20260302)), bulk-inserted in rows shaped like what
admission and self-service write: 10,000 active experts in one group, 1,500 organisations (two thirds with a
credit code), current employment declarations with codes, past affiliations, a few declared relatives, and
engagements around the work dates. Each repetition draws for a fresh request naming 20 of the organisations.

    .venv/bin/python bench/draw_product.py [--experts 10000] [--reps 20] [--quick] [--profile] [--json PATH]
    DATABASE_URL=postgresql+psycopg://…/scratch  also runs it on that (scratch: its tables are dropped) database
"""

import argparse
import cProfile
import gc
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, insert, select
from sqlalchemy.orm import sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import bootstrap  # noqa: E402
from engine.assignment import flow  # noqa: E402
from engine.assignment.models import RequestParty, WorkRequest  # noqa: E402
from engine.assignment.profiles import RELATIONS, region_of  # noqa: E402
from engine.core.db import Base  # noqa: E402
from engine.core.uow import unit_of_work  # noqa: E402
from engine.experts.models import Engagement, Expert, ExpertDeclaration, ExpertGroup, GroupMembership  # noqa: E402
from engine.experts.reference import ensure_reference_data  # noqa: E402
from engine.platform.models import Unit, User  # noqa: E402
from rules import draw as draw_rules  # noqa: E402
from rules.entities import known_unit_codes  # noqa: E402
from rules.orgs import normalize_org  # noqa: E402
from rules.recusal import (  # noqa: E402
    Affiliation,
    Busy,
    DeclaredConflict,
    ExpertProfile,
    Party,
    RequestSpec,
    legal_entity_keys,
    screen,  # noqa: E402
)

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
START, END = date(2026, 3, 16), date(2026, 3, 20)
CITIES = ("福州", "厦门", "泉州", "漳州", "莆田", "三明", "南平", "龙岩", "宁德", "平潭")
N, M, PARTIES = 5, 2, 20
TARGET_MS = 20.0


def _pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def organisations(rng: random.Random, count: int = 1500) -> list[tuple[str, str]]:
    """(name, credit code) pairs; about a third without a code."""
    forms = ("有限公司", "有限责任公司", "股份有限公司", "研究院", "检测中心")
    return [(f"福建{CITIES[i % len(CITIES)]}第{i}号{forms[i % len(forms)]}",
             f"91350{i:06d}{rng.randrange(10**6):06d}X" if rng.random() < 0.66 else "") for i in range(count)]


def _expert(i: int, unit: str, rng: random.Random) -> dict:
    return {"id": i, "name": f"专家{i:05d}", "gender": "male", "birth_date": date(1970 + i % 20, 1 + i % 12, 1),
            "phone": f"138{i:08d}", "id_number": f"350102{i:012d}", "unit_name": unit, "rank_level": "none",
            "title": "高级工程师", "title_level": "vice_senior", "field_years": 10, "work_history": "质量检验",
            "specialties": "电线电缆、化肥", "work_areas": ["sampling"],
            "status": "active" if rng.random() < 0.97 else "suspended",
            "term_start": date(2025, 3, 10), "term_end": TODAY + timedelta(days=rng.randrange(-30, 1000)),
            "certificate_no": f"闽质安专聘〔2025〕{i:05d}号", "admission_route": "public", "created_at": NOW}


def _declarations(i: int, unit: tuple[str, str], orgs: list, rng: random.Random) -> list[dict]:
    rows = []
    if unit[1] and rng.random() < 0.5:  # the current employer, with its code
        rows.append({"expert_id": i, "kind": "employment", "org_name": unit[0], "credit_code": unit[1],
                     "start": date(2015, 1, 1), "end": None, "note": "", "declared_at": NOW})
    for _ in range(rng.choice((0, 0, 1, 2))):  # past affiliations
        org = rng.choice(orgs)
        rows.append({"expert_id": i, "kind": rng.choice(("employment", "office", "control")), "org_name": org[0],
                     "credit_code": org[1], "start": TODAY - timedelta(days=rng.randrange(1500, 4000)),
                     "end": TODAY - timedelta(days=rng.randrange(0, 1400)), "note": "", "declared_at": NOW})
    if rng.random() < 0.05:
        rows.append({"expert_id": i, "kind": "relative", "org_name": rng.choice(orgs)[0], "credit_code": "",
                     "start": None, "end": None, "note": "配偶任职", "declared_at": NOW})
    return rows


def seed_pool(session, n: int) -> dict:
    """Bulk-insert the pool; returns what the repetitions need (ids of the group, unit, requester, orgs)."""
    rng = random.Random(20260302)
    ensure_reference_data(session)
    group = session.scalar(select(ExpertGroup).order_by(ExpertGroup.sort_order).offset(1).limit(1))
    unit = session.scalar(select(Unit).where(Unit.code == "fuzhou"))
    requester = User(username="bench_unit", password_hash="x", display_name="使用单位", unit_id=unit.id)
    session.add(requester)
    session.flush()
    orgs = organisations(rng)
    experts, declarations, units = [], [], []
    for i in range(1, n + 1):
        org = rng.choice(orgs)
        experts.append(_expert(i, org[0], rng))
        declarations += _declarations(i, org, orgs, rng)
    session.execute(insert(Expert), experts)
    session.execute(insert(GroupMembership), [{"expert_id": i, "group_id": group.id, "position": "member"}
                                              for i in range(1, n + 1)])
    session.execute(insert(ExpertDeclaration), declarations)
    past = WorkRequest(unit_id=unit.id, requested_by=requester.id, title="往期抽查", work_type="spot_check",
                       group_code=group.code, n_experts=1, start_date=START, end_date=END, place="福州",
                       status="completed", created_at=NOW, updated_at=NOW)
    session.add(past)
    session.flush()
    busy = [{"request_id": past.id, "expert_id": i, "method": "random", "status": "confirmed",
             "start_date": (b := START + timedelta(days=rng.randrange(-20, 20))),
             "end_date": b + timedelta(days=rng.randrange(1, 5)), "created_at": NOW}
            for i in range(1, n + 1) if rng.random() < 0.25]
    session.execute(insert(Engagement), busy)
    session.commit()
    del units
    return {"group": group.code, "unit_id": unit.id, "requester_id": requester.id, "orgs": orgs,
            "declarations": len(declarations), "engagements": len(busy)}


def new_request(session, pool: dict, k: int) -> int:
    """A fresh request naming PARTIES organisations, spelt the way a requester would (spaces, brackets)."""
    rng = random.Random(k)
    parties = [RequestParty(name=name.replace("福建", "福建 ").replace("有限公司", "（有限公司）"), credit_code=code)
               for name, code in rng.sample(pool["orgs"], PARTIES)]
    request = WorkRequest(unit_id=pool["unit_id"], requested_by=pool["requester_id"], title=f"监督抽查 {k}",
                          work_type="spot_check", group_code=pool["group"], n_experts=N, n_backups=M,
                          start_date=START, end_date=END, place="福州", status="drawing", parties=parties,
                          created_at=NOW, updated_at=NOW)
    session.add(request)
    session.commit()
    return request.id


def _forget_snapshot() -> None:
    """A worker whose kept profiles no longer hold (the pool changed since its last draw, or a fresh worker)."""
    try:
        from engine.assignment import snapshot
    except ImportError:  # the code before the snapshot: nothing is kept
        return
    snapshot.forget()


def product_draw(new_session, request_id: int, k: int, cold: bool = False) -> tuple[float, float, list[int], int]:
    """The product's draw in one unit of work; returns (wall ms, CPU ms, drawn ids, SQL statements)."""
    statements = []
    rng = random.Random(k).randbytes
    if cold:
        _forget_snapshot()
    with new_session() as session:
        bind = session.get_bind()
        listener = lambda *a: statements.append(1)  # noqa: E731
        event.listen(bind, "before_cursor_execute", listener)
        try:
            gc.collect()
            c0, t0 = time.process_time(), time.perf_counter()
            with unit_of_work(session):
                request = flow.get_request(session, request_id)
                flow.draw_first(session, request, None, NOW, None, rng)
            ms, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        finally:
            event.remove(bind, "before_cursor_execute", listener)
        picked = list(session.scalars(select(Engagement.expert_id).where(Engagement.request_id == request_id)
                                      .order_by(Engagement.rank)))
    return ms, cpu, picked, len(statements)


RAW_EXPERTS = ("SELECT e.id, e.status, e.term_end, e.unit_name, e.specialties FROM expert e "
               "JOIN group_membership m ON m.expert_id = e.id JOIN expert_group g ON g.id = m.group_id "
               "WHERE g.code = {p}")
RAW_DECLARATIONS = ("SELECT d.expert_id, d.kind, d.org_name, d.credit_code, d.start, d.\"end\", d.note "
                    "FROM expert_declaration d JOIN group_membership m ON m.expert_id = d.expert_id "
                    "JOIN expert_group g ON g.id = m.group_id WHERE g.code = {p}")
RAW_BUSY = ("SELECT n.expert_id, n.start_date, n.end_date, n.request_id FROM engagement n "
            "JOIN group_membership m ON m.expert_id = n.expert_id JOIN expert_group g ON g.id = m.group_id "
            "WHERE g.code = {p} AND n.status IN ('drawn', 'confirmed', 'cancel_pending')")
RAW_KNOWN = ("SELECT DISTINCT org_name, credit_code FROM expert_declaration "
             "WHERE credit_code IS NOT NULL AND credit_code != ''")


def _as_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def baseline_draw(engine, pool: dict, k: int) -> dict:
    """The floors: raw SQL on the driver's cursor, then the in-memory rules; wall and CPU ms of each part."""
    p = "?" if engine.dialect.name == "sqlite" else "%s"
    rng = random.Random(k)
    parties = tuple(Party(name.replace("福建", "福建 ").replace("有限公司", "（有限公司）"), code)
                    for name, code in rng.sample(pool["orgs"], PARTIES))
    spec = RequestSpec(group=pool["group"], start=START, end=END, parties=parties, request_id=None)
    seed = random.Random(k).randbytes(32)
    raw = engine.raw_connection()
    try:
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        cur = raw.cursor()
        profiles = _raw_profiles(cur, p, pool["group"])
        cur.execute(RAW_KNOWN)
        known = known_unit_codes(cur.fetchall())
        c1, t1 = time.process_time(), time.perf_counter()
        eligible, exclusions = screen(profiles, spec, TODAY, known)
        keep = set(eligible)
        entity_of = legal_entity_keys((x for x in profiles if x.id in keep), known)
        draw_rules.new_draw(eligible, seed, N + M, entity_of, [(e.expert_id, e.code) for e in exclusions])
        c2, t2 = time.process_time(), time.perf_counter()
        raw.rollback()
    finally:
        raw.close()
    return {"fetch_rules": ((t2 - t0) * 1000, (c2 - c0) * 1000), "rules": ((t2 - t1) * 1000, (c2 - c1) * 1000)}


def _raw_profiles(cur, p: str, group: str) -> list[ExpertProfile]:
    cur.execute(RAW_DECLARATIONS.format(p=p), (group,))
    affiliations, conflicts, employers = {}, {}, {}
    for expert_id, kind, org, code, start, end, note in cur.fetchall():
        if kind in RELATIONS:
            affiliations.setdefault(expert_id, []).append(
                Affiliation(org, code or "", RELATIONS[kind], _as_date(start), _as_date(end)))
            if kind == "employment" and end is None and code:
                employers.setdefault(expert_id, []).append((normalize_org(org), code))
        else:
            conflicts.setdefault(expert_id, []).append(DeclaredConflict(org, code or "", kind, note or ""))
    cur.execute(RAW_BUSY.format(p=p), (group,))
    busy = {}
    for expert_id, start, end, request_id in cur.fetchall():
        busy.setdefault(expert_id, []).append(Busy(_as_date(start), _as_date(end), request_id))
    cur.execute(RAW_EXPERTS.format(p=p), (group,))
    return sorted((ExpertProfile(i, status, _as_date(term_end), unit, _code(unit, employers.get(i)), (group,),
                                 specialties or "", region_of(unit), tuple(affiliations.get(i, ())),
                                 tuple(conflicts.get(i, ())), tuple(busy.get(i, ())))
                   for i, status, term_end, unit, specialties in cur.fetchall()), key=lambda x: x.id)


def _code(unit: str, employers: list | None) -> str:
    """The unit's own credit code from a current employment declaration naming it (as profiles.py does)."""
    if not employers:
        return ""
    key = normalize_org(unit)
    return next((code for org, code in employers if org == key), "")


def p95(ms: list[float]) -> float:
    """The 95th percentile (inclusive)."""
    return statistics.quantiles(ms, n=100, method="inclusive")[94] if len(ms) > 1 else ms[0]


VARIANTS = (("product", "product: `flow.draw_first` + commit, snapshot kept (pool unchanged since the last draw)"),
            ("product_cold", "product, first draw after a pool change (snapshot rebuilt)"),
            ("fetch_rules", "baseline: raw-SQL fetch + profiles + screen + new_draw, nothing stored"),
            ("rules", "baseline: screen + legal_entity_keys + new_draw on profiles in memory"))


def run_database(url: str, label: str, args) -> dict:
    """Seed a scratch database, run the variants interleaved; returns their (wall, CPU) ms and statements."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _pragmas)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    new_session = sessionmaker(bind=engine)
    t0 = time.perf_counter()
    with new_session() as session:
        pool = seed_pool(session, args.experts)
    seeded = time.perf_counter() - t0
    with new_session() as session:
        requests = [new_request(session, pool, k) for k in range(2 * args.reps + 2)]
    product_draw(new_session, requests[0], 0)  # warm-up: imports, caches, the database's pages
    baseline_draw(engine, pool, 0)
    runs = {name: [] for name, _ in VARIANTS}
    statements = {}
    for k in range(1, args.reps + 1):
        ms, cpu, picked, count = product_draw(new_session, requests[2 * k - 1], k, cold=True)
        runs["product_cold"].append((ms, cpu))
        statements["product_cold"] = count
        ms, cpu, picked, count = product_draw(new_session, requests[2 * k], k)
        runs["product"].append((ms, cpu))
        statements["product"] = count
        for name, value in baseline_draw(engine, pool, k).items():
            runs[name].append(value)
    if args.profile:
        profile(new_session, requests[-1], 2 * args.reps + 1)
    engine.dispose()
    return {"label": label, "seed_s": seeded, "runs": runs, "statements": statements, "pool": pool}


def profile(new_session, request_id: int, k: int) -> None:
    """cProfile one product draw; print the top entries by cumulative time."""
    prof = cProfile.Profile()
    prof.enable()
    product_draw(new_session, request_id, k)
    prof.disable()
    stats = pstats.Stats(prof).sort_stats("cumulative")
    stats.print_stats(30)


def _row(name: str, runs: list[tuple[float, float]]) -> str:
    wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
    return (f"| {name} | {statistics.median(wall):.1f} | {p95(wall):.1f} | {max(wall):.1f} "
            f"| {statistics.median(cpu):.1f} |")


def report(results: list[dict], args) -> dict:
    """Print the tables and the checks; return the --json document."""
    lines = ["## Draw with recusal over 10,000 candidates, as the product runs it (bench/draw_product.py)", "",
             f"{args.experts:,} experts in the group, {PARTIES} parties, N={N}+M={M}, {args.reps} repetitions per "
             "database, the four variants interleaved in each. Wall ms (p50, p95, max) and this process's CPU ms "
             "(p50; PostgreSQL's own CPU is not in it).", ""]
    checks = []
    for r in results:
        runs = r["runs"]
        lines += [f"**{r['label']}**", "", "| variant | p50 | p95 | max | CPU p50 |", "|---|---|---|---|---|"]
        lines += [_row(text, runs[name]) for name, text in VARIANTS]
        base = statistics.median(w for w, _ in runs["rules"])
        ratios = ", ".join(f"{name} {statistics.median(w for w, _ in runs[name]) / base:.2f}×"
                           for name in ("product", "product_cold", "fetch_rules"))
        lines += ["", f"p50 ratios to the in-memory rules baseline: {ratios}. SQL statements per draw: "
                  f"{r['statements']['product']} (snapshot kept), {r['statements']['product_cold']} (rebuilt).", ""]
        value = p95([w for w, _ in runs["product"]])
        checks.append({"measure": f"draw over {args.experts:,} candidates as the product runs it, {r['label']}",
                       "target": f"p95 ≤ {TARGET_MS:.0f} ms", "value": f"p95 {value:.1f} ms",
                       "met": value <= TARGET_MS})
    lines += [f"Load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs."]
    markdown = "\n".join(lines)
    print(markdown)
    for c in checks:
        print(f"target {c['measure']}: {c['target']} → {c['value']} → {'met' if c['met'] else 'NOT met'}")
    return {"name": "draw_product", "markdown": markdown, "checks": checks}


def main() -> None:
    """Run on SQLite (a temporary file) and, when DATABASE_URL is set, on that database."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experts", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="6 repetitions")
    ap.add_argument("--profile", action="store_true", help="cProfile one more product draw per database")
    ap.add_argument("--json", metavar="PATH")
    ap.add_argument("--only", choices=("sqlite", "postgresql"))
    args = ap.parse_args()
    if args.quick:
        args.reps = 6
    bootstrap.install()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "postgresql":
            results.append(run_database(f"sqlite:///{tmp}/draw.sqlite", "SQLite", args))
        if os.environ.get("DATABASE_URL") and args.only != "sqlite":
            results.append(run_database(os.environ["DATABASE_URL"], "PostgreSQL", args))
    for r in results:
        print(f"{r['label']}: seeded in {r['seed_s']:.1f} s ({r['pool']['declarations']} declarations, "
              f"{r['pool']['engagements']} engagements)")
    document = report(results, args)
    if args.json:
        Path(args.json).write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
