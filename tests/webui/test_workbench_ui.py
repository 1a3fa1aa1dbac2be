"""流程管理 pages: access by role, editor/save/upload/check/diff/deploy/migrate, heat view, instance
diagram, group-change proposals; bad input gets a Chinese message and changes nothing."""

import io
import json
import re

import pytest
from sqlalchemy import func, select

from engine.core.models import ProcessInstance, ProcessVersion
from engine.core.registry import latest_version
from engine.deploy import drafts
from engine.deploy.models import ProcessDraft
from engine.groups.models import GroupChange
from tests.deploy.deploy_support import (
    PUBLIC_BPMN,
    experts_with_users,
    external_files,
    group,
    groups_restored,  # noqa: F401  (fixture)
)
from tests.deploy.test_lint import CORPUS
from tests.support import make_call
from tests.webui.test_ui_support import client_for, submit, text_of


def page_data(html: str, element_id: str) -> dict:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def versions(session) -> int:
    return session.scalar(select(func.count()).select_from(ProcessVersion).where(
        ProcessVersion.process_key == "admission_public"))


def new_draft(app, session, users):
    owner = client_for(app, users["process_owner"])
    response = owner.post(f"/workbench/versions/{latest_version(session, 'admission_public').id}/draft")
    assert response.status_code == 302
    return owner, int(response.headers["Location"].rsplit("/", 1)[-1])


@pytest.mark.parametrize("role,path,status", [
    ("applicant", "/workbench", 403), ("using_unit", "/workbench", 403), ("talent_center", "/workbench", 403),
    ("quality_division", "/workbench", 302), ("bureau_leader", "/workbench/groups", 200),
    ("auditor", "/workbench", 200), ("auditor", "/workbench/processes/admission_public", 200),
    ("quality_division", "/workbench/processes/admission_public", 403),
    ("process_owner", "/workbench/processes/admission_public/migrate", 200),
    ("auditor", "/workbench/processes/admission_public/migrate", 403),
    ("process_owner", "/workbench/processes/no_such_process", 404),
    ("applicant", "/workbench/groups", 403),
])
def test_pages_check_the_role(app, users, role, path, status):
    assert client_for(app, users[role]).get(path).status_code == status


def test_anonymous_users_go_to_login(app, session):
    response = client_for(app).get("/workbench")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_process_list_shows_versions_hash_who_when_and_running_counts(app, session, users):
    submit(session, users["applicant"], make_call(session))
    html = text_of(client_for(app, users["process_owner"]).get("/workbench"))
    version = latest_version(session, "admission_public")
    assert "公开遴选" in html and version.sha256[:12] in html and "v1：1" in html and "系统（随程序发布）" in html
    page = client_for(app, users["process_owner"]).get("/workbench/processes/admission_public")
    data = page_data(text_of(page), "heat-data")
    assert data["heat"] == {"initial_review": 1} and "<bpmn:definitions" in data["xml"]


def test_only_owners_may_open_a_draft(app, session, users):
    version = latest_version(session, "admission_public").id
    for role in ("auditor", "quality_division", "bureau_leader"):
        assert client_for(app, users[role]).post(f"/workbench/versions/{version}/draft").status_code == 403
    assert session.scalar(select(func.count()).select_from(ProcessDraft)) == 0


def test_editor_save_check_diff_and_deploy(app, session, users):
    owner, draft_id = new_draft(app, session, users)
    html = text_of(owner.get(f"/workbench/drafts/{draft_id}"))
    data = page_data(html, "editor-data")
    assert data["xml"] == PUBLIC_BPMN and "initial_review" in data["options"]["forms"]
    assert "apply_group_change" in data["options"]["operators"] and "workbench-editor.js" in html
    edited = PUBLIC_BPMN.replace('name="人才开发中心初审"', 'name="人才开发中心资格初审"')
    assert owner.post(f"/workbench/drafts/{draft_id}/save", data={"bpmn_xml": edited}).status_code == 302
    diff = text_of(owner.get(f"/workbench/drafts/{draft_id}/diff"))
    assert "人才开发中心资格初审" in diff and page_data(diff, "diff-data")["marks"]["changed"] == ["initial_review"]
    assert "校验通过" in text_of(owner.get(f"/workbench/drafts/{draft_id}/check"))
    response = owner.post(f"/workbench/drafts/{draft_id}/deploy")
    assert response.status_code == 302 and versions(session) == 2
    assert "第 2 版" in text_of(owner.get(response.headers["Location"]))


