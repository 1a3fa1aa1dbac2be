"""Every shipped process's main path with each step (start, task completion, timer) run by a separate OS
process (tests/core/stepper.py): nothing carries over in memory from one step to the next, as after a
restart or on another worker. Each step compiles its process afresh, so a spec wired differently from
SpiffWorkflow's own restore (issue 8: multi-instance children never merged) stops the process here."""

import json
import os
import select as io_select
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.admission.models import Application
from engine.admission.uploads import upload
from engine.assignment.models import WorkRequest
from engine.core.integrity import check
from engine.core.models import Incident, ProcessInstance
from engine.evaluation.models import Evaluation
from engine.exit.models import ExitCase
from engine.experts.models import Expert, UsageRecord
from engine.groups.models import GroupChange
from engine.platform.attachments import Upload
from engine.renewal.models import RenewalCase
from tests import assignment_support as assignment
from tests.admission.test_admission_paths import DOC, PASS, SIGN
from tests.deploy.deploy_support import (
    experts_with_users,
    group,
    groups_restored,  # noqa: F401  (fixture)
)
from tests.draw_support import AFTER_WORK
from tests.experts.roster_support import DEC1, expert_user, make_expert
from tests.support import T0, application_form, make_call

ROOT = Path(__file__).resolve().parents[2]
DIVISION_PASS = {"decision": "pass", "propose_role": "none"}
APPROVE = {"decision": "approve"}
STEP_SECONDS = 180  # a step still running after this is stuck


class Stepper:
    """Runs each step in a process of its own: a child forked by `stepper --serve` (which has only imported
    the code), or with EXPERTPOOL_STEPPER=spawn a whole new interpreter per step (slower, same outcome)."""

    def __init__(self):
        self.spawn = os.environ.get("EXPERTPOOL_STEPPER") == "spawn"
        self.server = None if self.spawn else subprocess.Popen(
            [sys.executable, "-m", "tests.core.stepper", "--serve"], cwd=ROOT, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def run(self, request: dict) -> dict:
        """One step; {"status", "out", "err"} of the process that ran it."""
        line = json.dumps(request, default=str)
        if self.spawn:
            command = [sys.executable, "-m", "tests.core.stepper", request["url"], request["step"],
                       json.dumps(request["arguments"])]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=STEP_SECONDS)
            return {"status": done.returncode, "out": done.stdout, "err": done.stderr}
        self.server.stdin.write(line + "\n")
        self.server.stdin.flush()
        assert io_select.select([self.server.stdout], [], [], STEP_SECONDS)[0], f"step still running: {line}"
        return json.loads(self.server.stdout.readline())

    def close(self) -> None:
        """Stop the fork server (end of input)."""
        if self.server is not None:
            self.server.stdin.close()
            self.server.wait(STEP_SECONDS)


@pytest.fixture(scope="module")
def stepper():
    """The step runner shared by this module's tests."""
    runner = Stepper()
    yield runner
    runner.close()


