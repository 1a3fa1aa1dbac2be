"""流程记录 pages: instance list, version, tasks and full event history; access."""

from engine.core.models import ProcessVersion
from tests.support import make_call, make_user
from tests.webui.test_ui_support import PASS, advance, client_for, submit, text_of


def test_instance_list_and_detail_show_version_tasks_and_events(app, session, users):
    application = submit(session, users["applicant"], make_call(session))
    task = advance(session, users, application, "initial_review")
    client_for(app, users["talent_center"]).post(f"/tasks/{task.id}", data={**PASS, "comment": "同意进入审核"})
    auditor = client_for(app, users["auditor"])
    listing = text_of(auditor.get("/instances"))
    assert f'data-instance-id="{application.instance_id}"' in listing and "公开遴选入库" in listing
    assert f'data-instance-id="{application.instance_id}"' in text_of(auditor.get("/instances?status=running"))
    assert f'data-instance-id="{application.instance_id}"' not in text_of(auditor.get("/instances?status=completed"))

    version = session.query(ProcessVersion).filter_by(process_key="admission_public").order_by(
        ProcessVersion.version.desc()).first()
    page = text_of(auditor.get(f"/instances/{application.instance_id}"))
    assert f"第 {version.version} 版" in page and version.sha256[:12] in page and "admission_public" in page
    assert "林建华 — 公开遴选入库申请" in page and "进行中" in page
    assert "人才开发中心初审" in page and "质量监督处审核" in page
    assert "发起流程" in page and "办理任务" in page and "资格条件校验：符合" in page
    assert "通过" in page and "同意进入审核" in page and "&#34;decision&#34;" not in page  # words, not JSON


def test_instance_access(app, session, users):
    application = submit(session, users["applicant"], make_call(session))
    url = f"/instances/{application.instance_id}"
    assert client_for(app, users["applicant"]).get("/instances").status_code == 403
    assert client_for(app, users["applicant"]).get(url).status_code == 200  # own application
    assert client_for(app, make_user(session, "nosy", "applicant")).get(url).status_code == 403
    assert client_for(app, users["auditor"]).get("/instances/424242").status_code == 404