def test_a_failing_draft_lists_reasons_and_does_not_deploy(app, session, users):
    owner, draft_id = new_draft(app, session, users)
    broken = PUBLIC_BPMN.replace('value="initial_review"', 'value="no_such_form"', 1).replace(
        'name="质量监督处"', 'name="财务科"', 1)
    owner.post(f"/workbench/drafts/{draft_id}/save", data={"bpmn_xml": broken})
    check = text_of(owner.get(f"/workbench/drafts/{draft_id}/check"))
    assert 'data-element-id="initial_review"' in check and "no_such_form" in check and "财务科" in check
    response = owner.post(f"/workbench/drafts/{draft_id}/deploy")
    assert response.status_code == 422 and "no_such_form" in text_of(response) and "财务科" in text_of(response)
    assert versions(session) == 1
    page = text_of(response)  # back on the draft page (the editor), not an error page, every reason listed
    assert 'id="editor-toolbar"' in page and 'id="deploy-refused"' in page and "422 ·" not in page
    listed = re.findall(r'<li data-element-id="([^"]*)">', page[page.index('id="deploy-problems"'):])
    assert "initial_review" in listed and len(listed) == len(drafts.problems(session, users["process_owner"], draft_id))
    assert "[initial_review]" not in page  # the id is the link, not repeated in the reason


def test_bad_saves_and_uploads_change_nothing(app, session, users):
    owner, draft_id = new_draft(app, session, users)
    attack = (CORPUS / "xxe_file_entity.bpmn").read_text(encoding="utf-8")
    response = owner.post(f"/workbench/drafts/{draft_id}/save", data={"bpmn_xml": attack}, follow_redirects=True)
    assert "DOCTYPE" in text_of(response)
    assert drafts.get_draft(session, users["process_owner"], draft_id).bpmn_xml == PUBLIC_BPMN
    bad = owner.post("/workbench/upload", data={"files": [(io.BytesIO(b"MZ\x90"), "tool.exe")]},
                     content_type="multipart/form-data")
    assert bad.status_code == 422 and "类型不允许" in text_of(bad)
    assert session.scalar(select(func.count()).select_from(ProcessDraft)) == 1


@pytest.mark.shared_corpus
def test_files_from_other_modelers_upload_and_download_unchanged(app, session, users):
    owner = client_for(app, users["process_owner"])
    for path in external_files():
        response = owner.post("/workbench/upload", data={"files": [(io.BytesIO(path.read_bytes()), path.name)]},
                              content_type="multipart/form-data")
        assert response.status_code == 302, text_of(response)
        draft_id = int(response.headers["Location"].rsplit("/", 1)[-1])
        download = owner.get(f"/workbench/drafts/{draft_id}/files/process.bpmn")
        assert download.data == path.read_bytes()
        assert "尚未部署，没有可对比的版本" in text_of(owner.get(f"/workbench/drafts/{draft_id}/diff"))
        assert "不能部署" in text_of(owner.get(f"/workbench/drafts/{draft_id}/check"))


