"""Model-based walks over every shipped process (Hypothesis stateful testing, see walk_support.py).

Each walk starts instances through the process's real service, then completes open tasks as allowed
users with drawn decisions, fires timers at later times, restarts (spec cache cleared) and submits closed
tasks again; `engine.core.integrity.check` must stay empty after every step. CI runs a fixed, derandomized
budget; `pytest -m long` runs the longer walk (deselected otherwise).
"""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test
from sqlalchemy import select, text

from engine.admission import services as admission
from engine.assignment import services as assignment_services
from engine.assignment.models import WorkRequest
from engine.core.clock import local_date
from engine.core.errors import Conflict, ValidationFailed
from engine.core.integrity import check
from engine.core.models import HumanTask
from engine.evaluation import campaign
from engine.evaluation import services as evaluations
from engine.exit import services as exits
from engine.experts.models import Engagement, Expert, ExpertGroup
from engine.groups import services as groups
from engine.groups.models import GroupChange
from engine.platform.attachments import Upload
from engine.platform.models import User
from engine.renewal import services as renewals
from engine.tasks import services as task_service
from tests import assignment_support as pool
from tests.conftest import _wipe
from tests.core.walk_support import EXTERNAL, STATS, TEXT, ProcessWalk, free_experts, snapshot
from tests.deploy.deploy_support import make_expert as group_expert
from tests.experts.roster_support import DEC1, expert_user, make_engagement
from tests.experts.roster_support import make_expert as yearly_expert
from tests.support import T0, application_form, id_number, make_call, make_user
from webui.extensions import db

LONG = pytest.mark.long  # deselected by default (pyproject addopts `-m "not long"`); `pytest -m long` runs it

