"""Drafts: open a version, edit, upload, diff, validate, deploy a new immutable version; owners only."""

import pytest
from sqlalchemy import func, select

from engine.core.errors import Conflict, Forbidden, ValidationFailed
from engine.core.models import AuditEvent, ProcessInstance, ProcessVersion
from engine.core.registry import latest_version
from engine.deploy import catalog, drafts
from engine.deploy import versions as registry
from engine.deploy.diff import diff_bundles
from engine.deploy.models import ProcessDraft
from engine.platform.attachments import Upload
from tests.deploy.deploy_support import GROUP_BPMN, PUBLIC_BPMN, external_files
from tests.deploy.test_lint import CORPUS
from tests.support import T0, application_form, make_call


def draft_of(session, users, key="admission_public") -> ProcessDraft:
    return drafts.create_from_version(session, users["process_owner"], latest_version(session, key).id, T0)


def count_versions(session, key="admission_public") -> int:
    return session.scalar(select(func.count()).select_from(ProcessVersion).where(ProcessVersion.process_key == key))


def test_edit_and_deploy_makes_a_new_version_and_leaves_running_instances_alone(session, users):
    from engine.admission import services as admission

    running = admission.submit_public(session, users["applicant"], application_form(), {}, T0, make_call(session).id)
    v1 = latest_version(session, "admission_public")
    draft = draft_of(session, users)
    edited = draft.bpmn_xml.replace('name="人才开发中心初审"', 'name="人才开发中心资格初审"')
    drafts.save(session, users["process_owner"], draft.id, edited, T0, lock=draft.lock_version)
    assert count_versions(session) == 1  # saving a draft deploys nothing
    v2 = drafts.deploy(session, users["process_owner"], draft.id, T0)
    assert (v2.version, v2.source, v2.deployed_by) == (2, "workbench", users["process_owner"].id)
    assert v2.sha256 != v1.sha256 and session.get(ProcessDraft, draft.id).status == "deployed"
    assert session.get(ProcessInstance, running.instance_id).version_id == v1.id
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "process_deployed")
                            .order_by(AuditEvent.id.desc())).first()
    assert event.data_after["version"] == 2 and event.actor_id == users["process_owner"].id
    entry, = catalog.catalog(session, users["process_owner"], "admission_public")
    assert [(r.version.version, r.running) for r in entry.versions] == [(2, 0), (1, 1)]
    with pytest.raises(Conflict):  # a deployed draft is closed
        drafts.save(session, users["process_owner"], draft.id, edited, T0)
    registry.deploy_shipped(session, T0)  # a restart does not put the unchanged shipped file back on top
    assert latest_version(session, "admission_public").id == v2.id


def test_a_failing_draft_does_not_deploy_and_nothing_changes(session, users):
    draft = draft_of(session, users)
    broken = draft.bpmn_xml.replace('value="initial_review"', 'value="no_such_form"', 1)
    drafts.save(session, users["process_owner"], draft.id, broken, T0)
    assert any("no_such_form" in str(p) for p in drafts.problems(session, users["process_owner"], draft.id))
    with pytest.raises(ValidationFailed) as err:
        drafts.deploy(session, users["process_owner"], draft.id, T0)
    assert any("[initial_review]" in m for m in err.value.errors.values())
    assert count_versions(session) == 1 and session.get(ProcessDraft, draft.id).status == "draft"


def test_unchanged_or_stale_drafts_are_refused(session, users):
    first, second = draft_of(session, users), draft_of(session, users)
    with pytest.raises(Conflict, match="完全相同"):
        drafts.deploy(session, users["process_owner"], first.id, T0)
    drafts.save(session, users["process_owner"], first.id, first.bpmn_xml.replace("人才开发中心初审", "初审甲"), T0)
    drafts.deploy(session, users["process_owner"], first.id, T0)
    drafts.save(session, users["process_owner"], second.id, second.bpmn_xml.replace("人才开发中心初审", "初审乙"), T0)
    with pytest.raises(Conflict, match="不是基于最新"):
        drafts.deploy(session, users["process_owner"], second.id, T0)
    assert drafts.deploy(session, users["process_owner"], second.id, T0, allow_stale=True).version == 3


