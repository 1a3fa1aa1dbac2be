"""Model-based walks (Hypothesis stateful testing) over the shipped processes: the machine every process
walk extends, valid form values per field type, and a snapshot to prove a refused step changed nothing.

A walk starts instances through the real services, then interleaves: a user allowed to act completes an
open task with valid values (choice fields drawn by Hypothesis), timers fire at a later time, the spec
cache is cleared (a restart), a closed task is submitted again (409, nothing changes). After every step
`engine.core.integrity.check` must be empty and no incident may be open.
"""

from collections import Counter, defaultdict
from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from engine.admission.services import application_for_instance
from engine.assignment import flow
from engine.assignment.form_hooks import _pool_left, task_engagement
from engine.assignment.models import WorkRequest
from engine.core.clock import local_date
from engine.core.errors import Conflict, Forbidden, ValidationFailed
from engine.core.forms import _required, load_form, resolve_choices
from engine.core.inbox import can_act
from engine.core.integrity import DOMAIN_ROWS, check
from engine.core.models import AuditEvent, HumanTask, Incident, ProcessInstance
from engine.core.scripting import HostContext
from engine.core.spiff import spec_cache
from engine.core.timers import fire_due
from engine.exit import services as exits
from engine.experts.models import Engagement, Expert, ExpertGroup
from engine.platform.models import User
from engine.tasks import services as task_service
from rules.exit import GROUNDS
from tests.conftest import ROLE_USERS, _wipe
from tests.support import make_user

STATS: dict[str, Counter] = defaultdict(Counter)  # process -> walks, steps, checks, completions, ...
TEXT = "全年参加抽查方案评审3次，提出的修改意见均被采纳，评审报告按时提交，质量较高"  # specific enough for 附件3
PATTERN_VALUES = {"phone": "13905910000", "email": "walk@example.test", "doc_no": "闽市监函〔2026〕88号",
                  "credit_code": "91350100MA3123456D", "id_number": "350102197506181233"}
EXTERNAL = "王某，某大学材料学院，13900000000，高分子材料"


def snapshot(session) -> tuple:
    """Everything a refused step must leave alone: inbox, instances, audit tail, business rows."""
    session.rollback()
    tasks = tuple(session.execute(select(HumanTask.id, HumanTask.state, HumanTask.assignee_id)
                                  .order_by(HumanTask.id)).all())
    instances = tuple(session.execute(select(ProcessInstance.id, ProcessInstance.status, ProcessInstance.lock_version,
                                             ProcessInstance.next_timer_at).order_by(ProcessInstance.id)).all())
    rows = [tuple(session.execute(select(m.id, m.status).order_by(m.id)).all())
            for m in (*(d.model for d in DOMAIN_ROWS), Engagement, Expert)]
    audit_tail = session.scalar(select(func.max(AuditEvent.id)))
    session.rollback()
    return tasks, instances, tuple(rows), audit_tail


# ----------------------------------------------------------------------------------------- form values
def _text(field: dict, base: dict) -> str:
    name = field["name"]
    value = base.get(name, PATTERN_VALUES.get(name))
    if value is None:
        assert not field.get("pattern"), f"no valid value known for the patterned field {name}"
        value = TEXT
    return str(value)[: int(field.get("max_length", 5000))]


def _fill(draw, field: dict, today, base: dict):
    kind = field["type"]
    if kind in ("text", "textarea"):
        return _text(field, base)
    if kind == "date":
        return base.get(field["name"], today.isoformat())
    if kind == "integer":
        return str(base.get(field["name"]) or draw(st.integers(field.get("min", 0), field.get("max", 99))))
    if kind == "boolean":
        return "on"
    return None  # files: none uploaded; choices are drawn first


