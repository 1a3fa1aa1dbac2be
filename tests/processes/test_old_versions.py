"""Instances keep running on the version they started with (versions are immutable): the path tests of the
shipped processes are run again with an earlier shipped version deployed as the latest one, so the instances
they start run on it. The earlier files are kept in tests/processes/old_versions/ as they were shipped:

- assignment_tally_next.bpmn: gateways read `tally["next"]` / `after_reject == "decide"`, decided in Python by
  the host functions tally_request and designation_rejected (kept for these instances);
- admission_public_status_tasks.bpmn, admission_invited_status_tasks.bpmn: status-only service tasks
  (mark_returned, mark_approved, await_commitment, reject_initial/division/leader) call set_application_status
  after the review tasks, whose form hooks now record the same status first;
- admission_public_ineligible_ends.bpmn: an application the eligibility check found wanting ends at once
  (reject_ineligible → set_application_status); the current version refers it to the 初审 (run by
  tests/admission/test_admission_ineligible.py);
- term_renewal_status_tasks.bpmn: mark_not_renewing_task calls mark_not_renewing after the decision that the
  renewal_* form hooks now record first.

Each run also checks that the instance really ran on the old version and that every host function it calls
is still registered. The same steps are also run on the old and the current version side by side and must
leave the same rows after each step: for assignment the request's status, note and N, the engagement statuses
and the notifications sent; for admission the application's status and stage; for renewal the case status.
"""

from datetime import date
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.admission import services as admission
from engine.admission.models import Application
from engine.assignment.models import WorkRequest
from engine.core.models import ProcessInstance
from engine.core.scripting import HOST_FUNCTIONS
from engine.core.spiff import parse_xml
from engine.core.uow import unit_of_work
from engine.deploy.versions import NS, deploy, dmn_files_for, forms_for, shipped_file
from engine.platform.models import Notification
from engine.renewal import services as renewals
from engine.renewal.models import RenewalCase
from engine.tasks import services as task_service
from tests import assignment_support
from tests.admission import test_admission_paths as admission_paths
from tests.assignment import test_assignment_changes as changes
from tests.assignment import test_assignment_designation as designation
from tests.assignment import test_assignment_paths as paths
from tests.experts import roster_support as yearly_support
from tests.renewal import test_renewal as renewal
from tests.renewal.test_renewal import due  # noqa: F401  (fixture)
from tests.support import T0, application_form, id_number, make_call, make_user

OLD = Path(__file__).parent / "old_versions"


def _deploy_old(session, process_key: str, file_name: str):
    xml = (OLD / file_name).read_text(encoding="utf-8")
    version = deploy(session, process_key, xml, dmn_files_for(xml), None, T0, source="test", forms=forms_for(xml))
    session.commit()
    return version, xml


def _operators(xml: str) -> set[str]:
    return {op.get("id") for op in parse_xml(xml).iterfind(".//spiffworkflow:serviceTaskOperator", NS)}


def _on_old_version(session, process_key: str, old) -> None:
    versions = set(session.scalars(select(ProcessInstance.version_id).where(
        ProcessInstance.process_key == process_key)))
    assert versions == {old.id}


ASSIGNMENT_SCENARIOS = {
    "random_confirm_usage": paths.test_random_draw_confirm_usage_completes,
    "decline_approval_redraw": paths.test_decline_approval_redraw,
    "backups_first": paths.test_backups_first_promotes_the_backup_without_a_new_round,
    "new_round_backup_released": paths.test_without_backups_first_a_new_round_is_drawn_and_backup_released,
    "timer_counts_as_decline": paths.test_timer_expiry_counts_as_decline_then_redraw,
    "conflict_declared": paths.test_conflict_declared_by_the_expert_must_be_cancelled,
    "designation_approved": partial(designation.test_designation_approved_then_expert_confirms, method="designated"),
    "designation_rejected_ends": partial(designation.test_designation_rejected_ends_the_request, method="designated"),
    "authorized_division": designation.test_authorized_division_approves_instead_of_leader,
    "pool_exhausted": designation.test_pool_exhausted_offers_the_designated_path,
    "exhausted_proceed": designation.test_exhausted_unit_may_proceed_with_fewer_or_withdraw,
    "exhausted_withdraw": designation.test_exhausted_unit_withdraws,
    "rejected_supplementary_designation": designation.test_rejected_supplementary_designation_returns_to_the_unit,
    "conflict_during_work": changes.test_conflict_found_during_the_work_interrupts_and_redraws,
    "reported_conflict_rejected": changes.test_reported_conflict_rejected_keeps_the_expert,
    "released_awaiting_cancellation": changes.test_released_expert_awaiting_cancellation_closes_the_approval,
    "delegated_cancellation": changes.test_delegated_cancellation_goes_to_the_quality_division,
}


