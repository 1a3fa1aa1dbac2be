"""The issue-14 read-scale data set: 5,000 experts, 100,000 human tasks (10,000 open), 50,000 audit events.

Built in two stages on the database a session is bound to (SQLite or PostgreSQL; the schema must exist):

1. **Seed through the services.** Staff accounts (talent_center, quality_division, bureau_leader, a using_unit
   account per city, an auditor), applicants submitting 推荐表 in an open call (`admission.submit_public`) and
   moved on by `tasks.complete` (initial review passed, or returned to the applicant for correction), and using
   units' requests (`assignment.create_request`) whose draw asks the drawn experts to confirm (named-assignee
   tasks) or, when the pool is short, the unit to decide (a unit-scoped task). Every row of this stage is what
   the product writes: instances with their workflow state, inbox rows, domain rows, chained audit events.
2. **Bulk copies.** The rest is multiplied from that seed with INSERT … SELECT / executemany: experts (with group
   memberships), expert accounts, running instances cloned from the seed instances with their open inbox rows
   (same workflow state and task guids, so `doctor` still finds each instance's open rows equal to its READY
   tasks) but another id, subject, unit, start date, due date and — for named-assignee tasks — another assignee;
   finished instances with the completed inbox rows of their history; and audit events appended to the chain
   with hashes computed by `engine.core.audit.event_hash`, so the chain still verifies.

`build(session, scale)` returns what it made: row counts, and the usernames of seeded users by role.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select, text

from engine.admission import services as admission
from engine.assignment import services as assignment
from engine.assignment.models import WorkRequest
from engine.core import audit
from engine.core.models import AuditEvent, HumanTask, ProcessInstance
from engine.core.status import InstanceStatus, TaskState
from engine.experts.models import Expert, ExpertGroup, GroupMembership
from engine.platform import policy
from engine.platform.models import Unit, User, UserRole
from engine.platform.passwords import hash_password
from engine.tasks import services as tasks

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 2026-03-02 09:00 Asia/Shanghai
PASSWORD = "bench-pass-123"
GROUP = "supervision_sampling"
PASS = {"decision": "pass", "credit_checked": "on", "checklist_ok": "on", "comment": "材料齐全"}
RETURN = {"decision": "return", "credit_checked": "on", "checklist_ok": "", "comment": "请补正学历证明"}
CITIES = ["fuzhou", "xiamen", "zhangzhou", "quanzhou", "sanming", "putian", "nanping", "longyan", "ningde"]
GROUPS = ["supervision_sampling", "risk_monitoring", "product_certification", "standards", "metrology", "special"]
# How the open tasks are spread over the kinds of visibility (fractions of the open tasks).
OPEN_MIX = {"initial_review": 0.30, "division_review": 0.15, "shortfall_decision": 0.25,
            "confirm_availability": 0.25, "correct_application": 0.05}
ASSIGNED = {"confirm_availability", "correct_application"}  # named-assignee steps: clones go to other accounts


@dataclass
class Scale:
    """Sizes of the data set."""

    experts: int = 5000
    tasks: int = 100_000
    open_tasks: int = 10_000
    events: int = 50_000
    expert_users: int = 2000

    @classmethod
    def quick(cls) -> "Scale":
        """A tenth of the issue's data set (for `--quick`)."""
        return cls(experts=500, tasks=10_000, open_tasks=1000, events=5000, expert_users=200)


def _user(session, username: str, role: str | None, unit_code: str | None, pw_hash: str) -> User:
    unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code)) if unit_code else None
    user = User(username=username, password_hash=pw_hash, display_name=username, email=f"{username}@example.test",
                unit_id=unit_id)
    user.role_links = [UserRole(role_code=role)] if role else []
    session.add(user)
    session.flush()
    return user


