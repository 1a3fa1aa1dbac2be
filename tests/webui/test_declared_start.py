"""Issue 11 item 20: a process a process owner deploys under a new key in the workbench declares on its start
event who may start it; those users start it from the inbox page and the API, with its start form validated
like any form; other roles are refused and nothing changes. A new key without a declaration is refused at
deploy with the reason, and a shipped process (started by its procedure's own pages) may not declare one."""

from sqlalchemy import func, select

from engine.core.models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion
from engine.core.registry import latest_version
from engine.tasks import services as task_service
from tests.deploy.deploy_support import PUBLIC_BPMN
from tests.deploy.start_support import (
    CONTACT,
    KEY,
    REVIEW,
    api_headers,
    declare_starters,
    new_process_bpmn,
    upload_and_deploy,
)
from tests.support import T0
from tests.webui.test_ui_support import client_for, text_of


def instances(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(ProcessInstance).where(ProcessInstance.process_key == KEY))


def deployed(app, session, users, **declaration) -> ProcessVersion:
    response = upload_and_deploy(app, users["process_owner"], new_process_bpmn(**declaration))
    assert response.status_code == 302, text_of(response)
    return latest_version(session, KEY)


def test_the_declared_role_starts_the_new_process_from_the_inbox_page(app, session, users):
    version = deployed(app, session, users)
    assert version.start_declaration == {"roles": ["talent_center"], "form_key": "expert_contact", "event_id": "start"}
    center = client_for(app, users["talent_center"])
    inbox = text_of(center.get("/tasks"))
    assert "可发起的流程" in inbox and f'href="/start/{KEY}"' in inbox and "发起：专家联系方式核对" in inbox
    page = text_of(center.get(f"/start/{KEY}"))
    assert "更新联系方式与工作单位" in page and 'name="phone"' in page and "发起角色：人才开发中心" in page

    bad = center.post(f"/start/{KEY}", data=CONTACT | {"phone": "12345", "unit_name": ""})
    assert bad.status_code == 422
    assert "请填写有效的手机号或固定电话" in text_of(bad) and "工作单位：此项为必填项" in text_of(bad)
    assert instances(session) == 0

    started = center.post(f"/start/{KEY}", data=CONTACT)
    assert started.status_code == 302 and instances(session) == 1
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.process_key == KEY))
    assert started.headers["Location"].endswith(f"/instances/{instance.id}")
    followed = text_of(center.get(started.headers["Location"]))
    assert "已发起：专家联系方式核对" in followed and "质量监督处核对" in followed
    assert (instance.started_by, instance.unit_id, instance.version_id) == (
        users["talent_center"].id, users["talent_center"].unit_id, version.id)
    event = session.scalar(select(AuditEvent).where(AuditEvent.instance_id == instance.id,
                                                    AuditEvent.action == "instance_started"))
    assert event.data_after["data"]["start"]["unit_name"] == "福建省计量科学研究院"
    (task,) = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).all()
    assert (task.bpmn_id, task.lane_role) == ("review", "quality_division")
    task_service.complete(session, task.id, users["quality_division"], REVIEW, {}, T0)
    session.expire_all()
    assert session.get(ProcessInstance, instance.id).status == "completed"


def test_the_declared_role_starts_it_through_the_api(app, session, users):
    deployed(app, session, users)
    client = app.test_client()
    headers = api_headers(client, users["talent_center"])
    listed = client.get("/api/v1/processes", headers=headers).get_json()["items"]
    (entry,) = [i for i in listed if i["process_key"] == KEY]
    assert entry["start_roles"] == ["人才开发中心"] and entry["form"]["title"] == "更新联系方式与工作单位"

    bad = client.post(f"/api/v1/processes/{KEY}/instances", headers=headers, json={"form": {"phone": "1"}})
    assert bad.status_code == 422 and {"phone", "unit_name"} <= set(bad.get_json()["error"]["fields"])
    not_object = client.post(f"/api/v1/processes/{KEY}/instances", headers=headers, json={"form": ["x"]})
    assert not_object.status_code == 400 and "form" in not_object.get_json()["error"]["message"]
    assert instances(session) == 0

    created = client.post(f"/api/v1/processes/{KEY}/instances", headers=headers, json={"form": CONTACT})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["process_key"] == KEY and body["status"] == "running" and body["version"] == 1
    assert created.headers["Location"] == f"/api/v1/instances/{body['instance_id']}"
    shown = client.get(f"/api/v1/instances/{body['instance_id']}", headers=headers).get_json()
    assert [t["bpmn_id"] for t in shown["tasks"]] == ["review"]


