"""Migrating running instances between versions (SpiffWorkflow diff_workflow / migrate_workflow):
dry run first, refusals with reasons, execution both ways, inbox rows and audit kept in step."""

import pytest
from sqlalchemy import func, select

from engine.admission import services as admission
from engine.core.errors import Forbidden
from engine.core.models import AuditEvent, HumanTask, ProcessInstance
from engine.core.registry import latest_version
from engine.deploy import migrate
from engine.deploy import versions as registry
from engine.tasks import services as task_service
from tests.admission.test_admission_paths import PASS
from tests.deploy.deploy_support import PUBLIC_BPMN, open_rows
from tests.support import T0, application_form, id_number, make_call, make_user

DMN = registry.dmn_files_for(PUBLIC_BPMN)


def deploy(session, users, xml):
    version = registry.deploy(session, "admission_public", xml, DMN, users["process_owner"], T0, source="workbench")
    session.commit()
    return version


def submit(session, users, n=1):
    call = make_call(session)
    apps = [admission.submit_public(session, make_user(session, f"app{i}", "applicant"),
                                    application_form(id_number=id_number(i)), {}, T0, call.id)
            for i in range(n)]
    return [a.instance_id for a in apps]


def audit_count(session):
    return session.scalar(select(func.count()).select_from(AuditEvent))


def test_dry_run_then_migrate_forward_and_back(session, users):
    v1 = latest_version(session, "admission_public")
    (instance_id,) = submit(session, users)
    v2 = deploy(session, users, PUBLIC_BPMN.replace('name="人才开发中心初审"', 'name="人才开发中心资格初审"'))
    lock, events = session.get(ProcessInstance, instance_id).lock_version, audit_count(session)

    (check,) = migrate.dry_run(session, users["process_owner"], [instance_id], v2.id, T0)
    assert check.ok and check.reasons == [] and check.from_version == 1
    assert session.get(ProcessInstance, instance_id).lock_version == lock and audit_count(session) == events

    (done,) = migrate.migrate(session, users["process_owner"], [instance_id], v2.id, T0)
    assert done.ok and done.done
    session.expire_all()
    assert session.get(ProcessInstance, instance_id).version_id == v2.id
    (row,) = open_rows(session, instance_id)
    assert (row.bpmn_id, row.name) == ("initial_review", "人才开发中心资格初审")
    assert "人才开发中心资格初审" in row.search_text  # the inbox search finds the step by its new name
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "instance_migrated")).one()
    assert (event.data_before["version"], event.data_after["version"]) == (1, 2) and event.version_id == v2.id
    assert event.actor_id == users["process_owner"].id

    (back,) = migrate.migrate(session, users["process_owner"], [instance_id], v1.id, T0)
    assert back.done
    (row,) = open_rows(session, instance_id)
    assert row.name == "人才开发中心初审" and session.get(ProcessInstance, instance_id).version_id == v1.id
    assert "资格初审" not in row.search_text
    task_service.complete(session, row.id, users["talent_center"], PASS, {}, T0)  # it runs on after migrating
    assert [r.bpmn_id for r in open_rows(session, instance_id)] == ["division_review"]


def test_refused_when_a_completed_task_changed_or_vanished(session, users):
    (instance_id,) = submit(session, users)
    changed = deploy(session, users, PUBLIC_BPMN.replace('name="资格条件校验"', 'name="资格条件自动校验"'))
    (check,) = migrate.dry_run(session, users["process_owner"], [instance_id], changed.id, T0)
    assert not check.ok and check.reasons == ["已办理或进行中的环节“资格条件校验”（check_eligibility_task）在目标版本中有改动"]
    (result,) = migrate.migrate(session, users["process_owner"], [instance_id], changed.id, T0)
    assert not result.done and session.get(ProcessInstance, instance_id).version_id != changed.id
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "instance_migrated")) == 0


def test_batch_reports_each_instance(session, users):
    ids = submit(session, users, 3)
    first = session.scalars(select(HumanTask).where(HumanTask.instance_id == ids[0])).one()
    task_service.complete(session, first.id, users["talent_center"], PASS, {}, T0)  # ids[0] moved past initial_review
    v2 = deploy(session, users, PUBLIC_BPMN.replace('name="人才开发中心初审"', 'name="初审（新）"'))
    checks = {c.instance_id: c for c in migrate.dry_run(session, users["process_owner"], ids + [999999], v2.id, T0)}
    assert not checks[ids[0]].ok and "（initial_review）" in checks[ids[0]].reasons[0]
    assert checks[ids[1]].ok and checks[ids[2]].ok and checks[999999].reasons == ["流程实例不存在"]
    results = migrate.migrate(session, users["process_owner"], ids, v2.id, T0)
    assert [r.done for r in results] == [False, True, True]
    again = migrate.dry_run(session, users["process_owner"], [ids[1]], v2.id, T0)
    assert again[0].reasons == ["已在第 2 版上"]


def test_only_process_owners_migrate(session, users):
    (instance_id,) = submit(session, users)
    v = latest_version(session, "admission_public")
    for role in ("quality_division", "bureau_leader", "auditor"):
        with pytest.raises(Forbidden):
            migrate.dry_run(session, users[role], [instance_id], v.id, T0)
        with pytest.raises(Forbidden):
            migrate.migrate(session, users[role], [instance_id], v.id, T0)
