"""Reads never deserialize a workflow: a multi-instance task's inbox row carries its item (the engagement)
as `item_id`, filled by the inbox sync from the BPMN's `itemKey`; the draw's random source comes in on the
HostContext; the migration fills the rows already open and declares the item keys on stored versions."""

import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from engine.assignment import form_hooks as hooks
from engine.assignment import queries, services
from engine.assignment.models import DrawRecordRow
from engine.core import runner, spiff
from engine.core.models import HumanTask, ProcessInstance, ProcessVersion
from engine.core.scripting import HOST_FUNCTIONS, HostContext
from engine.deploy.versions import bundle_sha256, deploy_shipped, shipped_file
from tests.assignment_support import (
    APPROVE_JUSTIFIED,
    CONFIRM,
    DECLINE,
    answer,
    complete_all,
    create,
    engagements,
    fixed_rng,
    make_pool,
    open_tasks,
    request_form,
    user_of,
)
from tests.draw_support import record_usage
from tests.support import T0, make_user, migrated_app
from tests.webui.test_ui_support import client_for, text_of
from webui.extensions import db

BEFORE = "7d2e4f1a8c30"  # the revision before human_task.item_id


def _items(session, request, bpmn_id) -> set[tuple[int | None, int | None]]:
    return {(t.assignee_id, t.item_id) for t in open_tasks(session, request, bpmn_id)}


def _awaiting(session, request) -> set[tuple[int, int]]:
    """(expert's user id, engagement id) of every engagement waiting for its expert's answer."""
    return {(user_of(session, e).id, e.id) for e in engagements(session, request.id)
            if e.status == "drawn" and e.asked_at is not None}


def test_every_open_multi_instance_task_carries_its_engagement_id(session, users):
    make_pool(session, 8)
    request = create(session, users["using_unit"], n_experts="2", n_backups="0")
    first, second = engagements(session, request.id)
    assert _items(session, request, "confirm_availability") == _awaiting(session, request) and len(_awaiting(
        session, request)) == 2
    answer(session, first, DECLINE)
    answer(session, second, CONFIRM)
    assert _items(session, request, "leader_approve_cancellation") == {(None, first.id)}
    assert complete_all(session, request, "leader_approve_cancellation", users["bureau_leader"], APPROVE_JUSTIFIED)
    (redrawn,) = [e for e in engagements(session, request.id) if e.round == 2]
    assert _items(session, request, "confirm_availability") == _awaiting(session, request) == {
        (user_of(session, redrawn).id, redrawn.id)}
    services.grant_delegation(session, users["bureau_leader"], "cancellation", T0.date(), T0.date(), "", T0)
    answer(session, redrawn, DECLINE)
    assert _items(session, request, "division_approve_cancellation") == {(None, redrawn.id)}
    complete_all(session, request, "division_approve_cancellation", users["quality_division"], APPROVE_JUSTIFIED)
    (third,) = [e for e in engagements(session, request.id) if e.round == 3]
    assert _items(session, request, "confirm_availability") == {(user_of(session, third).id, third.id)}
    answer(session, third, CONFIRM)
    assert _items(session, request, "record_usage") == {(None, second.id), (None, third.id)}
    assert record_usage(session, request, users["using_unit"]) == 2
    # Single tasks have no item; every row ever written for a multi-instance step has one.
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == request.instance_id)).all()
    assert len(rows) == 8 and all((r.item_id is None) == (r.bpmn_id not in queries.ENGAGEMENT_STEPS) for r in rows)


