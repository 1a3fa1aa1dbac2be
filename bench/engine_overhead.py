"""Engine-host overhead: the admission_public flow through the project's services vs bare SpiffWorkflow 3.

HOST  — engine.admission.services.submit_public, then engine.tasks.services.complete for each user task as the
        right role user; each step is one "request" (new session, acting user loaded by id, open task found in
        the human_task table) and one service call = one unit of work with one commit on a SQLite file
        (SQLAlchemy ORM), incl. form validation, the inbox index, the audit hash chain and the real host
        functions (eligibility check, status updates, admission with certificate number).
BARE  — SpiffWorkflow directly on the same BPMN + DMN (parsed once, spec kept in memory as the host caches its
        compiled specs), a PythonScriptEngine whose call_service returns canned JSON, the same task data written
        at each user task, and after every step the workflow *state without the spec* (SpiffWorkflow's
        serializer with the spec left out, as the host stores it) written to a SQLite row (UPDATE + commit).
        Two variants: the workflow kept in memory between steps, and loaded (SELECT + restore onto the cached
        spec) before each step as a real per-request host must.

All three variants run in the same process, interleaved flow by flow (rotating order), for several rounds;
the median of the rounds is reported.

    .venv/bin/python bench/engine_overhead.py [--n 200] [--rounds 3] [--warmup 3] [--profile] [--quick] [--json PATH]
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from benchlib import add_convention, check, make_user, md_table, publish
from benchlib import application_form as benchlib_form
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import sessionmaker

from engine import bootstrap
from engine.admission.models import Application, PublicCall
from engine.admission.services import submit_public
from engine.core.db import Base
from engine.core.forms import load_form, validate_form
from engine.core.models import HumanTask, ProcessInstance
from engine.core.spiff import CompiledProcess, dump_workflow, load_workflow
from engine.deploy.versions import deploy_shipped
from engine.experts.reference import ensure_reference_data
from engine.platform.accounts import load_user
from engine.platform.models import User, UserRole
from engine.platform.settings import commitment_period
from engine.tasks import services as tasks
from engine.tasks.services import dynamic_choices

ROOT = Path(__file__).resolve().parent.parent
PROCESS_KEY = "admission_public"
BPMN_FILE = ROOT / "processes" / "admission" / f"{PROCESS_KEY}.bpmn"
DMN_FILE = ROOT / "processes" / "admission" / "eligibility_thresholds.dmn"
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 2026-03-02 09:00 Asia/Shanghai, inside the call window

STAFF = {  # role → (username, unit code)
    "talent_center": ("bench_tc", "prov_talent"),
    "quality_division": ("bench_qd", "prov_quality"),
    "bureau_leader": ("bench_leader", "prov_office"),
}
# The user tasks of the happy path, in order: (bpmn id = form key, acting role, raw form input).
STEPS = [
    ("initial_review", "talent_center", {"decision": "pass", "checklist_ok": "on", "credit_checked": "on"}),
    ("division_review", "quality_division", {"decision": "pass", "propose_role": "none"}),
    ("leader_approval", "bureau_leader", {"decision": "approve"}),
    ("record_document", "talent_center", {"doc_no": "闽市监函〔2026〕12号", "doc_date": "2026-03-02"}),  # not ahead
    ("sign_commitment", "applicant", {"agree": "on", "signature": "林建华"}),
]
STEP_NAMES = ["submit"] + [s[0] for s in STEPS]
VARIANTS = ("host", "bare_deser", "bare_mem")
LABELS = {
    "host": "host (services + DB)",
    "bare_deser": "bare (deserialize per step)",
    "bare_mem": "bare (keeps workflow in memory)",
}


def application_form(i: int) -> dict:
    """A valid, eligible 推荐表 (title path) with a fresh id_number per flow, as the web form posts it."""
    return benchlib_form(i) | {"pledge": "on"}


@dataclass
class Timings:
    """Per-round flow totals and per-step sums of one variant."""

    rounds_ms_per_flow: list = field(default_factory=list)
    rounds_cpu_ms_per_flow: list = field(default_factory=list)
    step_ms: dict = field(default_factory=lambda: dict.fromkeys(STEP_NAMES, 0.0))
    flows: int = 0

    def add_step(self, name: str, seconds: float) -> None:
        self.step_ms[name] += seconds * 1000


class Clock:
    """Times consecutive steps of one flow into a Timings."""

    def __init__(self, timings: Timings | None):
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings.add_step(name, now - self.last)
        self.last = now


# --------------------------------------------------------------------------------------------- host


def _sqlite_pragmas(dbapi_connection, _record):
    # The same pragmas the web app sets on every SQLite connection (webui/app.py).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class Host:
    """The project's services on their own SQLite file, one short-lived session per request (as the web app)."""

    def __init__(self, path: Path):
        self.db = create_engine(f"sqlite:///{path}")
        event.listen(self.db, "connect", _sqlite_pragmas)
        Base.metadata.create_all(self.db)
        self.new_session = sessionmaker(bind=self.db)
        with self.new_session() as session:
            ensure_reference_data(session)
            deploy_shipped(session, NOW)
            self.staff_ids = {role: self._user(session, name, role, unit).id
                              for role, (name, unit) in STAFF.items()}
            call = PublicCall(title="2026年度专家征集", description="", opens_at=NOW - timedelta(days=10),
                              closes_at=NOW + timedelta(days=30), created_at=NOW - timedelta(days=10))
            session.add(call)
            session.commit()
            self.call_id = call.id
        self.serial = 0

    _user = staticmethod(make_user)

    def applicants(self, n: int) -> list[tuple[int, int]]:
        """Fresh applicant users as (user id, serial), untimed: Expert.user_id is unique, so one per flow."""
        with self.new_session() as session:
            users = []
            for _ in range(n):
                self.serial += 1
                user = User(username=f"bench_applicant_{self.serial}", password_hash="bench-not-a-hash",
                            display_name=f"申请人{self.serial}", email=f"a{self.serial}@example.test")
                user.role_links = [UserRole(role_code="applicant")]
                users.append((user, self.serial))
            session.add_all(u for u, _ in users)
            session.commit()
            return [(u.id, serial) for u, serial in users]

    def flow(self, applicant: tuple[int, int], timings: Timings | None) -> int:
        """One application from submission to admission; returns the application id.

        Every step is one request: a new session, the acting user loaded by id (as the login loader does),
        one service call (one unit of work, one commit), session closed.
        """
        applicant_id, serial = applicant
        clock = Clock(timings)
        with self.new_session() as session:
            app = submit_public(session, load_user(session, applicant_id), application_form(serial),
                                {}, NOW, self.call_id)
            app_id, instance_id = app.id, app.instance_id
        clock.lap("submit")
        for bpmn_id, role, raw in STEPS:
            with self.new_session() as session:
                actor = load_user(session, applicant_id if role == "applicant" else self.staff_ids[role])
                row = session.scalars(select(HumanTask).where(
                    HumanTask.instance_id == instance_id, HumanTask.state == "open")).one()
                if row.bpmn_id != bpmn_id:
                    raise AssertionError(f"expected open task {bpmn_id}, found {row.bpmn_id}")
                tasks.complete(session, row.id, actor, raw, {}, NOW)
            clock.lap(bpmn_id)
        return app_id

    def check_admitted(self, app_id: int) -> dict:
        with self.new_session() as session:
            app = session.get(Application, app_id)
            if app.status != "admitted":
                raise AssertionError(f"application {app_id} ended as {app.status}")
            return app.eligibility

    def cleaned(self, form_key: str, raw: dict) -> dict:
        """What the host stores in task data for a form (validated values), for the bare side."""
        with self.new_session() as session:
            return validate_form(load_form(form_key), raw, dynamic_choices(session))

    def instance_bytes(self) -> int:
        with self.new_session() as session:
            last = session.scalars(select(ProcessInstance).order_by(ProcessInstance.id.desc())).first()
            return len(last.serialized.encode("utf-8"))