def test_other_roles_are_refused_on_the_page_and_the_api_and_nothing_changes(app, session, users):
    deployed(app, session, users)
    for role in ("quality_division", "applicant", "process_owner"):
        web = client_for(app, users[role])
        assert "可发起的流程" not in text_of(web.get("/tasks"))
        assert web.get(f"/start/{KEY}").status_code == 403
        refused = web.post(f"/start/{KEY}", data=CONTACT)
        assert refused.status_code == 403 and "无权发起" in text_of(refused)
        client = app.test_client()
        headers = api_headers(client, users[role])
        assert KEY not in {i["process_key"] for i in client.get("/api/v1/processes", headers=headers).get_json()["items"]}
        denied = client.post(f"/api/v1/processes/{KEY}/instances", headers=headers, json={"form": CONTACT})
        assert denied.status_code == 403 and "无权发起" in denied.get_json()["error"]["message"]
    assert instances(session) == 0
    assert client_for(app).get(f"/start/{KEY}").status_code == 302  # anonymous: to the login page


def test_a_new_key_without_starters_is_refused_at_deploy_with_the_reason(app, session, users):
    response = upload_and_deploy(app, users["process_owner"], new_process_bpmn(start_roles=None))
    assert response.status_code == 422
    assert "新流程须在开始事件“提交核对”上声明发起角色（startRoles" in text_of(response)
    unknown = upload_and_deploy(app, users["process_owner"], new_process_bpmn(start_roles="人才开发中心、财务处"))
    assert unknown.status_code == 422 and "发起角色“财务处”不是可登录用户的角色" in text_of(unknown)
    assert session.scalar(select(func.count()).select_from(ProcessVersion).where(ProcessVersion.process_key == KEY)) == 0


def test_a_shipped_process_may_not_declare_starters_and_is_not_started_here(app, session, users):
    declared = declare_starters(PUBLIC_BPMN, "质量监督处")
    owner = client_for(app, users["process_owner"])
    draft = owner.post(f"/workbench/versions/{latest_version(session, 'admission_public').id}/draft")
    draft_id = int(draft.headers["Location"].rsplit("/", 1)[-1])
    owner.post(f"/workbench/drafts/{draft_id}/save", data={"bpmn_xml": declared})
    response = owner.post(f"/workbench/drafts/{draft_id}/deploy")
    assert response.status_code == 422 and "随专家库发布，由其专用页面发起" in text_of(response)
    assert latest_version(session, "admission_public").version == 1
    quality = client_for(app, users["quality_division"])
    assert quality.get("/start/admission_public").status_code == 404
    assert quality.get("/start/no_such_process").status_code == 404


def test_a_process_without_a_start_form_starts_with_one_click(app, session, users):
    deployed(app, session, users, start_roles="质量监督处 人才开发中心", form_key=None)
    quality = client_for(app, users["quality_division"])
    assert "该流程发起时无需填写表单" in text_of(quality.get(f"/start/{KEY}"))
    assert quality.post(f"/start/{KEY}").status_code == 302 and instances(session) == 1
    client = app.test_client()
    created = client.post(f"/api/v1/processes/{KEY}/instances", headers=api_headers(client, users["talent_center"]),
                          json={})
    assert created.status_code == 201 and instances(session) == 2