def refuse_workflow_loads(monkeypatch) -> None:
    """From now on any deserialization of a workflow fails the test (patched where runner and spiff look)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a read deserialized a workflow")

    monkeypatch.setattr(spiff, "load_workflow", refuse)
    monkeypatch.setattr(runner, "load_workflow", refuse)
    monkeypatch.setattr(spiff._SpeclessWorkflowConverter, "from_dict", refuse)


def test_the_guard_catches_a_real_load(session, users, monkeypatch):
    make_pool(session, 2)
    request = create(session, users["using_unit"], n_experts="1", n_backups="0")
    refuse_workflow_loads(monkeypatch)
    instance = session.get(ProcessInstance, request.instance_id)
    with pytest.raises(AssertionError, match="deserialized"):
        runner.load(session, instance, HostContext(session, users["using_unit"], T0))


def test_confirmation_pages_reads_and_hooks_never_load_a_workflow(app, session, users, monkeypatch):
    make_pool(session, 6)
    request = create(session, users["using_unit"], n_experts="2", n_backups="0")
    first, second = engagements(session, request.id)
    tasks = {t.item_id: t for t in open_tasks(session, request, "confirm_availability")}
    declined = create(session, users["using_unit"], n_experts="1", n_backups="0", title="另一项抽查")
    (third,) = engagements(session, declined.id)
    answer(session, third, DECLINE)
    (approval,) = open_tasks(session, declined, "leader_approve_cancellation")
    refuse_workflow_loads(monkeypatch)  # the set-up above stepped the workflow; what follows only reads
    expert = user_of(session, second)
    _, _, task = queries.engagement_page(session, expert, second.id)
    assert task.id == tasks[second.id].id and task.assignee_id == expert.id
    assert queries.task_context(session, tasks[first.id], users["talent_center"])["engagement"]["id"] == first.id
    ctx = HostContext(session, users["bureau_leader"], T0)
    assert hooks.task_engagement(ctx, approval).id == third.id
    page = text_of(client_for(app, expert).get(f"/assignment/engagements/{second.id}"))
    assert re.search(r'action="/tasks/(\d+)"', page).group(1) == str(tasks[second.id].id)
    response = client_for(app, expert).get(f"/tasks/{tasks[second.id].id}")
    assert response.status_code == 200 and request.title in text_of(response)
    leader_page = client_for(app, users["bureau_leader"]).get(f"/tasks/{approval.id}")
    assert leader_page.status_code == 200 and DECLINE["decline_reason"] in text_of(leader_page)


def test_the_draws_random_source_comes_in_on_the_host_context(session, users, monkeypatch):
    seen = []
    original = HOST_FUNCTIONS["draw_experts"]
    monkeypatch.setitem(HOST_FUNCTIONS, "draw_experts", lambda ctx, **kw: seen.append(ctx.rng) or original(ctx, **kw))
    make_pool(session, 4)
    rng = fixed_rng(5)
    request = create(session, users["using_unit"], rng=rng)
    assert seen == [rng]
    assert session.scalar(select(DrawRecordRow.seed_hex).where(DrawRecordRow.request_id == request.id)) == "05" * 32
    other = services.create_request(session, users["using_unit"], request_form(title="另一项抽查"), T0)  # os.urandom
    seeds = session.scalars(select(DrawRecordRow.seed_hex).where(DrawRecordRow.request_id == other.id)).all()
    assert seen[-1] is None and seeds != ["05" * 32] and len(seeds[0]) == 64


def _open_items(session) -> dict[tuple[str, int], int | None]:
    """(step, row id) → item id of every open inbox row."""
    rows = session.scalars(select(HumanTask).where(HumanTask.state == "open")).all()
    return {(r.bpmn_id, r.id): r.item_id for r in rows}


def test_the_migration_fills_open_rows_and_declares_item_keys_on_stored_versions(tmp_path):
    shipped = shipped_file("assignment.bpmn").read_text(encoding="utf-8")
    before = re.sub(r'\n[ \t]*<spiffworkflow:property name="itemKey" value="[^"]*"/>', "", shipped)
    assert before.count("<spiffworkflow:property ") == shipped.count("<spiffworkflow:property ") - 4
    with migrated_app(tmp_path / "upgraded.sqlite"):
        make_pool(db.session, 8)
        unit = make_user(db.session, "unit", "using_unit", unit_code="fuzhou")
        asking = create(db.session, unit, n_experts="2", n_backups="0")  # two confirmations open
        approving = create(db.session, unit, n_experts="1", n_backups="0", title="待审批取消")
        answer(db.session, engagements(db.session, approving.id)[0], DECLINE)  # a cancellation approval open
        working = create(db.session, unit, n_experts="1", n_backups="0", title="待登记使用情况")
        answer(db.session, engagements(db.session, working.id)[0], CONFIRM)  # a usage record open
        filled = _open_items(db.session)
        assert sorted(filled.values()) == sorted(
            e.id for r in (asking, approving, working) for e in engagements(db.session, r.id) if e.status != "cancelled")
        assert {b for b, _ in filled} == {"confirm_availability", "leader_approve_cancellation", "record_usage"}
        version = db.session.scalar(select(ProcessVersion).where(ProcessVersion.process_key == "assignment"))
        version_id, sha = version.id, version.sha256
        old_sha = bundle_sha256(before, version.dmn_files or {}, version.forms)
        db.session.remove()
        # The database as it was before this revision: no item_id, the version without item keys.
        downgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE process_version SET bpmn_xml = :xml, sha256 = :sha WHERE id = :id"),
                         {"xml": before, "sha": old_sha, "id": version_id})
        upgrade()
        assert _open_items(db.session) == filled
        version = db.session.get(ProcessVersion, version_id)
        assert version.bpmn_xml == shipped and version.sha256 == sha  # the shipped file, recognised
        assert deploy_shipped(db.session, T0) == []
