"""Year-end campaign launch (Art 14) for N experts: the product's job vs bare SpiffWorkflow on the same BPMN.

HOST — engine.evaluation.campaign.year_end_job at 2026-12-01 00:00 Asia/Shanghai on a fresh SQLite file (or the
       scratch database --host-url names, e.g. PostgreSQL) holding N
       active experts in the six groups (each group with a leader who has an account) and some engagements:
       the JobRun claim, the roster, then chunks of LAUNCH_CHUNK experts per unit of work, each expert an
       Evaluation row (with this year's and cumulative usage counts) and an annual_evaluation instance started
       through engine.core.runner (state, inbox row, due date, audit event), and the launch notifications.
BARE — SpiffWorkflow 3.2.0 alone on the same BPMN (parsed once): per expert a BpmnWorkflow with the same
       start data, run to its first user task (clock frozen at the same instant), its state serialized without
       the spec (as the host stores it) and INSERTed into a SQLite row, one commit per chunk of the same
       size. No domain rows, no inbox, no audit.

Both run in the same process, bare first, then host, then bare again (the bare figure is the mean of the two, so
both sides see the same machine load), each on its own temporary SQLite file. --quick launches 1,000 experts and
checks the 5,000-expert target on the rate it measured (projected: 5,000 / rate).

    .venv/bin/python bench/year_end.py [--experts 5000] [--chunk 250] [--host-url postgresql+psycopg://…/scratch]
                                       [--quick] [--json PATH]
"""

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.orm import sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import benchlib  # noqa: E402

from engine import bootstrap  # noqa: E402
from engine.assignment.models import WorkRequest  # noqa: E402
from engine.core.clock import frozen_at  # noqa: E402
from engine.core.db import Base  # noqa: E402
from engine.core.models import HumanTask  # noqa: E402
from engine.core.spiff import dump_workflow  # noqa: E402
from engine.deploy.versions import deploy_shipped  # noqa: E402
from engine.evaluation import campaign  # noqa: E402
from engine.evaluation.models import Evaluation  # noqa: E402
from engine.experts.models import (  # noqa: E402
    Engagement,  # noqa: E402
    Expert,
    ExpertGroup,
    GroupMembership,
)
from engine.experts.reference import ensure_reference_data  # noqa: E402
from engine.platform import settings  # noqa: E402
from engine.platform.models import Unit, User, UserRole  # noqa: E402

NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 2026-12-01 00:00 Asia/Shanghai
BPMN_FILE = ROOT / "processes" / "evaluation" / "annual_evaluation.bpmn"


def _pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _expert(i: int, user_id: int | None) -> Expert:
    return Expert(name=f"专家{i:05d}", gender="male", birth_date=date(1970 + i % 20, 1 + i % 12, 1 + i % 28),
                  phone=f"138{i:08d}", id_number=f"350102{i:012d}", unit_name=f"单位{i % 300}", rank_level="none",
                  title="高级工程师", title_level="vice_senior", field_years=10, work_history="质量检验",
                  specialties="家用电器", work_areas=["sampling"], status="active", term_start=date(2025, 3, 10),
                  term_end=date(2028, 3, 9), certificate_no=f"闽质安专聘〔2025〕{i:05d}号", user_id=user_id,
                  created_at=NOW - timedelta(days=600))


def seed(session, n: int) -> None:
    """N active experts over the six groups, a leader with an account per group, engagements for 1 in 5."""
    ensure_reference_data(session)
    deploy_shipped(session, NOW)
    groups = session.scalars(select(ExpertGroup).order_by(ExpertGroup.sort_order)).all()
    leaders = []
    for g in groups:
        user = User(username=f"leader_{g.code}", password_hash="x", display_name=f"{g.name}组长")
        user.role_links = [UserRole(role_code="group_leader"), UserRole(role_code="expert")]
        leaders.append(user)
    session.add_all(leaders)
    session.flush()
    experts = [_expert(i, leaders[i].id if i < len(groups) else None) for i in range(n)]
    for i, expert in enumerate(experts):
        position = "leader" if i < len(groups) else "member"
        expert.memberships = [GroupMembership(group_id=groups[i % len(groups)].id, position=position)]
    session.add_all(experts)
    unit = session.scalar(select(Unit).where(Unit.code == "fuzhou"))
    requester = User(username="bench_unit", password_hash="x", display_name="使用单位", unit_id=unit.id)
    session.add(requester)
    session.flush()
    for i, expert in enumerate(experts[::5]):
        start = date(2024 + i % 3, 1 + i % 12, 10)
        request = WorkRequest(unit_id=unit.id, requested_by=requester.id, title="监督抽查方案评审", work_type="spot_check",
                              group_code=groups[0].code, n_experts=1, start_date=start, end_date=start, place="福州",
                              status="completed", created_at=NOW)
        session.add(request)
        session.flush()
        session.add(Engagement(request_id=request.id, expert_id=expert.id, status="completed", start_date=start,
                               end_date=start, created_at=NOW))
    session.commit()