PROFILES = {
    "ci": settings(max_examples=6, stateful_step_count=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate]),
    "long": settings(max_examples=40, stateful_step_count=40, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(HealthCheck)),
}
PDF = Upload("证据.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
APPLICANTS = st.sampled_from([
    {}, {}, {"groups": ["general"], "work_areas": ["legal"]},  # eligible by title
    {"rank_level": "vice_division", "title_level": "none", "field_years": "4"},  # eligible by rank
    {"title_level": "intermediate", "field_years": "2"},  # ineligible: referred to 初审 with the reasons
    {"birth_date": "1962-05-01", "age_exemptions": ["urgent_need"], "exemption_note": TEXT},  # exemption claimed
])


# ----------------------------------------------------------------------------------------- admission
def _applicant(n: int, name: str, drawn: dict) -> dict:
    """A 推荐表 whose ID number carries its birth date (both are checked against each other)."""
    birth = drawn.get("birth_date", application_form()["birth_date"])
    return application_form(id_number=id_number(n, birth=birth.replace("-", "")), name=name, **drawn)


class AdmissionPublicWalk(ProcessWalk):
    process, start_at = "admission_public", T0

    def setup(self, data):
        self.call_id = make_call(self.session, closes=T0 + timedelta(days=400)).id

    def start(self, data):
        form = _applicant(self.starts, f"申请人{self.starts}", data.draw(APPLICANTS, label="applicant"))
        if data.draw(st.booleans(), label="paper"):
            admission.submit_public(self.session, self.user("talent_center"), form, {}, self.now, self.call_id,
                                    paper=True)
        else:
            applicant = make_user(self.session, f"walk_applicant{self.starts}", "applicant")
            admission.submit_public(self.session, applicant, form, {}, self.now, self.call_id)


class AdmissionInvitedWalk(ProcessWalk):
    process, start_at = "admission_invited", T0

    def start(self, data):
        role = data.draw(st.sampled_from(["talent_center", "quality_division"]), label="nominator")
        form = _applicant(self.starts, f"被邀请人{self.starts}", data.draw(APPLICANTS, label="nominee"))
        admission.nominate(self.session, self.user(role), form, {}, self.now, "急需风险监控专家")


# ----------------------------------------------------------------------------------------- assignment
class AssignmentWalk(ProcessWalk):
    process, start_at = "assignment", T0

    def setup(self, data):
        pool.make_pool(self.session, data.draw(st.integers(2, 5), label="pool"))
        if data.draw(st.booleans(), label="expert without account"):
            pool.make_expert(self.session, "无账号专家", with_user=False)
        for scope in data.draw(st.lists(st.sampled_from(["cancellation", "designation"]), unique=True), label="delegated"):
            assignment_services.grant_delegation(self.session, self.user("bureau_leader"), scope, T0.date(),
                                                 T0.date() + timedelta(days=365), "授权质量监督处", T0)

    def start(self, data):
        method = data.draw(st.sampled_from(["random", "random", "designated", "external", "emergency"]), label="method")
        first = local_date(self.now) + timedelta(days=data.draw(st.integers(0, 10), label="starts in"))
        values = {"n_experts": str(data.draw(st.integers(1, 2), label="n")), "method": method,
                  "n_backups": str(data.draw(st.integers(0, 1), label="backups")),
                  "backups_first": data.draw(st.sampled_from(["", "on"]), label="backups first"),
                  "response_hours": str(data.draw(st.sampled_from([4, 24, 48]), label="hours")),
                  "start_date": first.isoformat(), "end_date": (first + timedelta(days=2)).isoformat(),
                  "title": f"监督抽查方案评审{self.starts}"}
        free = free_experts(self.session)
        method = "external" if method in ("designated", "emergency") and not free else method
        if method != "random":
            chosen = "" if method == "external" else f"#{data.draw(st.sampled_from(free), label='designated')}"
            values |= {"method_reason": TEXT, "designated_experts": chosen, "method": method,
                       "external_experts": EXTERNAL if method == "external" else ""}
        pool.create(self.session, self.user("using_unit"), now=self.now,
                    rng=pool.fixed_rng(data.draw(st.integers(0, 255), label="seed")), **values)

    def reportable(self) -> list[int]:
        return list(self.session.scalars(select(Engagement.id).join(WorkRequest).where(
            Engagement.status.in_(("drawn", "confirmed")), WorkRequest.status.not_in(assignment_services.FINISHED))
            .order_by(Engagement.id)))

    @precondition(lambda self: self.reportable())
    @rule(data=st.data())
    def report_conflict(self, data):
        """The using unit or talent_center reports a conflict found after the draw (Art 13 ¶3)."""
        rows = self.reportable()
        self.step("report_conflict")
        actor = self.user(data.draw(st.sampled_from(["using_unit", "talent_center"]), label="reporter"))
        before = snapshot(self.session)
        try:
            assignment_services.report_conflict(self.session, data.draw(st.sampled_from(rows)), actor, TEXT, self.now)
        except (Conflict, ValidationFailed) as exc:  # e.g. the request is finished
            STATS[self.process][f"report refused: {exc.summary()}"] += 1
            self.refused(before, exc)


# ----------------------------------------------------------------------------------------- yearly
class EvaluationWalk(ProcessWalk):
    """The 1 December campaign: group leaders rate, talent_center finalizes; 差 proposes an exit review."""

    process, start_at = "annual_evaluation", DEC1

    def setup(self, data):
        leader_user = expert_user(self.session, "walk_leader", "group_leader")
        yearly_expert(self.session, "吴国华", user=leader_user, position="leader")
        unit_user = self.user("using_unit")
        for i in range(data.draw(st.integers(1, 3), label="members")):
            account = expert_user(self.session, f"walk_member{i}") if data.draw(st.booleans()) else None
            member = yearly_expert(self.session, f"成员{i}", user=account,
                                   position=data.draw(st.sampled_from(["member", "deputy"]), label="post"))
            if data.draw(st.booleans(), label="worked"):
                make_engagement(self.session, member, unit_user, date(2026, 4, 8), usage={"comment": "评审意见专业"})

    def start(self, data):
        """The hourly December job (idempotent: later runs start nothing twice) and the daily reminders."""
        campaign.year_end_job(self.session, self.now)
        evaluations.reminders_job(self.session, self.now)


class ExitWalk(ProcessWalk):
    """Exit cases from the expert, talent_center and the system's scan, some with engagements to release."""

    process, start_at = "exit", T0

    def setup(self, data):
        experts = pool.make_pool(self.session, data.draw(st.integers(2, 4), label="pool"))
        if data.draw(st.booleans(), label="staffed request"):
            request = pool.create(self.session, self.user("using_unit"), n_experts="1", n_backups="0")
            for row in pool.engagements(self.session, request.id):
                pool.answer(self.session, row, pool.CONFIRM)
        yearly_expert(self.session, "老专家", birth=date(1964, 1, 2))  # over the age limit: the scan proposes
        self.expert_ids = [e.id for e in experts]

    def start(self, data):
        how = data.draw(st.sampled_from(["voluntary", "talent_center", "scan"]), label="source")
        if how == "scan":
            exits.proposal_scan_job(self.session, self.now)
            return
        free = [i for i in self.expert_ids if exits.open_case_of(self.session, i) is None
                and self.session.get(Expert, i).status == "active"]
        if not free:
            return
        expert = self.session.get(Expert, data.draw(st.sampled_from(free), label="expert"))
        if how == "voluntary":
            exits.request_withdrawal(self.session, self.session.get(User, expert.user_id),
                                     {"reason": TEXT, "confirm": "on"}, self.now)
        else:
            ground = data.draw(st.sampled_from([f"art15_{i}" for i in range(1, 7)]), label="ground")
            exits.start_exit(self.session, self.user("talent_center"),
                             {"expert_id": str(expert.id), "ground": ground, "facts": TEXT}, {"evidence": [PDF]},
                             self.now)


class RenewalWalk(ProcessWalk):
    """Terms ending within 60 days: the daily scan starts renewals; unrenewed terms lapse at the end."""

    process, start_at = "term_renewal", T0

    def setup(self, data):
        for i in range(data.draw(st.integers(1, 3), label="experts")):
            account = expert_user(self.session, f"walk_expert{i}") if data.draw(st.booleans()) else None
            end = date(2026, 5, 1) + timedelta(days=data.draw(st.integers(-20, 10), label="term end"))
            yearly_expert(self.session, f"专家{i}", user=account, term_start=end.replace(year=end.year - 3)
                          + timedelta(days=1), term_end=end, birth=data.draw(st.sampled_from(
                              [date(1975, 6, 18), date(1966, 3, 1)]), label="birth"))

    def start(self, data):
        """The daily renewal scan at the walk's current time (once a day; later days start the rest)."""
        renewals.renewal_scan_job(self.session, self.now)
        exits.proposal_scan_job(self.session, self.now)


# ----------------------------------------------------------------------------------------- group_change
class GroupChangeWalk(ProcessWalk):
    """quality_division proposes every kind of Art 9 change; bureau_leader approves or rejects."""

    process, start_at = "group_change", T0
    original = None  # (id, name, active, aliases) of the reference groups, read once

    def prepare(self):
        if GroupChangeWalk.original is None:
            GroupChangeWalk.original = self.session.execute(
                select(ExpertGroup.id, ExpertGroup.name, ExpertGroup.active, ExpertGroup.aliases)).all()
        restore_groups(self.session, GroupChangeWalk.original)

    def teardown(self):
        super().teardown()
        _wipe(self.session)  # the changes reference the groups
        restore_groups(self.session, GroupChangeWalk.original)

    def setup(self, data):
        self.members = {}  # group id -> expert ids
        codes = dict(self.session.execute(select(ExpertGroup.code, ExpertGroup.id)).all())
        for i, code in enumerate(("supervision_sampling", "risk_monitoring")):
            experts = [group_expert(self.session, n, [code], user=make_user(self.session, f"exp{n}", "expert"))
                       for n in range(10 * i + 1, 10 * i + 1 + data.draw(st.integers(3, 5), label="members"))]
            self.members[codes[code]] = [e.id for e in experts]

    def start(self, data):
        """quality_division proposes a change of a group with no pending change (one at a time, Art 9)."""
        pending = set(self.session.scalars(select(GroupChange.group_id).where(GroupChange.status == "proposed")))
        free = [g for g in self.session.scalars(select(ExpertGroup.id).where(ExpertGroup.active)
                                                 .order_by(ExpertGroup.id)) if g not in pending]
        staffed = [g for g in free if g in self.members]
        kinds = ["add"] + (["rename", "retire"] if free else []) + (["appoint", "appoint", "sub_teams"] if staffed else [])
        kind = data.draw(st.sampled_from(kinds), label="kind")
        raw = {"reason": "根据工作需要调整（第九条）", "name": f"调整后专家组{self.starts}"}
        if kind in ("appoint", "sub_teams"):
            raw["group_id"] = data.draw(st.sampled_from(staffed), label="group")
            picked = data.draw(st.permutations(self.members[raw["group_id"]]), label="members")
            raw["leader"], raw["deputies"] = picked[0], picked[1:1 + data.draw(st.integers(2, 3), label="deputies")]
            raw["teams"] = [{"name": f"专项小组{i}", "lead": lead, "lead_method": "elected"} for i, lead in
                            enumerate(picked[:data.draw(st.integers(0, 2), label="teams")])]
        elif kind in ("rename", "retire"):
            raw["group_id"] = data.draw(st.sampled_from(free), label="group")
        else:
            raw |= {"code": f"walk_group{self.starts}", "name": f"新增专家组{self.starts}"}
        groups.propose(self.session, self.user("quality_division"), kind, raw, self.now)


def restore_groups(session, original) -> None:
    """Groups are reference data kept across walks: drop added ones, undo renames and retirements."""
    session.rollback()
    keep = [row.id for row in original]
    session.execute(ExpertGroup.__table__.delete().where(ExpertGroup.id.not_in(keep)))
    session.execute(text("UPDATE expert_group SET name = name || '#'"))  # free the unique names first
    for row in original:
        session.execute(ExpertGroup.__table__.update().where(ExpertGroup.id == row.id)
                        .values(name=row.name, active=row.active, aliases=row.aliases))
    session.commit()


MACHINES = [AdmissionPublicWalk, AdmissionInvitedWalk, AssignmentWalk, EvaluationWalk, ExitWalk, RenewalWalk,
            GroupChangeWalk]

def run_walk(machine, profile: str) -> None:
    """Run one process's walk on the test's database and print what it covered."""
    machine.session = db.session
    STATS[machine.process].clear()
    try:
        run_state_machine_as_test(machine, settings=PROFILES[profile])
    finally:
        counts = STATS[machine.process]
        print(f"\n{machine.process}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        _wipe(db.session)  # a failed walk's last state is reported above, not again by the fixture
    assert counts["walks"] >= 1 and counts["checks"] > counts["walks"]
    assert any(k.startswith("done ") for k in counts), "the walk never completed a task"


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.process)
def test_walk(app, session, machine):
    run_walk(machine, "ci")


@LONG
@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.process)
def test_long_walk(app, session, machine):
    run_walk(machine, "long")


def test_declined_renewal_waiting_for_the_term_end_keeps_the_invariants(session, users):
    """Found by the renewal walk (minimal reproduction): an expert without an account, term ending in 60 days;
    the daily scan starts term_renewal; talent_center answers renew=no on the paper task. The case is
    not_renewing while the instance waits for the term end: not a final status (engine/integrity.py)."""
    yearly_expert(session, "林建华", term_start=date(2023, 5, 2), term_end=date(2026, 5, 1))
    renewals.renewal_scan_job(session, T0)
    (task,) = session.scalars(select(HumanTask).where(HumanTask.state == "open")).all()
    task_service.complete(session, task.id, users["talent_center"], {"renew": "no"}, {}, T0)
    assert check(session) == []