# --------------------------------------------------------------------------------------------- bare


class BareScriptEngine(PythonScriptEngine):
    """Service tasks return canned results shaped like the host's (no database)."""

    def __init__(self, eligibility: dict):
        super().__init__()
        self.eligibility = eligibility

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        params = {key: spec["value"] for key, spec in (operation_params or {}).items()}
        if operation_name == "check_eligibility":
            result = self.eligibility
        elif operation_name == "set_application_status":
            result = {"status": params["status"]}
        elif operation_name == "admit_expert":
            result = {"expert_id": params["application_id"], "certificate_no": "闽质安专聘〔2026〕0001号",
                      "term_end": "2029-03-09"}
        else:
            raise ValueError(f"unknown service {operation_name}")
        return json.dumps(result)


class Bare:
    """SpiffWorkflow alone: parse once, state stored without the spec, one SQLite row per workflow."""

    def __init__(self, path: Path, eligibility: dict, step_data: list[tuple[str, dict]]):
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(BPMN_FILE))
        parser.add_dmn_file(str(DMN_FILE))
        self.spec = parser.get_spec(PROCESS_KEY)
        self.subprocess_specs = parser.get_subprocess_specs(PROCESS_KEY)
        self.compiled = CompiledProcess(spec=self.spec, subprocess_specs=self.subprocess_specs)
        self.script_engine = BareScriptEngine(eligibility)
        self.step_data = step_data
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.execute("PRAGMA journal_mode=WAL")  # as the host (and the web app) use it
        self.conn.execute("CREATE TABLE IF NOT EXISTS workflow (id INTEGER PRIMARY KEY, serialized TEXT NOT NULL)")
        self.conn.commit()
        self.serial = 0

    def _store(self, workflow, wf_id: int) -> None:
        self.conn.execute("UPDATE workflow SET serialized = ? WHERE id = ?",
                          (dump_workflow(workflow), wf_id))
        self.conn.commit()

    def _load(self, wf_id: int):
        text = self.conn.execute("SELECT serialized FROM workflow WHERE id = ?", (wf_id,)).fetchone()[0]
        return load_workflow(text, self.compiled, self.script_engine)

    @staticmethod
    def _advance(workflow) -> None:
        workflow.refresh_timers()  # the boundary timer on sign_commitment, as the host does
        workflow.do_engine_steps()

    def flow(self, deserialize: bool, timings: Timings | None) -> int:
        """One application start to end; returns the workflow row id."""
        clock = Clock(timings)
        self.serial += 1
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.script_engine)
        data = {"application_id": self.serial, "submitter_user_id": self.serial, "signer_user_id": self.serial,
                "commitment_period": commitment_period()}
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        self._advance(workflow)
        wf_id = self.conn.execute("INSERT INTO workflow (serialized) VALUES (?)",
                                  (dump_workflow(workflow),)).lastrowid
        self.conn.commit()
        clock.lap("submit")
        for bpmn_id, values in self.step_data:
            if deserialize:
                workflow = self._load(wf_id)
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            if task.task_spec.bpmn_id != bpmn_id:
                raise AssertionError(f"expected ready task {bpmn_id}, found {task.task_spec.bpmn_id}")
            task.data[bpmn_id] = json.loads(json.dumps(values))
            task.run()
            self._advance(workflow)
            self._store(workflow, wf_id)
            clock.lap(bpmn_id)
        if not workflow.completed:
            raise AssertionError("bare workflow did not complete")
        return wf_id

    def row_bytes(self) -> int:
        return self.conn.execute("SELECT length(CAST(serialized AS BLOB)) FROM workflow ORDER BY id DESC").fetchone()[0]