def run_host(url: str, n: int, chunk: int) -> tuple[float, int]:
    """The real job on a freshly built, seeded database; returns (seconds, instances started)."""
    db = create_engine(url)
    if db.dialect.name == "sqlite":
        event.listen(db, "connect", _pragmas)
    Base.metadata.drop_all(db)  # a scratch database: the temporary SQLite file, or the one --host-url names
    Base.metadata.create_all(db)
    new_session = sessionmaker(bind=db)
    with new_session() as session:
        seed(session, n)
    settings.LAUNCH_CHUNK = chunk
    with new_session() as session:
        t0 = time.perf_counter()
        result = campaign.year_end_job(session, NOW)
        elapsed = time.perf_counter() - t0
        assert result["started"] == n, result
        assert session.scalar(select(func.count()).select_from(Evaluation)) == n
        assert session.scalar(select(func.count()).select_from(HumanTask)) == n
    return elapsed, n


def run_bare(path: Path, n: int, chunk: int) -> tuple[float, int]:
    """SpiffWorkflow alone: start, run to the first wait, serialize, INSERT; commit per chunk."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN_FILE))
    spec, subprocesses = parser.get_spec("annual_evaluation"), parser.get_subprocess_specs("annual_evaluation")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE instance (id INTEGER PRIMARY KEY, serialized TEXT)")
    conn.commit()
    data = {"year": 2026, "deadline_at": "2026-12-31T23:59:59+08:00"}
    t0 = time.perf_counter()
    for i in range(n):
        workflow = BpmnWorkflow(spec, subprocesses, script_engine=PythonScriptEngine())
        for task in workflow.get_tasks(state=TaskState.READY):  # the start data, as engine.core.runner.start seeds it
            task.data.update(data | {"evaluation_id": i, "expert_id": i, "group_rater_user_id": i % 6 + 1,
                                     "group_rater": "account"})
        with frozen_at(NOW):
            workflow.refresh_timers()
            workflow.do_engine_steps()
        conn.execute("INSERT INTO instance (serialized) VALUES (?)", (dump_workflow(workflow),))
        if (i + 1) % chunk == 0:
            conn.commit()
    conn.commit()
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed, n


def _report(args, n: int, host_s: float, bare_s: float, where: str) -> tuple[str, list[dict]]:
    host_rate, bare_rate = n / host_s, n / bare_s
    projected = 5000 / host_rate
    rows = [["host (year_end_job)", f"{host_s:.1f}", f"{host_rate:.0f}", f"{projected:.1f}"],
            ["baseline: bare SpiffWorkflow (same BPMN, state without spec)", f"{bare_s:.1f}", f"{bare_rate:.0f}",
             f"{5000 / bare_rate:.1f}"]]
    markdown = (
        f"Art 14 year-end campaign launch (December, 2026-12-01 00:00 Asia/Shanghai) for {n:,} active experts, chunk "
        f"{args.chunk}: the real scheduled job on {where} against bare SpiffWorkflow on the same BPMN (per expert a "
        "workflow run to its first user task, its state INSERTed, one commit per chunk) in the same run.\n\n"
        + benchlib.md_table(["side", "seconds", "instances/s", "s for 5,000"], rows)
        + f"\n\nhost/bare time ratio {host_s / bare_s:.2f}×.")
    value = f"{host_s:.1f} s" if n == 5000 else f"{projected:.1f} s (projected from {n:,})"
    checks = [benchlib.check(f"December launch, 5,000 experts ({where})", "≤ 60 s",
                             f"{value}; bare {5000 / bare_rate:.1f} s", projected <= 60)]
    return markdown, checks


def main() -> None:
    """Run both sides and print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=5000)
    parser.add_argument("--chunk", type=int, default=settings.LAUNCH_CHUNK)
    parser.add_argument("--host-url", default=None,
                        help="run the host side on this scratch database instead (all its tables are dropped!)")
    benchlib.add_convention(parser)
    args = parser.parse_args()
    n = 1000 if args.quick else args.experts
    bootstrap.install()
    with tempfile.TemporaryDirectory() as tmp:
        host_url = args.host_url or f"sqlite:///{Path(tmp) / 'host.sqlite'}"
        bare_a, _ = run_bare(Path(tmp) / "bare_a.sqlite", n, args.chunk)
        host_s, _ = run_host(host_url, n, args.chunk)
        bare_b, _ = run_bare(Path(tmp) / "bare_b.sqlite", n, args.chunk)
    bare_s = (bare_a + bare_b) / 2
    where = "PostgreSQL" if (args.host_url or "").startswith("postgresql") else "SQLite"
    markdown, checks = _report(args, n, host_s, bare_s, where)
    benchlib.publish(args.json, f"December launch ({where})", markdown, checks)


if __name__ == "__main__":
    main()