def _staff(session, pw_hash: str) -> dict:
    users = {
        "talent_center": _user(session, "tc_staff", policy.TALENT_CENTER, "prov_talent", pw_hash),
        "quality_division": _user(session, "qd_staff", policy.QUALITY_DIVISION, "prov_quality", pw_hash),
        "bureau_leader": _user(session, "leader", policy.BUREAU_LEADER, "prov_office", pw_hash),
        "auditor": _user(session, "auditor", policy.AUDITOR, "prov_office", pw_hash),
        "process_owner": _user(session, "owner", policy.PROCESS_OWNER, "prov_quality", pw_hash),
    }
    users["units"] = [_user(session, f"unit_{c}", policy.USING_UNIT, c, pw_hash) for c in CITIES]
    users["applicants"] = [_user(session, f"applicant{i}", policy.APPLICANT, None, pw_hash) for i in range(6)]
    session.commit()
    return users


def _seed_experts(session, pw_hash: str, n: int = 6) -> None:
    group_id = session.scalar(select(ExpertGroup.id).where(ExpertGroup.code == GROUP))
    for i in range(n):
        user = _user(session, f"seed_expert{i}", policy.EXPERT, None, pw_hash)
        expert = Expert(**_expert_values(i, user.id))
        expert.memberships = [GroupMembership(group_id=group_id, position="member")]
        session.add(expert)
    session.commit()


def _expert_values(i: int, user_id: int | None) -> dict:
    return dict(name=f"专家{i:05d}", gender="male" if i % 3 else "female", birth_date=date(1965 + i % 25, 1 + i % 12,
                1 + i % 28), phone=f"138{i:08d}", id_number=f"350102{i:012d}", email=f"e{i}@example.test",
                unit_name=f"福建省第{i % 300}检验院", rank_level="none", title="高级工程师",
                title_level="vice_senior", field_years=10 + i % 20, work_history="质量检验",
                specialties=["家用电器", "电线电缆", "食品相关产品", "建筑材料", "儿童用品"][i % 5],
                work_areas=["sampling"], status="active", term_start=date(2025, 3, 10), term_end=date(2028, 3, 9),
                certificate_no=f"闽质安专聘〔2025〕{i:05d}号", user_id=user_id, created_at=NOW - timedelta(days=600))


def _application(i: int) -> dict:
    body = f"350102197506{18 + i % 10:02d}{i:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    number = body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return {
        "name": f"申请人{i}", "gender": "male", "political_status": "中共党员", "birth_date": f"1975-06-{18 + i % 10}",
        "education": "硕士研究生", "phone": f"1380591{i:04d}", "email": f"a{i}@example.test", "id_number": number,
        "unit_name": "福建省产品质量检验研究院", "position": "室主任", "rank_level": "none", "title": "高级工程师",
        "title_level": "vice_senior", "field_years": "12", "work_history": "2013年起从事电器产品质量检验工作。",
        "specialties": "家用电器", "groups": [GROUP], "work_areas": ["sampling"], "age_exemptions": [],
        "exemption_note": "", "pledge": "on", "response": "",
    }


def _open_task(session, instance_id: int) -> HumanTask:
    return session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                  HumanTask.state == TaskState.OPEN))


def _seed_admissions(session, users: dict) -> None:
    from engine.admission.models import PublicCall

    call = PublicCall(title="2026年度专家征集", description="", opens_at=NOW - timedelta(days=10),
                      closes_at=NOW + timedelta(days=30), created_at=NOW - timedelta(days=10))
    session.add(call)
    session.commit()
    tc = users["talent_center"]
    for i, applicant in enumerate(users["applicants"]):
        app = admission.submit_public(session, applicant, _application(i), {}, NOW, call.id)
        if i % 3 == 1:  # initial review passed: a division_review task
            tasks.complete(session, _open_task(session, app.instance_id).id, tc, PASS, {}, NOW)
        elif i % 3 == 2:  # returned: the applicant's own correct_application task
            tasks.complete(session, _open_task(session, app.instance_id).id, tc, RETURN, {}, NOW)


