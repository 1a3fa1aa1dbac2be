"""Draw over a large pool: rules.recusal.screen + rules.draw.new_draw vs merely building the candidate list.

BASELINE — build 10,000 ExpertProfile objects (with their affiliations, declared conflicts and engagements)
           from plain row tuples, as a service does after its SELECT: the cost of having the pool in memory.
DRAW     — screen() those profiles against a request with 20 parties (group, specialty, conflicts, dates),
           then legal_entity_keys() of the eligible and new_draw() for N=5 primaries + M=2 backups.

The pool is synthetic and deterministic (a fixed random.Random seed): 1,500 organisations, some shared, so
same-entity skips and unit/affiliation/declared conflicts all occur. Each variant runs --reps times,
interleaved; "cold" clears the organisation-name caches before each DRAW repetition (a fresh worker), "warm"
keeps them (a worker that has screened this pool before). Prints p50/p95/max in ms and the ratio DRAW/BASELINE.

    .venv/bin/python bench/draw.py [--experts 10000] [--parties 20] [--reps 200]
"""

import argparse
import gc
import hashlib
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules import entities, orgs, recusal  # noqa: E402
from rules.draw import new_draw  # noqa: E402
from rules.groups import GROUP_CODES  # noqa: E402
from rules.recusal import (  # noqa: E402
    Affiliation,
    Busy,
    DeclaredConflict,
    ExpertProfile,
    Party,
    RequestSpec,
    legal_entity_keys,
    screen,
)

TODAY = date(2026, 3, 2)
START, END = date(2026, 3, 16), date(2026, 3, 20)
REGIONS = ("福州", "厦门", "泉州", "漳州", "莆田", "三明", "南平", "龙岩", "宁德", "平潭")
SPECIALTIES = ("电线电缆", "食品相关产品", "化肥", "危险化学品", "建筑材料", "电子电器", "儿童用品", "燃气器具")
N, M = 5, 2
GROUP = GROUP_CODES[1]  # 监督抽查组