def test_only_process_owners_edit_and_deploy(session, users):
    version = latest_version(session, "admission_public")
    for role in ("quality_division", "bureau_leader", "talent_center", "auditor"):
        with pytest.raises(Forbidden):
            drafts.create_from_version(session, users[role], version.id, T0)
    draft = draft_of(session, users)
    with pytest.raises(Forbidden):
        drafts.deploy(session, users["quality_division"], draft.id, T0)
    with pytest.raises(Forbidden):
        catalog.catalog(session, users["applicant"])


def test_the_process_id_of_a_draft_cannot_change_and_unsafe_xml_is_refused(session, users):
    draft = draft_of(session, users)
    with pytest.raises(ValidationFailed, match="提交"):
        drafts.save(session, users["process_owner"], draft.id, GROUP_BPMN, T0)
    attack = (CORPUS / "xxe_file_entity.bpmn").read_text(encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        drafts.save(session, users["process_owner"], draft.id, attack, T0)
    assert "DOCTYPE" in err.value.errors["file"]
    assert session.get(ProcessDraft, draft.id).bpmn_xml == PUBLIC_BPMN


def upload(name: str, data: bytes | str) -> Upload:
    return Upload(filename=name, content_type="application/octet-stream",
                  data=data.encode("utf-8") if isinstance(data, str) else data)


def test_uploads_from_other_modelers_round_trip_unchanged(session, users):
    for path in external_files():
        data = path.read_bytes()
        draft = drafts.create_from_upload(session, users["process_owner"], [upload(path.name, data)], T0)
        stored = drafts.get_draft(session, users["process_owner"], draft.id)
        assert stored.bpmn_xml == data.decode("utf-8-sig")  # what is downloaded is what was uploaded
        assert stored.base_version_id is None and stored.status == "draft"


@pytest.mark.parametrize("name,data,reason", [
    ("evil.exe", b"MZ\x90\x00", "类型不允许"),
    ("empty.bpmn", b"", "为空"),
    ("big.bpmn", b"<a>" + b"x" * (2 * 1024 * 1024) + b"</a>", "大小限制"),
    ("latin.bpmn", "<a>é</a>".encode("latin-1"), "UTF-8"),
    ("table.bpmn", b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"/>', "不是 BPMN 2.0 文件"),
    ("xxe.bpmn", (CORPUS / "xxe_file_entity.bpmn").read_bytes(), "DOCTYPE"),
])
def test_upload_limits(session, users, name, data, reason):
    with pytest.raises(ValidationFailed) as err:
        drafts.create_from_upload(session, users["process_owner"], [upload(name, data)], T0)
    assert reason in err.value.errors["file"]
    assert session.scalar(select(func.count()).select_from(ProcessDraft)) == 0


def test_dmn_files_are_edited_with_the_draft(session, users):
    draft = draft_of(session, users)
    (name, xml), = draft.dmn_files.items()
    drafts.save_dmn(session, users["process_owner"], draft.id, name, xml.replace("<text>60</text>", "<text>62</text>"), T0)
    v2 = drafts.deploy(session, users["process_owner"], draft.id, T0)
    assert "<text>62</text>" in v2.dmn_files[name]
    with pytest.raises(ValidationFailed):
        drafts.save_dmn(session, users["process_owner"], draft_of(session, users).id, "thresholds.txt", xml, T0)


def test_diff_lists_added_removed_and_changed_elements():
    new = GROUP_BPMN.replace('name="局领导审批专家组调整"', 'name="局领导审批"')
    new = new.replace('<bpmn:endEvent id="end_failed" name="情况已变化未生效">', '<bpmn:endEvent id="end_failed2" name="未生效">')
    new = new.replace('targetRef="end_failed"', 'targetRef="end_failed2"').replace('value="5"', 'value="3"')
    diff = diff_bundles(GROUP_BPMN, {}, new, {"x.dmn": "<x/>"})
    assert [c.element_id for c in diff.added] == ["end_failed2"]
    assert [c.element_id for c in diff.removed] == ["end_failed"]
    changed = {c.element_id: c.fields for c in diff.changed}
    assert ("名称", "局领导审批专家组调整", "局领导审批") in changed["approve_change"]
    assert ("办理期限（天）", "5", "3") in changed["approve_change"]
    assert ("目标", "end_failed", "end_failed2") in changed["flow_not_applied"]
    assert diff.dmn_changed == [("x.dmn", "新增")] and not diff.empty
    moved = GROUP_BPMN.replace('<dc:Bounds x="320" y="250"', '<dc:Bounds x="330" y="250"')
    assert diff_bundles(GROUP_BPMN, {}, moved, {}).empty  # moving a shape changes nothing that runs