@pytest.fixture()
def step(app, session, stepper):
    """step(name, now, **arguments): run one stepper step in a process of its own; its JSON result."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    def run(name: str, now, **arguments) -> dict:
        session.commit()  # the setup is visible to the step, and this process holds no lock meanwhile
        arguments["now"] = now.isoformat()
        done = stepper.run({"url": url, "step": name, "arguments": arguments})
        assert done["status"] == 0, f"step {name} {arguments} failed:\n{done['err'][-4000:]}"
        session.expire_all()
        return json.loads(done["out"].strip().splitlines()[-1])

    return run


def walk(step, instance_id: int, steps, now=T0) -> None:
    """Complete each (bpmn id, user, values) in turn, every one in its own process."""
    for bpmn_id, user, values in steps:
        step("complete", now, instance_id=instance_id, bpmn_id=bpmn_id, user_id=user.id, values=values)


def assert_ended(session, instance_id: int, end_event: str | None = None) -> None:
    """The instance completed (at `end_event`), no step became an incident, every invariant holds."""
    instance = session.get(ProcessInstance, instance_id)
    assert instance.status == "completed"
    assert end_event is None or instance.end_event == end_event
    assert session.scalar(select(func.count()).select_from(Incident)) == 0
    assert check(session) == []


def test_admission_public_admits_with_every_step_in_its_own_process(session, users, step):
    call = make_call(session)
    started = step("submit_public", T0, user_id=users["applicant"].id, call_id=call.id,
                   form=application_form())
    walk(step, started["instance_id"], [
        ("initial_review", users["talent_center"], PASS),
        ("division_review", users["quality_division"], DIVISION_PASS),
        ("leader_approval", users["bureau_leader"], APPROVE),
        ("record_document", users["talent_center"], DOC),
        ("sign_commitment", users["applicant"], SIGN)])
    app = session.get(Application, started["application_id"])
    assert app.status == "admitted" and session.get(Expert, app.expert_id).status == "active"
    assert_ended(session, started["instance_id"], "已入库")


def test_admission_invited_admits_with_every_step_in_its_own_process(session, users, step):
    qd = users["quality_division"]
    started = step("nominate", T0, user_id=qd.id, form=application_form(), reason="急需风险监控专家")
    scan = upload(session, qd, Upload("承诺书.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n"), T0)  # paper signature
    walk(step, started["instance_id"], [
        ("division_review", qd, DIVISION_PASS), ("leader_approval", users["bureau_leader"], APPROVE),
        ("record_document", users["talent_center"], DOC), ("sign_commitment", qd, SIGN | {"signed_scan": [scan.id]})])
    app = session.get(Application, started["application_id"])
    assert app.status == "admitted" and session.get(Expert, app.expert_id).admission_route == "invited"
    assert_ended(session, started["instance_id"], "已入库")


def test_assignment_merges_confirmations_and_usage_across_processes(session, users, step):
    assignment.make_pool(session, 4)
    unit = users["using_unit"]
    started = step("create_request", T0, user_id=unit.id, form=assignment.request_form(n_backups="0"))
    request = session.get(WorkRequest, started["request_id"])
    drawn = assignment.engagements(session, request.id)
    assert [e.status for e in drawn] == ["drawn", "drawn"]
    for row in drawn:  # two children of one multi-instance task, completed by two processes
        walk(step, request.instance_id, [("confirm_availability", assignment.user_of(session, row),
                                          assignment.CONFIRM)])
    assert session.get(WorkRequest, request.id).status == "staffed"  # the children merged
    assert [e.status for e in assignment.engagements(session, request.id)] == ["confirmed", "confirmed"]
    walk(step, request.instance_id, [("record_usage", unit, assignment.USAGE)] * 2, AFTER_WORK)  # Art 14: once ended
    assert session.get(WorkRequest, request.id).status == "completed"
    assert session.scalar(select(func.count()).select_from(UsageRecord)) == 2
    assert_ended(session, request.instance_id)


def test_annual_evaluation_with_its_deadline_timer_in_its_own_process(session, users, step):
    leader_user = expert_user(session, "wuguohua", "group_leader")
    make_expert(session, "吴国华", user=leader_user, position="leader")
    member = make_expert(session, "林建华")
    assert step("year_end", DEC1)["started"] == 2
    evaluation = session.scalar(select(Evaluation).where(Evaluation.expert_id == member.id))
    walk(step, evaluation.instance_id, [("group_leader_rating", leader_user,
                                         {"rating": "good", "opinion": "按时参加方案评审，意见具体可行"})], DEC1)
    new_year = DEC1 + timedelta(days=31, seconds=1)  # past the campaign's deadline
    assert step("fire", new_year) == {"fired": 2}
    walk(step, evaluation.instance_id, [("center_evaluation", users["talent_center"],
                                         {"overall_rating": "good", "opinion": "同意专家组意见"})],
         new_year + timedelta(days=2))
    evaluation = session.get(Evaluation, evaluation.id)
    assert (evaluation.status, evaluation.overall_rating) == ("finalized", "good")
    assert evaluation.overdue_at == new_year  # the deadline timer fired in its own process
    assert_ended(session, evaluation.instance_id, "评价完成")


def test_exit_of_a_withdrawing_expert_with_every_step_in_its_own_process(session, users, step):
    user = expert_user(session, "linjianhua")
    expert = make_expert(session, "林建华", user=user)
    started = step("withdraw", T0, user_id=user.id, raw={"reason": "工作调动，无法继续履职", "confirm": "on"})
    walk(step, started["instance_id"], [
        ("withdrawal_center_review", users["talent_center"], {"decision": "accept", "facts": "已核实为本人申请"}),
        ("withdrawal_division_review", users["quality_division"], {"decision": "agree"}),
        ("withdrawal_leader_approval", users["bureau_leader"], APPROVE),
        ("exit_record_notice", users["talent_center"], {"notice_no": "闽市监函〔2026〕123号",
                                                        "notice_date": "2026-03-20"})])
    assert session.get(ExitCase, started["case_id"]).status == "exited"
    assert session.get(Expert, expert.id).status == "exited"
    assert_ended(session, started["instance_id"], "已出库")


def test_term_renewal_with_every_step_in_its_own_process(session, users, step):
    user = expert_user(session, "linjianhua")
    expert = make_expert(session, "林建华", user=user, term_start=date(2023, 5, 2), term_end=date(2026, 5, 1))
    assert step("renewal_scan", T0)["started"] == 1
    case = session.scalar(select(RenewalCase).where(RenewalCase.expert_id == expert.id))
    walk(step, case.instance_id, [
        ("renewal_confirm", user, {"renew": "yes", "recommit": "on", "phone": "13905910000"}),
        ("renewal_division_review", users["quality_division"], {"decision": "pass"}),
        ("renewal_leader_approval", users["bureau_leader"], APPROVE)])
    assert session.get(RenewalCase, case.id).status == "renewed"
    assert session.get(Expert, expert.id).term_end == date(2029, 5, 1)
    assert_ended(session, case.instance_id, "已续聘")


@pytest.mark.usefixtures("groups_restored")
def test_group_change_with_every_step_in_its_own_process(session, users, step):
    e = experts_with_users(session, 4)
    raw = {"group_id": group(session, "supervision_sampling").id, "leader": e[0].id,
           "deputies": [e[1].id, e[2].id], "reason": "根据工作需要调整（第九条）"}
    started = step("propose_group_change", T0, user_id=users["quality_division"].id, kind="appoint", raw=raw)
    walk(step, started["instance_id"], [("approve_change", users["bureau_leader"],
                                         APPROVE | {"comment": ""})])
    assert session.get(GroupChange, started["change_id"]).status == "effective"
    assert_ended(session, started["instance_id"], "调整已生效")