def organisations(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Return (name, credit code) pairs; about a third have no recorded credit code."""
    forms = ("有限公司", "有限责任公司", "股份有限公司", "研究院", "检测中心")
    orgs = []
    for i in range(count):
        name = f"福建{REGIONS[i % len(REGIONS)]}第{i}号{forms[i % len(forms)]}"
        code = f"91350{i:06d}{rng.randrange(10**6):06d}X" if rng.random() < 0.66 else ""
        orgs.append((name, code))
    return orgs


def expert_row(rng: random.Random, expert_id: int, orgs: list[tuple[str, str]], in_group: float) -> tuple:
    """Return one expert as a plain row tuple (what a SELECT yields); in the requested group with p=in_group."""
    unit, code = rng.choice(orgs)
    past = [(*rng.choice(orgs), rng.choice(("employed", "office", "controls")),
             TODAY - timedelta(days=rng.randrange(400, 3000)), TODAY - timedelta(days=rng.randrange(0, 1500)))
            for _ in range(rng.choice((0, 0, 1, 2)))]
    conflicts = [(rng.choice(orgs)[0], "", "relative", "配偶任职")] if rng.random() < 0.05 else []
    busy = [(b := START + timedelta(days=rng.randrange(-30, 30)), b + timedelta(days=rng.randrange(1, 6)),
             rng.randrange(1, 500)) for _ in range(rng.choice((0, 0, 0, 1)))]
    others = rng.sample(GROUP_CODES[2:], rng.randrange(0, 3))
    groups = tuple([GROUP] + others if rng.random() < in_group else others or [GROUP_CODES[0]])
    status = "active" if rng.random() < 0.95 else "suspended"
    term_end = TODAY + timedelta(days=rng.randrange(-60, 1000))
    specialties = "、".join(rng.sample(SPECIALTIES, 2))
    return (expert_id, status, term_end, unit, code, groups, specialties, rng.choice(REGIONS), past, conflicts, busy)


def build_profiles(rows: list[tuple]) -> list[ExpertProfile]:
    """The baseline: turn row tuples into ExpertProfile objects."""
    return [
        ExpertProfile(id=r[0], status=r[1], term_end=r[2], unit_name=r[3], unit_credit_code=r[4], groups=r[5],
                      specialties=r[6], region=r[7],
                      affiliations=tuple(Affiliation(a[0], a[1], a[2], a[3], a[4]) for a in r[8]),
                      conflicts=tuple(DeclaredConflict(c[0], c[1], c[2], c[3]) for c in r[9]),
                      busy=tuple(Busy(b[0], b[1], b[2]) for b in r[10]))
        for r in rows
    ]


def request(rng: random.Random, orgs: list[tuple[str, str]], parties: int) -> RequestSpec:
    """Return a request naming `parties` organisations, written the way a requester would (spaces, brackets)."""
    chosen = rng.sample(orgs, parties)
    return RequestSpec(group=GROUP, start=START, end=END, request_id=9999,
                       parties=tuple(Party(name.replace("福建", "福建 ").replace("有限公司", "（有限公司）"), code)
                                     for name, code in chosen))


def draw_once(profiles: list[ExpertProfile], spec: RequestSpec, seed: bytes) -> dict[str, float]:
    """Screen the pool, key the eligible by legal entity and draw N+M; return each stage's wall time in ms."""
    gc.collect()  # garbage of earlier repetitions is not charged to this one
    c0, t0 = time.process_time(), time.perf_counter()
    eligible, _ = screen(profiles, spec, TODAY)
    t1 = time.perf_counter()
    chosen = set(eligible)
    entity_of = legal_entity_keys([p for p in profiles if p.id in chosen])
    t2 = time.perf_counter()
    new_draw(eligible, seed, N + M, entity_of)
    t3, c3 = time.perf_counter(), time.process_time()
    return {"screen": (t1 - t0) * 1000, "keys": (t2 - t1) * 1000, "draw": (t3 - t2) * 1000,
            "total": (t3 - t0) * 1000, "cpu": (c3 - c0) * 1000}


def clear_caches() -> None:
    """Forget every normalised name, as a freshly started worker would."""
    for fn in (recusal.normalize_org, recusal.normalize_credit_code, orgs.text_key, recusal._group_keys,
               entities.entity_name_key):
        fn.cache_clear()


def timed(fn) -> float:
    """Return fn's wall time in milliseconds, after collecting the garbage earlier repetitions left behind."""
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def p95(ms: list[float]) -> float:
    """Return the 95th percentile."""
    return statistics.quantiles(ms, n=100, method="inclusive")[94]


def line(name: str, ms: list[float]) -> str:
    """Return one table line: p50, p95, max."""
    return f"{name:<44} {statistics.median(ms):>8.2f} {p95(ms):>8.2f} {max(ms):>8.2f}"


def describe(profiles: list[ExpertProfile], spec: RequestSpec) -> str:
    """Return what one draw on this pool does: eligible, exclusions by code, drawn."""
    eligible, excluded = screen(profiles, spec, TODAY)
    by_code = Counter(e.code for e in excluded)
    chosen = set(eligible)
    record = new_draw(eligible, hashlib.sha256(b"describe").digest(), N + M,
                      legal_entity_keys(p for p in profiles if p.id in chosen))
    codes = ", ".join(f"{code} {n}" for code, n in sorted(by_code.items()))
    return (f"pool {len(profiles)} experts, {len(spec.parties)} parties: {len(eligible)} eligible; "
            f"{len(excluded)} exclusion rows ({codes}); drawn {len(record.drawn())} (N={N}, M={M}), "
            f"{len(record.rounds[0].skipped_same_entity)} skipped as same legal entity")


def run(rows: list[tuple], spec: RequestSpec, reps: int) -> tuple[list[float], list[dict], list[dict]]:
    """Run baseline, warm and cold draws interleaved; return their timings."""
    profiles = build_profiles(rows)
    draw_once(profiles, spec, hashlib.sha256(b"warm-up").digest())
    base, warm, cold = [], [], []
    for i in range(reps):
        seed = hashlib.sha256(f"bench-{i}".encode()).digest()
        base.append(timed(lambda: build_profiles(rows)))
        warm.append(draw_once(profiles, spec, seed))
        clear_caches()
        cold.append(draw_once(profiles, spec, seed))
    return base, warm, cold


def report(base: list[float], warm: list[dict], cold: list[dict], reps: int) -> None:
    """Print the table, the ratios and the target check."""
    print(f"\n{'ms over ' + str(reps) + ' repetitions':<44} {'p50':>8} {'p95':>8} {'max':>8}")
    print(line("(a) baseline: build the candidate list", base))
    for stage, label in (("screen", "screen()"), ("keys", "legal_entity_keys() of the eligible"),
                         ("draw", f"new_draw() N+M={N + M}")):
        print(line(f"    {label}, cold caches", [t[stage] for t in cold]))
    cold_total, warm_total = [t["total"] for t in cold], [t["total"] for t in warm]
    print(line("(b) screen + keys + new_draw, cold caches", cold_total))
    print(line("(b) screen + keys + new_draw, warm caches", warm_total))
    print(line("(b) cold, CPU time (process_time)", [t["cpu"] for t in cold]))
    b50 = statistics.median(base)
    print(f"\nratio (b)/(a) at p50: cold {statistics.median(cold_total) / b50:.2f}×, "
          f"warm {statistics.median(warm_total) / b50:.2f}×")
    verdict = "met" if p95(cold_total) <= 20 else "NOT met"
    print(f"target p95 ≤ 20 ms for (b): cold p95 {p95(cold_total):.2f} ms, warm p95 {p95(warm_total):.2f} ms → {verdict}"
          f"  (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")


def main() -> None:
    """Build the pool and request, run the variants and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experts", type=int, default=10_000)
    ap.add_argument("--parties", type=int, default=20)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--in-group", type=float, default=1.0,
                    help="share of the pool in the requested group (1.0: the pool is the group, as engine/assignment "
                         "loads it; lower: a whole-library pool, most excluded as not_in_group)")
    args = ap.parse_args()
    rng = random.Random(20260302)
    orgs = organisations(rng, 1500)
    rows = [expert_row(rng, i, orgs, args.in_group) for i in range(1, args.experts + 1)]
    spec = request(rng, orgs, args.parties)
    print(describe(build_profiles(rows), spec))
    report(*run(rows, spec, args.reps), args.reps)


if __name__ == "__main__":
    main()