def _request_form(n_experts: int, group: str = GROUP) -> dict:
    start = (NOW + timedelta(days=14)).date()
    return {"title": "2026年电线电缆产品监督抽查", "work_type": "spot_check", "group_code": group,
            "n_experts": str(n_experts), "n_backups": "0", "backups_first": "", "specialties": "", "region": "",
            "region_reason": "", "start_date": start.isoformat(), "end_date": (start + timedelta(days=2)).isoformat(),
            "place": "福州市鼓楼区", "description": "", "parties": "福建某某电缆有限公司，91350100MA3123456D",
            "method": "random", "method_reason": "", "designated_experts": "", "external_experts": "",
            "response_hours": ""}


def _seed_requests(session, users: dict) -> None:
    rng = random.Random(14)
    unit = users["units"][0]
    assignment.create_request(session, unit, _request_form(1), NOW, rng.randbytes)  # the drawn expert confirms
    assignment.create_request(session, unit, _request_form(2, "risk_monitoring"), NOW, rng.randbytes)  # empty pool: unit decides


def seed(session) -> dict:
    """Stage 1: the seed, through the real services. Returns the seeded users."""
    pw_hash = hash_password(PASSWORD)
    users = _staff(session, pw_hash)
    _seed_experts(session, pw_hash)
    _seed_admissions(session, users)
    _seed_requests(session, users)
    users["pw_hash"] = pw_hash
    return users


# --- stage 2: bulk copies -------------------------------------------------------------------------------

def _bulk_experts(session, n: int, start: int) -> None:
    group_ids = list(session.scalars(select(ExpertGroup.id).order_by(ExpertGroup.id)))
    first = (session.scalar(select(func.max(Expert.id))) or 0) + 1
    session.execute(insert(Expert), [dict(_expert_values(i, None), id=first + k)
                                     for k, i in enumerate(range(start, start + n))])
    members = []
    for k in range(n):
        members.append({"expert_id": first + k, "group_id": group_ids[k % len(group_ids)], "position": "member"})
        if k % 4 == 0:
            members.append({"expert_id": first + k, "group_id": group_ids[(k + 1) % len(group_ids)],
                            "position": "member"})
    session.execute(insert(GroupMembership), members)


def _bulk_users(session, n: int, pw_hash: str) -> list[int]:
    first = (session.scalar(select(func.max(User.id))) or 0) + 1
    session.execute(insert(User), [{"id": first + k, "username": f"bulk_expert{k}", "password_hash": pw_hash,
                                    "display_name": f"专家账号{k}", "email": f"bulk{k}@example.test"}
                                   for k in range(n)])
    session.execute(insert(UserRole), [{"user_id": first + k, "role_code": policy.EXPERT} for k in range(n)])
    return list(range(first, first + n))


def _templates(session) -> dict[str, int]:
    """bpmn_id of an open seed task -> the seed instance that has it open (one open task)."""
    found = {}
    for instance_id, bpmn_id, count in session.execute(
            select(HumanTask.instance_id, func.min(HumanTask.bpmn_id), func.count())
            .where(HumanTask.state == TaskState.OPEN).group_by(HumanTask.instance_id)):
        if count == 1:
            found.setdefault(bpmn_id, instance_id)
    missing = set(OPEN_MIX) - set(found)
    if missing:
        raise RuntimeError(f"seed has no instance with one open task at {sorted(missing)}")
    return found


def _instance_columns(session) -> list[str]:
    return [c.name for c in ProcessInstance.__table__.columns if c.name != "id"]


def _clone_instances(session, plan: list[dict]) -> None:
    """INSERT … SELECT each planned instance from its template (the serialized state copied in SQL)."""
    cols = _instance_columns(session)
    varied = {c: f":{c}" for c in ("subject", "unit_id", "started_at", "updated_at", "status", "completed_at",
                                    "end_event")}
    varied["next_timer_at"] = "CASE WHEN :keep_timer = 1 THEN next_timer_at END"  # the template's timer
    select_cols = ", ".join(varied.get(c, c) for c in cols)
    sql = text(f"INSERT INTO process_instance (id, {', '.join(cols)}) "  # noqa: S608 — column names from the model
               f"SELECT :id, {select_cols} FROM process_instance WHERE id = :template")
    session.execute(sql, plan)