@pytest.mark.parametrize("file_name,kept", [
    ("assignment_tally_next.bpmn", {"tally_request", "designation_rejected"}),
    ("admission_public_status_tasks.bpmn", {"set_application_status"}),
    ("admission_invited_status_tasks.bpmn", {"set_application_status"}),
    ("admission_public_ineligible_ends.bpmn", {"set_application_status"}),
    ("term_renewal_status_tasks.bpmn", {"mark_not_renewing"}),
])
def test_old_versions_call_only_registered_host_functions(file_name, kept):
    assert kept <= _operators((OLD / file_name).read_text(encoding="utf-8")) <= set(HOST_FUNCTIONS)


@pytest.mark.parametrize("scenario", ASSIGNMENT_SCENARIOS.values(), ids=ASSIGNMENT_SCENARIOS.keys())
def test_assignment_paths_on_the_version_deciding_in_python(session, users, scenario):
    old, _ = _deploy_old(session, "assignment", "assignment_tally_next.bpmn")
    scenario(session, users)
    _on_old_version(session, "assignment", old)


ADMISSION_SCENARIOS = {
    "full_approval": admission_paths.test_full_approval_admits_expert_with_three_year_term,
    "return_and_resubmit": admission_paths.test_return_for_correction_then_resubmit,
    "commitment_lapses": admission_paths.test_commitment_lapses_when_timer_fires,
    **{f"reject_at_{stage}": partial(admission_paths.test_reject_at_each_step, stage=stage, values=values, end=end)
       for stage, values, end in [
           ("initial_review", {"decision": "reject", "credit_checked": "on", "comment": "不符合条件"}, "初审不予通过"),
           ("division_review", {"decision": "reject", "comment": "专业不匹配"}, "审核不予通过"),
           ("leader_approval", {"decision": "reject", "comment": "暂缓"}, "局领导不予批准")]},
}


@pytest.mark.parametrize("scenario", ADMISSION_SCENARIOS.values(), ids=ADMISSION_SCENARIOS.keys())
def test_public_admission_paths_on_the_version_with_status_tasks(session, users, scenario):
    old, _ = _deploy_old(session, "admission_public", "admission_public_status_tasks.bpmn")
    call = make_call(session)
    submitted = admission.submit_public(session, users["applicant"], application_form(), {}, T0, call.id)
    scenario(session, users, submitted)
    _on_old_version(session, "admission_public", old)


def test_invited_admission_on_the_version_with_status_tasks(session, users):
    old, _ = _deploy_old(session, "admission_invited", "admission_invited_status_tasks.bpmn")
    admission_paths.test_invited_path_admits(session, users)
    _on_old_version(session, "admission_invited", old)


RENEWAL_SCENARIOS = {
    "renewed": renewal.test_renewal_gives_a_new_three_year_term_and_certificate,
    "declined_then_lapses": renewal.test_declining_waits_for_the_end_then_lapses_with_an_exit_record,
    "rejected_then_lapses": renewal.test_rejected_renewal_lapses_at_the_end,
}


@pytest.mark.parametrize("scenario", RENEWAL_SCENARIOS.values(), ids=RENEWAL_SCENARIOS.keys())
def test_renewal_paths_on_the_version_with_the_status_task(session, users, due, scenario):  # noqa: F811
    old, _ = _deploy_old(session, "term_renewal", "term_renewal_status_tasks.bpmn")
    scenario(session, users, due)
    _on_old_version(session, "term_renewal", old)


# ------------------------------------------- the same steps change the same rows on the old and the current version

