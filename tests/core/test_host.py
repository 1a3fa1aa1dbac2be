"""Engine host guarantees: versions, optimistic lock, inbox without deserializing, audit chain, safe XML."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

import engine.core.spiff
from engine.admission import services as admission
from engine.core import audit, inbox, runner
from engine.core.errors import Conflict, ValidationFailed
from engine.core.models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion
from engine.core.spiff import parse_xml
from engine.deploy import versions as registry
from engine.deploy.versions import shipped_file
from engine.tasks import services as task_service
from tests.admission.test_admission_paths import PASS, open_task
from tests.support import T0, application_form, id_number, make_call, make_user

PUBLIC_BPMN = shipped_file("admission_public.bpmn").read_text(encoding="utf-8")


def submit(session, user, **form):
    call = make_call(session)
    return admission.submit_public(session, user, application_form(**form), {}, T0, call.id)


def test_shipped_versions_deploy_once_and_changes_make_a_new_version(session, users):
    before = session.scalars(select(ProcessVersion).where(ProcessVersion.process_key == "admission_public")).all()
    assert len(before) == 1 and before[0].sha256 == registry.bundle_sha256(
        PUBLIC_BPMN, before[0].dmn_files, registry.forms_for(PUBLIC_BPMN))
    registry.deploy_shipped(session, T0)
    assert session.query(ProcessVersion).filter_by(process_key="admission_public").count() == 1
    app = submit(session, users["applicant"])
    changed = PUBLIC_BPMN.replace("人才开发中心初审", "人才开发中心资格初审")
    new = registry.deploy(session, "admission_public", changed, before[0].dmn_files, users["process_owner"], T0,
                          source="upload")
    session.commit()
    assert new.version == 2 and new.sha256 != before[0].sha256
    running = session.get(ProcessInstance, app.instance_id)
    assert running.version_id == before[0].id  # running instances stay on their version
    task = open_task(session, app.id)
    assert task.name == "人才开发中心初审"
    task_service.complete(session, task.id, users["talent_center"], PASS, {}, T0)  # still runs on version 1
    other = submit(session, make_user(session, "second", "applicant"), id_number=id_number(1))
    assert open_task(session, other.id).name == "人才开发中心资格初审"


def test_deploy_refuses_lane_without_role_and_unknown_operator(session):
    bad_lane = PUBLIC_BPMN.replace('name="质量监督处"', 'name="不存在的部门"', 1)
    with pytest.raises(ValidationFailed) as err:
        registry.check_bundle(session, "admission_public", bad_lane, registry.dmn_files_for(PUBLIC_BPMN))
    assert any("不存在的部门" in m for m in err.value.errors.values())
    bad_op = PUBLIC_BPMN.replace('serviceTaskOperator id="admit_expert"', 'serviceTaskOperator id="os_system"')
    with pytest.raises(ValidationFailed) as err:
        registry.check_bundle(session, "admission_public", bad_op, registry.dmn_files_for(PUBLIC_BPMN))
    assert any("os_system" in m for m in err.value.errors.values())


@pytest.mark.parametrize("payload", [
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><d>&b;</d>',
])
def test_xml_entities_are_refused_without_reading_anything(payload):
    with pytest.raises(Exception) as err:
        parse_xml(payload)
    assert "root:" not in str(err.value)


def test_oversized_xml_is_refused():
    with pytest.raises(ValueError):
        parse_xml("<a>" + "x" * (engine.core.spiff.MAX_XML_BYTES + 1) + "</a>")


def test_inbox_query_never_deserializes_a_workflow(session, users, monkeypatch):
    submit(session, users["applicant"])

    def forbidden(*_args, **_kwargs):
        raise AssertionError("inbox must not deserialize workflows")

    monkeypatch.setattr(engine.core.spiff, "load_workflow", forbidden)
    monkeypatch.setattr("engine.core.runner.load_workflow", forbidden)
    rows = session.scalars(inbox.inbox_query(users["talent_center"], inbox.InboxFilter(), T0)).all()
    counts = inbox.inbox_counts(session, users["talent_center"], T0)
    assert [r.bpmn_id for r in rows] == ["initial_review"] and counts["total"] == 1
    assert session.scalars(inbox.inbox_query(users["quality_division"], inbox.InboxFilter(), T0)).all() == []


def test_inbox_filters_overdue_and_unit(session, users):
    submit(session, users["applicant"])
    tc = users["talent_center"]
    assert session.scalars(inbox.inbox_query(tc, inbox.InboxFilter(overdue=True), T0)).all() == []
    late = T0 + timedelta(days=6)
    assert len(session.scalars(inbox.inbox_query(tc, inbox.InboxFilter(overdue=True), late)).all()) == 1
    assert session.scalars(inbox.inbox_query(tc, inbox.InboxFilter(process_key="admission_invited"), T0)).all() == []


def test_stale_lock_version_is_a_conflict(session, users):
    app = submit(session, users["applicant"])
    task = open_task(session, app.id)
    lock = session.get(ProcessInstance, app.instance_id).lock_version
    with pytest.raises(Conflict):
        task_service.complete(session, task.id, users["talent_center"], PASS, {}, T0, expected_lock=lock - 1)
    assert session.get(HumanTask, task.id).state == "open"


def test_concurrent_writer_loses_with_409_not_a_lost_update(session, users, monkeypatch):
    app = submit(session, users["applicant"])
    task = open_task(session, app.id)
    # Another worker commits a change to the instance between our load and our save.
    original_save = runner.save

    def racing_save(sess, instance, workflow, ctx, *rest):
        # (same connection, ORM state left stale: SQLite would block a second writer)
        sess.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id)
                     .values(lock_version=ProcessInstance.lock_version + 1)
                     .execution_options(synchronize_session=False))
        return original_save(sess, instance, workflow, ctx, *rest)

    monkeypatch.setattr(runner, "save", racing_save)
    with pytest.raises(Conflict):
        task_service.complete(session, task.id, users["talent_center"], PASS, {}, T0)
    session.expire_all()
    assert session.get(HumanTask, task.id).state == "open"


def test_two_threads_completing_one_task_exactly_one_wins(app, session, users):
    submitted = submit(session, users["applicant"])
    task_id, actor_id = open_task(session, submitted.id).id, users["talent_center"].id
    session.commit()
    outcomes, barrier = [], threading.Barrier(2)

    def worker():
        from webui.extensions import db

        with app.app_context():
            actor = db.session.get(type(users["talent_center"]), actor_id)
            barrier.wait()
            try:
                task_service.complete(db.session, task_id, actor, PASS, {}, T0)
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["conflict", "ok"]
    assert session.scalar(select(HumanTask.state).where(HumanTask.id == task_id)) == "done"


@pytest.mark.breaks_invariant("audit")
def test_audit_chain_verifies_and_detects_tampering(session, users):
    app = submit(session, users["applicant"])
    task_service.complete(session, open_task(session, app.id).id, users["talent_center"], PASS, {}, T0)
    assert audit.verify_chain(session) is None
    completed = session.scalars(select(AuditEvent).where(AuditEvent.action == "task_completed")).one()
    assert completed.actor_id == users["talent_center"].id and completed.data_after["initial_review"]["decision"] == "pass"
    assert completed.version_id == session.get(ProcessInstance, app.instance_id).version_id
    session.execute(update(AuditEvent).where(AuditEvent.id == completed.id).values(actor_name="别人"))
    session.commit()
    assert audit.verify_chain(session) == completed.id


def test_processes_dir_ships_only_valid_bundles(session):
    for path in registry.shipped_bpmn():
        xml = path.read_text(encoding="utf-8")
        assert registry.check_bundle(session, path.stem, xml, registry.dmn_files_for(xml))


@pytest.mark.parametrize("condition,reason", [
    ("__import__('os').system('id')", "__import__"),
    ("eligibility.__class__", "__class__"),
    ("open('/etc/passwd').read() == ''", "open"),
])
def test_deploy_refuses_scripts_outside_the_allow_list(session, condition, reason):
    ok = 'eligibility["eligible"]'
    assert ok in PUBLIC_BPMN
    bad = PUBLIC_BPMN.replace(ok, condition.replace("'", "&apos;"), 1)
    with pytest.raises(ValidationFailed) as err:
        registry.check_bundle(session, "admission_public", bad, registry.dmn_files_for(PUBLIC_BPMN))
    assert any(reason in message for message in err.value.errors.values())