# --------------------------------------------------------------------------------------------- runs


class Bench:
    """The three variants over one pair of databases."""

    def __init__(self, workdir: Path, warmup: int):
        self.host = Host(workdir / "host.sqlite")
        eligibility = None
        for applicant in self.host.applicants(max(warmup, 1)):  # also compiles and caches the spec
            eligibility = self.host.check_admitted(self.host.flow(applicant, None))
        step_data = [(bpmn_id, self.host.cleaned(bpmn_id, raw)) for bpmn_id, _, raw in STEPS]
        self.bare = Bare(workdir / "bare.sqlite", json.loads(json.dumps(eligibility)), step_data)
        for _ in range(max(warmup, 1)):
            self.bare.flow(False, None)
            self.bare.flow(True, None)
        self.timings = {v: Timings() for v in VARIANTS}
        self.app_ids: list[int] = []

    def one_flow(self, variant: str, applicant: tuple[int, int], timings: Timings | None) -> tuple[float, float]:
        """One flow of a variant; returns (wall, CPU) seconds."""
        start, cpu = time.perf_counter(), time.process_time()
        if variant == "host":
            self.app_ids.append(self.host.flow(applicant, timings))
        else:
            self.bare.flow(variant == "bare_deser", timings)
        return time.perf_counter() - start, time.process_time() - cpu

    def round(self, index: int, n: int) -> None:
        """n flows of each variant, interleaved flow by flow (rotating order) so all see the same conditions."""
        applicants = self.host.applicants(n)  # untimed
        self.app_ids = []
        wall, cpu = dict.fromkeys(VARIANTS, 0.0), dict.fromkeys(VARIANTS, 0.0)
        for i, applicant in enumerate(applicants):
            for variant in VARIANTS[i % 3:] + VARIANTS[:i % 3]:
                w, c = self.one_flow(variant, applicant, self.timings[variant])
                wall[variant] += w
                cpu[variant] += c
        for app_id in self.app_ids:
            self.host.check_admitted(app_id)
        for variant in VARIANTS:
            timing = self.timings[variant]
            timing.rounds_ms_per_flow.append(wall[variant] * 1000 / n)
            timing.rounds_cpu_ms_per_flow.append(cpu[variant] * 1000 / n)
            timing.flows += n
        print(f"  round {index + 1}: " + ", ".join(
            f"{v} {wall[v] * 1000 / n:.2f} ms/flow (CPU {cpu[v] * 1000 / n:.2f})" for v in VARIANTS), flush=True)

    def median_ms(self, variant: str) -> float:
        return statistics.median(self.timings[variant].rounds_ms_per_flow)

    def median_cpu_ms(self, variant: str) -> float:
        return statistics.median(self.timings[variant].rounds_cpu_ms_per_flow)