def _plan(scale: Scale, templates: dict[str, int], units: dict, expert_users: list[int], first_id: int):
    """The cloned instances (running ones with one open task each, finished ones) and their inbox rows."""
    rng = random.Random(1414)
    kinds = [k for k, share in OPEN_MIX.items() for _ in range(round(share * 100))]
    instances, open_rows = [], []
    for k in range(scale.open_tasks):
        kind = kinds[k % len(kinds)]
        started = NOW - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440))
        unit = rng.choice(list(units.values()))
        instances.append({"id": first_id + k, "template": templates[kind], "subject": f"事项{k:06d}·{kind}",
                          "unit_id": unit, "started_at": started, "updated_at": started, "status":
                          InstanceStatus.RUNNING, "completed_at": None, "end_event": None, "keep_timer": 1})
        open_rows.append({"instance": first_id + k, "template": templates[kind], "created": started,
                          "due": started + timedelta(days=rng.choice([3, 5, 10, 30])), "unit": unit,
                          "assignee": rng.choice(expert_users) if kind in ASSIGNED else None})
    n_done = max(1, (scale.tasks - scale.open_tasks) // 5)
    done_first = first_id + scale.open_tasks
    for k in range(n_done):
        template = templates[list(OPEN_MIX)[k % len(OPEN_MIX)]]
        started = NOW - timedelta(days=rng.randint(60, 700))
        instances.append({"id": done_first + k, "template": template, "subject": f"已办事项{k:06d}",
                          "unit_id": rng.choice(list(units.values())), "started_at": started,
                          "updated_at": started + timedelta(days=20), "status": InstanceStatus.COMPLETED,
                          "completed_at": started + timedelta(days=20), "end_event": "end", "keep_timer": 0})
    return instances, open_rows, (done_first, n_done)


def _copy_open_rows(session, open_rows: list[dict]) -> None:
    cols = [c.name for c in HumanTask.__table__.columns if c.name not in ("id", "instance_id")]
    varied = {"created_at": ":created", "due_at": ":due", "unit_id": ":unit",
              "assignee_id": "COALESCE(:assignee, assignee_id)",
              "subject": "(SELECT subject FROM process_instance WHERE id = :instance)"}
    select_cols = ", ".join(varied.get(c, c) for c in cols)
    session.execute(text(f"INSERT INTO human_task (instance_id, {', '.join(cols)}) "  # noqa: S608
                         f"SELECT :instance, {select_cols} FROM human_task "
                         f"WHERE instance_id = :template AND state = 'open'"), open_rows)


def _completed_rows(session, scale: Scale, done: tuple[int, int], staff_ids: list[int]) -> None:
    """The finished instances' history: five completed inbox rows each, at the steps the seed has."""
    steps = list(session.execute(select(HumanTask.bpmn_id, HumanTask.name, HumanTask.process_key,
                                        HumanTask.process_name, HumanTask.lane_role, HumanTask.form_key)
                                 .distinct()))
    rng = random.Random(1415)
    done_first, n_done = done
    rows, left = [], scale.tasks - scale.open_tasks
    for k in range(left):
        bpmn_id, name, key, pname, lane, form = steps[k % len(steps)]
        created = NOW - timedelta(days=rng.randint(30, 700))
        rows.append({"instance_id": done_first + (k % n_done), "task_guid": str(uuid.UUID(int=rng.getrandbits(128))),
                     "bpmn_id": bpmn_id, "name": name, "process_key": key, "process_name": pname,
                     "subject": f"已办事项{k % n_done:06d}", "lane_role": lane, "assignee_id": None,
                     "unit_id": None, "form_key": form, "item_id": None,
                     "state": TaskState.DONE if k % 10 else TaskState.CANCELLED, "claimed_by": None,
                     "claimed_at": None, "created_at": created, "due_at": created + timedelta(days=10),
                     "completed_at": created + timedelta(days=rng.randint(0, 9)),
                     "completed_by": rng.choice(staff_ids)})
    session.execute(insert(HumanTask), rows)


def _bulk_events(session, n: int, instance_range: tuple[int, int], actors: list[User]) -> None:
    """Append n events to the chain (hashes by engine.core.audit), as the product's task completions write."""
    tail = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).one()
    version_id = session.scalar(select(ProcessInstance.version_id).limit(1))
    first_instance, count = instance_range
    rng = random.Random(1416)
    prev, rows = tail.hash, []
    for k in range(n):
        actor = actors[k % len(actors)]
        event = AuditEvent(id=tail.id + 1 + k, at=NOW - timedelta(days=700) + timedelta(minutes=k),
                           actor_id=actor.id, actor_name=actor.display_name, action="task_completed",
                           instance_id=first_instance + rng.randrange(count), version_id=version_id,
                           task_guid=str(uuid.UUID(int=rng.getrandbits(128))), bpmn_id="initial_review",
                           task_name="人才开发中心初审", data_before=None, data_after={"decision": "pass"})
        event.prev_hash = prev
        event.hash = prev = audit.event_hash(prev, audit.hashed_fields(event))
        rows.append({c.name: getattr(event, c.name) for c in AuditEvent.__table__.columns})
    session.execute(insert(AuditEvent), rows)