def _trace(session, request_id: int, since: int) -> tuple:
    """Where a request stands after a step: status, note, N, engagement statuses, notifications sent since."""
    session.expire_all()
    request = session.get(WorkRequest, request_id)
    subjects = session.scalars(select(Notification.subject).where(Notification.id > since).order_by(Notification.id))
    return (request.status, request.status_note, request.n_experts,
            [e.status for e in assignment_support.engagements(session, request_id)], list(subjects))


def _pool(session, group: str, count: int) -> list:
    return [assignment_support.make_expert(session, f"{group}{i}", group=group) for i in range(count)]


def _decide(session, users, request, values: dict) -> None:
    (task,) = assignment_support.open_tasks(session, request, "shortfall_decision")
    task_service.complete(session, task.id, users["using_unit"], values, {}, T0)


def _designated_expert_declines(session, users, group, step):
    """Designated request; the expert declines; the cancellation leaves it short with no redraw: the unit decides."""
    chosen = _pool(session, group, 2)[0]
    request = assignment_support.create(session, users["using_unit"], group_code=group, method="designated",
                                        method_reason="熟悉该企业", designated_experts=chosen.certificate_no)
    step(request)
    designation.file_and_decide(session, users, request, designation.APPROVE)
    step(request)
    (row,) = assignment_support.engagements(session, request.id)
    assignment_support.answer(session, row, assignment_support.DECLINE)
    step(request)
    assignment_support.complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"],
                                    assignment_support.APPROVE_JUSTIFIED)
    step(request)
    _decide(session, users, request, {"decision": "withdraw"})
    step(request)


def _refused_designation_after_exhaustion(session, users, group, step):
    """The pool runs out, the supplementary designation is refused: back to the unit, which proceeds."""
    _pool(session, group, 2)
    request = assignment_support.create(session, users["using_unit"], group_code=group, n_backups="0")
    first, second = assignment_support.engagements(session, request.id)
    assignment_support.answer(session, first, assignment_support.CONFIRM)
    assignment_support.answer(session, second, assignment_support.DECLINE)
    step(request)
    assignment_support.complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"],
                                    assignment_support.APPROVE_JUSTIFIED)
    step(request)
    extra = assignment_support.make_expert(session, f"{group}补充", group="general")
    _decide(session, users, request, {"decision": "designate", "method": "designated", "reason": "库内专家不足",
                                      "designated_experts": extra.certificate_no})
    step(request)
    designation.file_and_decide(session, users, request, designation.REJECT)
    step(request)
    _decide(session, users, request, {"decision": "proceed"})
    step(request)


def _refused_designation_ends(session, users, group, step):
    chosen = _pool(session, group, 1)[0]
    request = assignment_support.create(session, users["using_unit"], group_code=group, method="emergency",
                                        method_reason="突发事件", designated_experts=chosen.certificate_no)
    step(request)
    designation.file_and_decide(session, users, request, designation.REJECT)
    step(request)


def _decline_cancel_redraw(session, users, group, step):
    _pool(session, group, 4)
    request = assignment_support.create(session, users["using_unit"], group_code=group, n_backups="0")
    first, second = assignment_support.engagements(session, request.id)
    assignment_support.answer(session, first, assignment_support.DECLINE)
    step(request)
    assignment_support.answer(session, second, assignment_support.CONFIRM)
    step(request)
    assignment_support.complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"],
                                    assignment_support.APPROVE_UNJUSTIFIED)
    step(request)
    assignment_support.answer(session, assignment_support.engagements(session, request.id)[-1],
                              assignment_support.CONFIRM)
    step(request)


@pytest.mark.parametrize("scenario", [_designated_expert_declines, _refused_designation_after_exhaustion,
                                      _refused_designation_ends, _decline_cancel_redraw],
                         ids=lambda f: f.__name__.strip("_"))
def test_each_step_changes_the_same_rows_on_the_old_and_the_current_assignment_version(session, users, scenario):
    traces = []
    for file_name, group in [(OLD / "assignment_tally_next.bpmn", "post_license"),
                             (shipped_file("assignment.bpmn"), "quality_assistance")]:
        xml = file_name.read_text(encoding="utf-8")
        version = deploy(session, "assignment", xml, dmn_files_for(xml), None, T0, source="test", forms=forms_for(xml))
        session.commit()
        trace, since = [], session.scalar(select(func.max(Notification.id))) or 0

        def step(request, trace=trace, since=since):
            trace.append(_trace(session, request.id, since))

        scenario(session, users, group, step)
        assert version.id in set(session.scalars(select(ProcessInstance.version_id).where(
            ProcessInstance.process_key == "assignment")))
        traces.append(trace)
    old, current = traces
    assert old == current