def form_values(draw, form: dict, groups: list, today, allowed: dict, base: dict) -> dict:
    """Valid raw input: choices drawn (within `allowed` when a hook narrows them), the rest filled in
    whenever the field is required (also conditionally) and otherwise at Hypothesis' choice."""
    raw, dynamic = {}, {"groups": groups}
    for field in form["fields"]:
        name, kind = field["name"], field["type"]
        options = allowed.get(name) or [c[0] for c in resolve_choices(field, dynamic)]
        if kind == "choice":
            raw[name] = draw(st.sampled_from(options + ([] if field.get("required") or name in allowed else [""])))
        elif kind == "multichoice":
            raw[name] = draw(st.lists(st.sampled_from(options), min_size=1 if field.get("required") else 0,
                                      max_size=min(field.get("max_items", 3), len(options)), unique=True))
    for field in form["fields"]:
        name, kind = field["name"], field["type"]
        if kind == "choice" and raw[name] == "" and _required(field, raw):
            raw[name] = draw(st.sampled_from([c[0] for c in resolve_choices(field, dynamic)]))
        elif kind not in ("choice", "multichoice") and (_required(field, raw) or draw(st.booleans())):
            value = _fill(draw, field, today, base)
            if value is not None:
                raw[name] = value
    return raw


def _application(session, task, ctx) -> tuple[dict, dict]:
    form = application_for_instance(session, task.instance_id).form
    return {}, {k: str(v) for k, v in form.items() if isinstance(v, str | int) and not isinstance(v, bool)}


def _division_review(session, task, ctx) -> tuple[dict, dict]:
    return {"propose_group": list(application_for_instance(session, task.instance_id).groups)}, {}  # applied ones


def _commitment(session, task, ctx) -> tuple[dict, dict]:
    return {}, {"signature": application_for_instance(session, task.instance_id).name}  # signed in own name


def free_experts(session) -> list[int]:
    """Active experts with no engagement that could overlap (a designation must not name a busy expert)."""
    busy = select(Engagement.expert_id).where(Engagement.status.in_((*flow.OPEN, "completed")),
                                              Engagement.expert_id.is_not(None))
    return list(session.scalars(select(Expert.id).where(Expert.status == "active", Expert.id.not_in(busy))
                                .order_by(Expert.id)))


def _cancellation(session, task, ctx) -> tuple[dict, dict]:
    row = task_engagement(ctx, task)
    if row.status == "declined":
        return {"decision": ["approve"], "justified": ["yes", "no"]}, {}
    return ({"decision": ["approve"]} if row.confirmed_at is None else {}), {}


def _shortfall(session, task, ctx) -> tuple[dict, dict]:
    request = session.scalar(select(WorkRequest).where(WorkRequest.instance_id == task.instance_id))
    missing = flow.shortfall(session, request)
    decisions = ["designate", "withdraw"] + (["random"] if _pool_left(ctx, request) else [])
    decisions += ["proceed"] if request.n_experts - missing >= 1 else []
    engaged = {e.expert_id for e in flow.engagements(session, request.id)}
    free = [i for i in free_experts(session) if i not in engaged]
    methods = ["external"] + (["designated", "emergency"] if free else [])
    return {"decision": decisions, "method": methods}, {"designated_experts": f"#{free[0]}" if free else "",
                                                       "external_experts": EXTERNAL, "_free": free}


def _exit_review(session, task, ctx) -> tuple[dict, dict]:
    case = exits.case_of_task(session, task)
    allowed = {"decision": ["proceed"]} if case.trigger == "voluntary" else {}
    if case.ground not in GROUNDS:
        allowed["ground"] = list(GROUNDS)
    return allowed, {}


# Hooks with rules of their own narrow the drawn values (so the walk submits what a careful user would).
NARROWING = {"application": _application, "division_review": _division_review, "sign_commitment": _commitment,
             "cancellation_approval": _cancellation,
             "shortfall_decision": _shortfall, "exit_center_review": _exit_review}


