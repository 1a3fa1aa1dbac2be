"""Shared helpers of the bench/ scripts (not a bench itself: no main, no --json): the --quick/--json convention,
markdown tables, percentiles, a real gunicorn server on a prepared database, and a keep-alive HTTP client."""

import http.client
import json
import logging
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/expertpool_bench")


def add_convention(parser) -> None:
    """The options every bench takes: --quick (smaller run for run_all --quick) and --json PATH."""
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    parser.add_argument("--json", metavar="PATH", help="write {name, markdown, checks} for bench/run_all")


def check(measure: str, target: str, value: str, met: bool) -> dict:
    """One issue-14 target with the measured value."""
    return {"measure": measure, "target": target, "value": value, "met": bool(met)}


def write_json(path: str | None, name: str, markdown: str, checks: list[dict]) -> None:
    """Write the run_all result file when --json was given."""
    if path:
        Path(path).write_text(json.dumps({"name": name, "markdown": markdown, "checks": checks}, ensure_ascii=False,
                                         indent=1), encoding="utf-8")


def publish(path: str | None, name: str, markdown: str, checks: list[dict]) -> None:
    """Print a bench's section and its target checks, and write the run_all result file when --json was given."""
    print(markdown)
    for c in checks:
        print(f"{'OK ' if c['met'] else 'MISS'} {c['measure']}: {c['value']} (target {c['target']})")
    write_json(path, name, markdown, checks)