PASS_INITIAL = {"decision": "pass", "credit_checked": "on", "checklist_ok": "on", "comment": "材料齐全"}
PASS_DIVISION = {"decision": "pass", "propose_role": "none"}
ADMISSION_STEPS = {
    "admitted": [("talent_center", PASS_INITIAL), ("quality_division", PASS_DIVISION),
                 ("bureau_leader", {"decision": "approve"}), ("talent_center", admission_paths.DOC),
                 ("applicant", admission_paths.SIGN)],
    "returned_then_refused": [("talent_center", {"decision": "return", "credit_checked": "on", "comment": "补充"}),
                              ("applicant", application_form(response="已补充")),
                              ("talent_center", PASS_INITIAL),
                              ("quality_division", {"decision": "reject", "comment": "专业不匹配"})],
    "initial_reject": [("talent_center", {"decision": "reject", "credit_checked": "on", "comment": "不符合"})],
    "leader_reject": [("talent_center", PASS_INITIAL), ("quality_division", PASS_DIVISION),
                      ("bureau_leader", {"decision": "reject", "comment": "暂缓"})],
}


@pytest.mark.parametrize("steps", ADMISSION_STEPS.values(), ids=ADMISSION_STEPS.keys())
def test_each_step_records_the_same_application_status_on_the_old_and_the_current_version(session, users, steps):
    traces = []
    call = make_call(session)
    for run, file_name in enumerate([OLD / "admission_public_status_tasks.bpmn",
                                     shipped_file("admission_public.bpmn")]):
        xml = file_name.read_text(encoding="utf-8")
        deploy(session, "admission_public", xml, dmn_files_for(xml), None, T0, source="test", forms=forms_for(xml))
        session.commit()
        applicant = make_user(session, f"applicant_run{run}", "applicant")
        actors = users | {"applicant": applicant}
        app = admission.submit_public(session, applicant, application_form(id_number=id_number(run + 1)), {}, T0,
                                      call.id)
        trace = [(app.status, app.status_stage)]
        for role, values in steps:
            admission_paths.act(session, app.id, actors[role], values)
            session.expire_all()
            app = session.get(Application, app.id)
            trace.append((app.status, app.status_stage))
        traces.append(trace)
    assert traces[0] == traces[1]


RENEWAL_STEPS = {
    "declined": [("expert", {"renew": "no"})],
    "division_refuses": [("expert", renewal.RENEW), ("quality_division", {"decision": "reject", "comment": "不同意"})],
    "leader_refuses": [("expert", renewal.RENEW), ("quality_division", {"decision": "pass", "comment": ""}),
                       ("bureau_leader", {"decision": "reject", "comment": "不予批准"})],
    "renewed": [("expert", renewal.RENEW), ("quality_division", {"decision": "pass", "comment": ""}),
                ("bureau_leader", {"decision": "approve", "comment": ""})],
}


@pytest.mark.parametrize("steps", RENEWAL_STEPS.values(), ids=RENEWAL_STEPS.keys())
def test_each_step_records_the_same_renewal_status_on_the_old_and_the_current_version(session, users, steps):
    traces = []
    for run, file_name in enumerate([OLD / "term_renewal_status_tasks.bpmn", shipped_file("term_renewal.bpmn")]):
        xml = file_name.read_text(encoding="utf-8")
        deploy(session, "term_renewal", xml, dmn_files_for(xml), None, T0, source="test", forms=forms_for(xml))
        session.commit()
        account = yearly_support.expert_user(session, f"renewing{run}")
        expert = yearly_support.make_expert(session, f"续聘专家{run}", user=account, term_start=date(2023, 5, 2),
                                            term_end=renewal.TERM_END)
        with unit_of_work(session):
            case = renewals.start_renewal(session, expert, T0)
        actors = users | {"expert": account}
        trace = [case.status]
        for role, values in steps:
            renewal.act(session, case.instance_id, actors[role], values)
            session.expire_all()
            trace.append(session.get(RenewalCase, case.id).status)
        traces.append(trace)
    assert traces[0] == traces[1]
