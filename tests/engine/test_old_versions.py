"""Instances keep running on the version they started with (versions are immutable): the path tests of the
shipped processes are run again with an earlier shipped version deployed as the latest one, so the instances
they start run on it. The earlier files are kept in tests/engine/old_versions/ as they were shipped:

- assignment_tally_next.bpmn: gateways read `tally["next"]` / `after_reject == "decide"`, decided in Python by
  the host functions tally_request and designation_rejected (kept for these instances).

Each run also checks that the instance really ran on the old version and that every host function it calls
is still registered.
"""

from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.models import ProcessInstance
from engine.registry import NS, deploy, dmn_files_for, forms_for
from engine.scripting import HOST_FUNCTIONS
from engine.spiff import parse_xml
from tests.engine import test_assignment_changes as changes
from tests.engine import test_assignment_designation as designation
from tests.engine import test_assignment_paths as paths
from tests.support import T0

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
])
def test_old_versions_call_only_registered_host_functions(file_name, kept):
    assert kept <= _operators((OLD / file_name).read_text(encoding="utf-8")) <= set(HOST_FUNCTIONS)


@pytest.mark.parametrize("scenario", ASSIGNMENT_SCENARIOS.values(), ids=ASSIGNMENT_SCENARIOS.keys())
def test_assignment_paths_on_the_version_deciding_in_python(session, users, scenario):
    old, _ = _deploy_old(session, "assignment", "assignment_tally_next.bpmn")
    scenario(session, users)
    _on_old_version(session, "assignment", old)