def md_table(headers: list[str], rows: list[list]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------------------------- database


def reset_postgres(url: str = PG_URL) -> None:
    """Empty the scratch PostgreSQL database (drop and recreate its public schema, with the extensions it uses)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))  # the inbox search's indexes (create_all needs it)
    engine.dispose()


def _create_database(url: str) -> None:
    # A fresh machine has the server but not the scratch database: create it through the maintenance database.
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    except Exception:  # noqa: BLE001 — no server: postgres_available() says so
        pass
    finally:
        admin.dispose()


def postgres_available(url: str = PG_URL) -> bool:
    """True when the scratch PostgreSQL database answers (created first when the server has none of that name)."""
    from sqlalchemy import create_engine, text

    _create_database(url)
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 — any failure means: skip the PostgreSQL part
        return False


STAFF = {"talent_center": "prov_talent", "quality_division": "prov_quality", "bureau_leader": "prov_office"}
INITIAL_PASS = {"decision": "pass", "checklist_ok": True, "credit_checked": True, "accept_age_exemption": "na"}


def step_data(bpmn_id: str, today: str) -> dict:
    """The JSON API body's data of each admission step on the happy path."""
    return {
        "initial_review": INITIAL_PASS,
        "division_review": {"decision": "pass", "propose_role": "none"},
        "leader_approval": {"decision": "approve"},
        "record_document": {"doc_no": "闽市监函〔2026〕12号", "doc_date": today},
        "sign_commitment": {"agree": True, "signature": "林建华"},
    }[bpmn_id]


def id_number(i: int) -> str:
    """A valid GB 11643 ID number, a different one per i."""
    body = f"35{i // 1000 % 10000:04d}19750618{i % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def application_form(i: int) -> dict:
    """A valid, eligible 推荐表 with a fresh id_number."""
    return {
        "name": "林建华", "gender": "male", "political_status": "中共党员", "birth_date": "1975-06-18",
        "education": "硕士研究生", "phone": "13805912345", "email": "ljh@example.test",
        "id_number": id_number(i), "unit_name": "福建省产品质量检验研究院",
        "position": "室主任", "rank_level": "none", "title": "高级工程师", "title_level": "vice_senior",
        "field_years": "12", "work_history": "2013年起从事电器产品质量检验与监督抽查技术工作。",
        "specialties": "家用电器；电线电缆", "groups": ["supervision_sampling", "risk_monitoring"],
        "work_areas": ["sampling", "risk"], "age_exemptions": [], "exemption_note": "", "pledge": True,
        "response": "",
    }


class Prepared:
    """What prepare_server_db made: tokens per staff role, open applications, spare applicants for starts."""

    def __init__(self):
        self.staff_tokens: dict[str, str] = {}
        self.call_id = 0
        self.instances: list[tuple[int, str]] = []  # (instance id, the applicant's token)
        self.spare_applicants: list[str] = []  # tokens of applicants who have not applied yet


def prepare_server_db(url: str, applications: int, spare_applicants: int) -> Prepared:
    """Migrate a fresh database, add staff with API tokens, an open call and N submitted applications
    (through the services, untimed), and spare applicant accounts with tokens for starts."""
    os.environ["DATABASE_URL"] = url
    from webui.app import create_app
    from webui.cli import prepare_database
    from webui.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        logging.disable(logging.INFO)  # alembic's per-migration lines
        prepare_database()
        logging.disable(logging.NOTSET)
        started = time.perf_counter()
        prepared = _seed(db.session, applications, spare_applicants)
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    return prepared


def make_user(session, username: str, role: str, unit_code: str | None = None):
    """A bench account with one role (no usable password: benches authenticate by token), committed."""
    from sqlalchemy import select

    from engine.platform.models import Unit, User, UserRole

    unit = session.scalar(select(Unit).where(Unit.code == unit_code)) if unit_code else None
    user = User(username=username, password_hash="bench-not-a-hash", display_name=username,
                email=f"{username}@example.test", unit_id=unit.id if unit else None)
    user.role_links = [UserRole(role_code=role)]
    session.add(user)
    session.commit()
    return user


def _seed(session, applications: int, spare: int) -> Prepared:
    from engine.admission.models import PublicCall
    from engine.admission.services import submit_public
    from engine.platform.accounts import TOKEN_HOURS, issue_token
    from engine.platform.models import ApiToken, User, UserRole
    from engine.platform.sessions import digest

    now = datetime.now(UTC)
    prepared = Prepared()
    for role, unit in STAFF.items():
        prepared.staff_tokens[role] = issue_token(session, make_user(session, f"bench_{role}", role, unit), now)[0]
    call = PublicCall(title="2026年度专家征集", description="", opens_at=now - timedelta(days=10),
                      closes_at=now + timedelta(days=30), created_at=now - timedelta(days=10))
    users = []
    for i in range(applications + spare):  # applicants and their tokens in bulk (what issue_token stores)
        user = User(username=f"bench_applicant_{i}", password_hash="bench-not-a-hash", display_name=f"申请人{i}",
                    email=f"a{i}@example.test")
        user.role_links = [UserRole(role_code="applicant")]
        users.append(user)
    session.add_all([call, *users])
    session.flush()
    tokens = [secrets.token_urlsafe(32) for _ in users]
    session.add_all(ApiToken(user_id=u.id, token_hash=digest(t), created_at=now,
                             expires_at=now + timedelta(hours=TOKEN_HOURS)) for u, t in zip(users, tokens, strict=True))
    session.commit()
    prepared.call_id = call.id
    for i, (user, token) in enumerate(zip(users, tokens, strict=True)):
        if i < applications:
            app = submit_public(session, user, application_form(i), {}, now, call.id)
            prepared.instances.append((app.instance_id, token))
        else:
            prepared.spare_applicants.append(token)
    return prepared


# --------------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving webui.app:create_app() on loopback, from this checkout."""

    def __init__(self, url: str, workers: int, threads: int = 1):
        self.port = free_port()
        env = dict(os.environ, DATABASE_URL=url, EXPERTPOOL_SECRET_KEY="bench-secret", PYTHONPATH=str(ROOT))
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 — closed in stop(); not a pipe, which would block logging once full
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads), "-b",
             f"127.0.0.1:{self.port}", "--log-level", "warning", "--timeout", "120", "webui.app:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited: " + self.log_tail())
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/openapi.json")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def log_tail(self, size: int = 2000) -> str:
        """The end of what gunicorn and the app wrote to stderr."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return pids

    def cpu_seconds(self) -> float:
        """User + system CPU the master and its workers have used so far."""
        return sum(proc_cpu(pid) for pid in [self.proc.pid, *self.worker_pids()])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (Linux /proc; 0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds used so far by every PostgreSQL process on the machine (its other databases' too)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class Client:
    """One keep-alive HTTP/1.1 connection with a bearer token; returns (status, JSON body, seconds)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, object, float]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 599, None, time.perf_counter() - start
        elapsed = time.perf_counter() - start
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return response.status, data, elapsed

    def close(self) -> None:
        self.conn.close()


TRIVIAL = "/api/v1/applications/mine"  # authenticated, one small query (a staff user has no applications)