def _fix_sequences(session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("expert", "group_membership", "app_user", "process_instance", "human_task",
                  "audit_event"):
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                             f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def build(session, scale: Scale) -> dict:
    """Seed through the services, then multiply with bulk copies; commits; returns counts and the seed users."""
    users = seed(session)
    templates = _templates(session)
    units = dict(session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(CITIES))).all())
    existing = session.scalar(select(func.count()).select_from(Expert))
    _bulk_experts(session, scale.experts - existing, existing)
    expert_users = _bulk_users(session, scale.expert_users, users["pw_hash"])
    first_id = (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
    instances, open_rows, done = _plan(scale, templates, units, expert_users, first_id)
    _clone_instances(session, instances)
    _copy_open_rows(session, open_rows)
    staff = [users[r] for r in ("talent_center", "quality_division", "bureau_leader")]
    seed_tasks = session.scalar(select(func.count()).select_from(HumanTask))
    _completed_rows(session, Scale(tasks=scale.tasks - seed_tasks + scale.open_tasks,
                                   open_tasks=scale.open_tasks), done, [u.id for u in staff])
    seed_events = session.scalar(select(func.count()).select_from(AuditEvent))
    _bulk_events(session, scale.events - seed_events, (first_id, len(instances)), staff)
    _fix_sequences(session)
    session.commit()
    counts = {name: session.scalar(select(func.count()).select_from(model)) for name, model in
              (("experts", Expert), ("tasks", HumanTask), ("events", AuditEvent), ("instances", ProcessInstance))}
    counts["open_tasks"] = session.scalar(select(func.count()).select_from(HumanTask)
                                          .where(HumanTask.state == TaskState.OPEN))
    counts["requests"] = session.scalar(select(func.count()).select_from(WorkRequest))
    names = {"talent_center": users["talent_center"].username, "using_unit": users["units"][0].username,
             "auditor": users["auditor"].username, "applicant": applicant_with_one_task(session, users)}
    return {"counts": counts, "users": names}


def applicant_with_one_task(session, users: dict) -> str:
    """The username of a seeded applicant whose inbox holds exactly one task (returned for correction)."""
    for applicant in users["applicants"]:
        n = session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.assignee_id == applicant.id, HumanTask.state == TaskState.OPEN))
        if n == 1:
            return applicant.username
    raise RuntimeError("no seeded applicant has exactly one open task")