def test_migration_page_dry_run_then_migrate(app, session, users):
    app_row = submit(session, users["applicant"], make_call(session))
    owner, draft_id = new_draft(app, session, users)
    owner.post(f"/workbench/drafts/{draft_id}/save",
               data={"bpmn_xml": PUBLIC_BPMN.replace('name="人才开发中心初审"', 'name="资格初审"')})
    owner.post(f"/workbench/drafts/{draft_id}/deploy")
    target = latest_version(session, "admission_public").id
    form = {"instance_ids": [str(app_row.instance_id)], "target": str(target)}
    dry = text_of(owner.post("/workbench/processes/admission_public/migrate", data=form | {"action": "dry_run"}))
    assert "试运行结果" in dry and "可以迁移" in dry
    assert session.get(ProcessInstance, app_row.instance_id).version_id != target
    done = text_of(owner.post("/workbench/processes/admission_public/migrate", data=form | {"action": "migrate"}))
    assert "已迁移" in done
    session.expire_all()
    assert session.get(ProcessInstance, app_row.instance_id).version_id == target
    assert "迁移版本" in text_of(owner.get(f"/instances/{app_row.instance_id}"))
    empty = owner.post("/workbench/processes/admission_public/migrate", data={"target": str(target), "action": "dry_run"})
    assert "请至少选择一个流程实例" in text_of(empty)


def test_instance_page_shows_its_own_version_with_marked_elements(app, session, users):
    app_row = submit(session, users["applicant"], make_call(session))
    html = text_of(client_for(app, users["talent_center"]).get(f"/instances/{app_row.instance_id}"))
    data = page_data(html, "instance-diagram-data")
    assert data["marks"]["active"] == ["initial_review"]
    assert {"start", "check_eligibility_task"} <= set(data["marks"]["completed"])
    assert data["xml"] == PUBLIC_BPMN and "bpmn-navigated-viewer" in html


def test_vendor_assets_are_served_locally(app, users):
    client = client_for(app, users["process_owner"])
    for path in ("/vendor/dmn-js/dmn-modeler.production.min.js", "/vendor/properties-panel/properties-panel.css",
                 "/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js", "/static/workbench/viewer.js"):
        assert client.get(path).status_code == 200, path
    assert client.get("/vendor/workbench/../package.json").status_code == 404


@pytest.mark.usefixtures("groups_restored")
def test_group_change_proposal_from_the_page(app, session, users):
    e = experts_with_users(session, 3)
    gid = group(session, "supervision_sampling").id
    form = {"group_id": str(gid), "leader": str(e[0].id), "deputies": [str(e[1].id)], "reason": "调整"}
    bad = client_for(app, users["quality_division"]).post("/workbench/groups/propose/appoint", data=form)
    assert bad.status_code == 422 and "副组长2—3名" in text_of(bad)
    assert session.scalar(select(func.count()).select_from(GroupChange)) == 0
    assert client_for(app, users["bureau_leader"]).post("/workbench/groups/propose/appoint", data=form).status_code == 403
    form["deputies"].append(str(e[2].id))
    ok = client_for(app, users["quality_division"]).post("/workbench/groups/propose/appoint", data=form)
    assert ok.status_code == 302
    change = session.scalars(select(GroupChange)).one()
    detail = text_of(client_for(app, users["bureau_leader"]).get(f"/workbench/groups/changes/{change.id}"))
    assert "专家001" in detail and "待局领导批准" in detail
    inbox = text_of(client_for(app, users["bureau_leader"]).get("/tasks"))
    assert "局领导审批专家组调整" in inbox and "组长专家001" in inbox


def test_every_post_form_carries_a_csrf_token(app, session, users):
    owner, draft_id = new_draft(app, session, users)
    pages = [owner.get(p) for p in ("/workbench", "/workbench/processes/admission_public", f"/workbench/drafts/{draft_id}",
                                    "/workbench/processes/admission_public/migrate")]
    pages.append(client_for(app, users["quality_division"]).get("/workbench/groups"))
    for page in pages:
        html = text_of(page)
        for form in re.findall(r'<form[^>]*method="post".*?</form>', html, re.S):
            assert 'name="csrf_token"' in form, form[:200]
