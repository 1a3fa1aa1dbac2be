"""待办 inbox: role scoping, counts, filters, sort, pages, overdue marks, claim / unclaim."""

from datetime import timedelta

from sqlalchemy import select

from engine.admission import services as admission
from engine.core.models import HumanTask
from tests.support import T0, application_form, id_number, make_call, make_user
from tests.webui.test_ui_support import advance, client_for, pdf, submit, text_of, ui_application


def test_login_required(app, session):
    response = client_for(app).get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_after_ui_submission_talent_center_sees_initial_review_and_others_do_not(app, session, users):
    call = make_call(session)
    applicant = client_for(app, users["applicant"])
    response = applicant.post("/applications/new", data=ui_application(call.id), content_type="multipart/form-data")
    assert response.status_code == 302, text_of(response)

    page = text_of(client_for(app, users["talent_center"]).get("/"))
    assert "人才开发中心初审" in page and "林建华 — 公开遴选入库申请" in page
    assert 'id="total-count">1<' in page
    for role in ("quality_division", "bureau_leader", "applicant", "using_unit"):
        other = text_of(client_for(app, users[role]).get("/tasks"))
        assert "林建华 — 公开遴选入库申请" not in other, role
        assert 'id="total-count">0<' in other


def test_counts_filters_and_sort(app, session, users):
    call = make_call(session)
    first = submit(session, users["applicant"], call, name="甲专家")
    second_applicant = make_user(session, "applicant2", "applicant")
    second = submit(session, second_applicant, call, name="乙专家", id_number=id_number(124))
    advance(session, users, second, "division_review")
    tc = client_for(app, users["talent_center"])
    page = text_of(tc.get("/"))
    assert "甲专家" in page and "乙专家" not in page  # 乙 moved on to quality_division

    qd = client_for(app, users["quality_division"])
    assert "乙专家" in text_of(qd.get("/tasks?process=admission_public&step=division_review"))
    assert "乙专家" not in text_of(qd.get("/tasks?step=initial_review"))
    assert "乙专家" not in text_of(qd.get("/tasks?claimed=mine"))
    assert "乙专家" in text_of(qd.get("/tasks?claimed=unclaimed&sort=-created"))
    assert tc.get("/tasks?sort=bogus&unit=x").status_code == 200
    assert first.id != second.id


def test_overdue_mark_and_filter(app, session, users):
    submit(session, users["applicant"], make_call(session))
    tc = client_for(app, users["talent_center"])
    assert "已超期" not in text_of(tc.get("/"))
    app.config["FIXED_NOW"] = T0 + timedelta(days=6)  # initial review is due in 5 days
    page = text_of(tc.get("/"))
    assert "已超期" in page and 'id="overdue-count">1<' in page
    assert "林建华" in text_of(tc.get("/tasks?overdue=1"))
    app.config["FIXED_NOW"] = T0
    assert "林建华" not in text_of(tc.get("/tasks?overdue=1"))


def test_pagination_fifty_per_page(app, session, users):
    call = make_call(session)
    for i in range(56):  # 56 real applications, each waiting for 初审
        applicant = make_user(session, f"paging{i:02d}", "applicant")
        admission.submit_public(session, applicant, application_form(name=f"分页事项{i:02d}", id_number=id_number(i)),
                                {"attachments": [pdf()]}, T0 + timedelta(minutes=i), call.id)
    tc = client_for(app, users["talent_center"])
    first = text_of(tc.get("/tasks?sort=created"))
    assert first.count('data-task-id="') == 50 and "第 1 / 2 页" in first
    second = text_of(tc.get("/tasks?sort=created&page=2"))
    assert second.count('data-task-id="') == 6 and "分页事项55" in second and "分页事项00" not in second


def test_claim_and_unclaim(app, session, users):
    application = submit(session, users["applicant"], make_call(session))
    task = advance(session, users, application, "initial_review")
    tc = client_for(app, users["talent_center"])
    response = tc.post(f"/tasks/{task.id}/claim", data={"next": "/tasks?claimed=mine"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks?claimed=mine")
    session.expire_all()
    assert session.get(HumanTask, task.id).claimed_by == users["talent_center"].id
    assert "取消认领" in text_of(tc.get("/tasks?claimed=mine"))

    colleague = client_for(app, make_user(session, "tc_two", "talent_center", unit_code="prov_talent"))
    assert "已被他人认领" in text_of(colleague.get("/"))
    assert colleague.post(f"/tasks/{task.id}/claim").status_code == 409
    assert colleague.post(f"/tasks/{task.id}", data={"decision": "pass", "credit_checked": "on"}).status_code == 409

    response = tc.post(f"/tasks/{task.id}/unclaim", data={"next": "//evil.example/"})
    assert response.status_code == 302, text_of(response)
    assert response.headers["Location"] == "/tasks"
    session.expire_all()
    assert session.get(HumanTask, task.id).claimed_by is None
    assert session.scalars(select(HumanTask).where(HumanTask.state == "open")).all()