def report(bench: Bench, n: int, rounds: int) -> tuple[str, list[dict]]:
    """The markdown section (tables) and the checked target: host CPU ≤ 1.5× bare (deserialize per step)."""
    host_ms, host_cpu = bench.median_ms("host"), bench.median_cpu_ms("host")
    rows = []
    for variant in VARIANTS:
        ms, cpu = bench.median_ms(variant), bench.median_cpu_ms(variant)
        ratio = "" if variant == "host" else f"{host_ms / ms:.2f}×"
        cpu_ratio = "" if variant == "host" else f"{host_cpu / cpu:.2f}×"
        rows.append([LABELS[variant], f"{1000 / ms:.1f}", f"{ms:.2f}", f"{ms / len(STEP_NAMES):.2f}", ratio,
                     f"{cpu:.2f}", f"{cpu / len(STEP_NAMES):.2f}", cpu_ratio])
    steps = [[name] + [f"{bench.timings[v].step_ms[name] / bench.timings[v].flows:.2f}" for v in VARIANTS]
             for name in STEP_NAMES]
    cpu_ratio = host_cpu / bench.median_cpu_ms("bare_deser")
    wall_ratio = host_ms / bench.median_ms("bare_deser")
    markdown = (
        f"admission_public happy path ({len(STEP_NAMES)} steps, one commit per step, SQLite files), {n} flows × "
        f"{rounds} rounds per variant, interleaved flow by flow; medians of rounds. The baseline is bare "
        "SpiffWorkflow 3.2.0 on the same BPMN/DMN that, like the host, keeps the parsed spec in memory and stores "
        "only the workflow state (no spec), with the same commit per step; *deserialize per step* reloads the state "
        "before every step, as a web host must.\n\n"
        + md_table(["variant", "flows/s", "wall ms/flow", "wall ms/step", "host/variant (wall)", "CPU ms/flow",
                    "CPU ms/step", "host/variant (CPU)"], rows)
        + "\n\nPer step, mean wall ms:\n\n" + md_table(["step", *VARIANTS], steps)
        + f"\n\nStored state of a completed flow: host {bench.host.instance_bytes():,} bytes, "
        f"bare {bench.bare.row_bytes():,} bytes (both without the spec)."
    )
    checks = [check("host vs bare SpiffWorkflow (state without spec, commit per step), CPU", "≤ 1.5×",
                    f"{cpu_ratio:.2f}× ({host_cpu / len(STEP_NAMES):.2f} vs "
                    f"{bench.median_cpu_ms('bare_deser') / len(STEP_NAMES):.2f} CPU ms/step; wall {wall_ratio:.2f}×)",
                    cpu_ratio <= 1.5)]
    return markdown, checks