def task_values(draw, session, task: HumanTask, now) -> dict:
    """Valid raw input for one open task, drawn by Hypothesis."""
    form = load_form(task.form_key)
    ctx = HostContext(session=session, actor=None, now=now)
    allowed, base = NARROWING.get(task.form_key, lambda *a: ({}, {}))(session, task, ctx)
    groups = [list(g) for g in session.execute(select(ExpertGroup.code, ExpertGroup.name).where(ExpertGroup.active))]
    raw = form_values(draw, form, groups, local_date(now), allowed, base)
    if raw.get("decision") == "designate":  # shortfall_decision: the named experts must fit the method
        external = raw["method"] == "external"
        raw["designated_experts"] = "" if external else f"#{draw(st.sampled_from(base['_free']), label='expert')}"
        raw["external_experts"] = EXTERNAL if external else ""
    session.rollback()
    return raw


# ----------------------------------------------------------------------------------------- the machine
class ProcessWalk(RuleBasedStateMachine):
    """Rules shared by every process walk; subclasses start their instances in `start(data)`."""

    process = ""
    session = None  # the test's db.session, set by run_walk
    start_at = None  # the walk's first instant
    max_starts = 5

    @initialize(data=st.data())
    def begin(self, data):
        _wipe(self.session)
        self.prepare()
        spec_cache.clear()
        self.now, self.starts, self.submitted, self.last = self.start_at, 1, {}, "begin"
        self.user_ids = {role: make_user(self.session, name, role, unit_code=unit).id
                         for role, (name, unit) in ROLE_USERS.items()}
        self.setup(data)
        self.try_start(data)
        STATS[self.process]["walks"] += 1

    def prepare(self) -> None:
        """Reset reference data a walk may change (after the wipe); nothing by default."""

    def setup(self, data) -> None:
        """Rows the walk needs before its first instance (experts, pools, calls); nothing by default."""

    def start(self, data) -> None:
        """Start (or let a scheduled job start) instances through the process's real service."""
        raise NotImplementedError

    def try_start(self, data) -> None:
        before = snapshot(self.session)
        try:
            self.start(data)
        except (ValidationFailed, Conflict) as exc:
            STATS[self.process][f"start refused: {exc.summary()}"] += 1
            self.refused(before, exc)

    def user(self, role: str) -> User:
        """The walk's user of a role (loaded afresh: sessions are dropped on restart)."""
        return self.session.get(User, self.user_ids[role])

    def step(self, name: str) -> None:
        STATS[self.process]["steps"] += 1
        STATS[self.process][name] += 1
        self.last = name

    def open_tasks(self) -> list[HumanTask]:
        self.session.rollback()
        return list(self.session.scalars(select(HumanTask).where(HumanTask.state == "open").order_by(HumanTask.id)))

    def allowed_users(self, task: HumanTask) -> list[User]:
        return [u for u in self.session.scalars(select(User).order_by(User.id)) if can_act(u, task)]

    def refused(self, before, exc) -> None:
        """A refused service call must leave every row as it was."""
        assert snapshot(self.session) == before, f"a refused step changed data: {exc!r}"

    @precondition(lambda self: self.starts < self.max_starts)
    @rule(data=st.data())
    def start_another(self, data):
        self.step("start_another")
        self.starts += 1
        self.try_start(data)

    def has_open_task(self) -> bool:
        return bool(self.session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.state == "open")))

    @precondition(lambda self: self.has_open_task())
    @rule(data=st.data())
    def complete_task(self, data):
        self.step("complete")
        tasks = self.open_tasks()
        picked = data.draw(st.sampled_from([(t.bpmn_id, t.id) for t in tasks]), label="task")
        task = self.session.get(HumanTask, picked[1])
        actors = {u.username: u for u in self.allowed_users(task)}
        assert actors, f"nobody may act on open task {task.bpmn_id} #{task.id} (lane {task.lane_role})"
        actor = actors[data.draw(st.sampled_from(sorted(actors)), label="actor")]
        raw = task_values(data.draw, self.session, task, self.now)
        before = snapshot(self.session)
        try:
            task_service.complete(self.session, task.id, actor, raw, {}, self.now)
        except (ValidationFailed, Conflict) as exc:
            STATS[self.process][f"refused {task.form_key}: {exc.summary()}"] += 1
            self.refused(before, exc)
            return
        STATS[self.process][f"done {task.bpmn_id}"] += 1
        self.submitted[task.id] = (actor.id, raw)

    @precondition(lambda self: self.has_open_task())
    @rule(data=st.data())
    def complete_another_task(self, data):
        """Completing tasks is what moves a walk: it gets twice the other rules' share."""
        self.complete_task(data)

    def closed_tasks(self) -> list[int]:
        """Tasks completed in this walk and tasks the process cancelled (e.g. by a timer)."""
        cancelled = self.session.scalars(select(HumanTask.id).where(HumanTask.state == "cancelled")).all()
        return sorted(self.submitted) + sorted(cancelled)

    @precondition(lambda self: self.last != "submit_again" and self.closed_tasks())
    @rule(data=st.data())
    def submit_again(self, data):
        """A closed task submitted (again) by a user allowed to act on it: 409, nothing changes."""
        self.step("submit_again")
        task_id = data.draw(st.sampled_from(self.closed_tasks()), label="closed task")
        task = self.session.get(HumanTask, task_id)
        actor_id, raw = self.submitted.get(task_id) or (None, {})
        actor = self.session.get(User, actor_id) if actor_id else next(iter(self.allowed_users(task)), None)
        if actor is None:
            return
        before = snapshot(self.session)
        try:
            task_service.complete(self.session, task_id, actor, raw, {}, self.now)
        except Conflict as exc:
            self.refused(before, exc)
        except Forbidden as exc:  # only when the actor lost the right meanwhile (e.g. no longer group leader)
            assert not can_act(actor, self.session.get(HumanTask, task_id)), exc
            self.refused(before, exc)
        else:
            raise AssertionError(f"closed task #{task_id} ({task.bpmn_id}) was completed again")
        STATS[self.process]["closed task refused"] += 1

    @rule(data=st.data())
    def fire_timers(self, data):
        self.step("fire_timers")
        self.session.rollback()
        pending = self.session.scalar(select(func.min(ProcessInstance.next_timer_at))
                                      .where(ProcessInstance.status == "running"))
        jump = data.draw(st.sampled_from(["hours", "days", "next_timer"]), label="jump")
        if jump == "next_timer" and pending is not None:
            target = pending + timedelta(seconds=1)
        else:
            target = self.now + timedelta(hours=data.draw(st.integers(1, 72 if jump == "hours" else 24 * 20)))
        self.now = max(self.now, target)
        STATS[self.process]["timers fired"] += fire_due(self.session, self.now)

    @precondition(lambda self: self.last != "restart")
    @rule()
    def restart(self):
        """A server restart: compiled specs are forgotten, the session starts afresh."""
        self.step("restart")
        spec_cache.clear()
        self.session.remove()

    def teardown(self):
        """Count how the walk's instances ended (the report shows which paths were walked)."""
        self.session.rollback()
        for key, end in self.session.execute(select(ProcessInstance.process_key, ProcessInstance.end_event)
                                             .where(ProcessInstance.status == "completed")):
            STATS[self.process][f"end {key}: {end}"] += 1
        self.session.rollback()

    @invariant()
    def integrity_holds(self):
        self.session.rollback()
        problems = check(self.session)
        incidents = self.session.scalars(select(Incident.message).where(Incident.resolved_at.is_(None))).all()
        self.session.rollback()
        STATS[self.process]["checks"] += 1
        assert not problems, "integrity broken:\n" + "\n".join(map(str, problems))
        assert not incidents, f"incidents opened by the walk: {incidents}"