PACKAGES = ("sqlalchemy", "SpiffWorkflow", "RestrictedPython", "engine", "rules", "json", "uuid")


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own (internal) time summed per package: where the host's CPU goes, whoever called it."""
    totals: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():
        if "sqlite3" in name and filename == "~":
            key = "sqlite3 (C: execute, commit)"
        else:
            parts = Path(filename).parts
            key = next((p for p in PACKAGES if p in parts or filename.endswith(f"{p}.py")), "other (stdlib, builtins)")
        totals[key] = totals.get(key, 0.0) + tottime
    return sorted(totals.items(), key=lambda kv: -kv[1])


def profile_host(bench: Bench, n: int) -> None:
    """One more host batch under cProfile (untimed), top 25 by cumulative time."""
    profiler = cProfile.Profile()
    applicants = bench.host.applicants(n)
    profiler.enable()
    for applicant in applicants:
        bench.host.flow(applicant, None)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(25)
    print(f"\ncProfile of {n} host flows (top 25, cumulative):")
    print(out.getvalue())
    print(f"own time by package over {n} host flows:")
    for package, seconds in by_package(pstats.Stats(profiler)):
        print(f"  {package:<28} {seconds * 1000 / n:8.2f} ms/flow")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(re.escape(str(ROOT / "engine")), 25)
    print(f"cProfile of {n} host flows, functions in engine/ only (top 25, cumulative):")
    print(out.getvalue().replace(str(ROOT) + os.sep, ""))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="flows per variant per round (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported (default 3)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed flows per variant first (default 3)")
    parser.add_argument("--profile", action="store_true", help="then profile n host flows with cProfile")
    add_convention(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.rounds = 40, 3
    bootstrap.install()
    if args.n < 1 or args.rounds < 1:
        parser.error("--n and --rounds must be at least 1")
    with tempfile.TemporaryDirectory(prefix="engine_overhead_") as tmp:
        print(f"SpiffWorkflow {version('SpiffWorkflow')}, SQLAlchemy {version('SQLAlchemy')}, "
              f"Python {sys.version.split()[0]}; SQLite files in {tmp}; warming up …", flush=True)
        bench = Bench(Path(tmp), args.warmup)
        for index in range(args.rounds):
            bench.round(index, args.n)
        markdown, checks = report(bench, args.n, args.rounds)
        publish(args.json, "Engine overhead (host vs bare SpiffWorkflow)", markdown, checks)
        if args.profile:
            profile_host(bench, args.n)
        bench.host.db.dispose()
        bench.bare.conn.close()


if __name__ == "__main__":
    main()
