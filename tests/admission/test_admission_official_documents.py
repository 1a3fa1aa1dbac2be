"""The official documents of an admission (issue 13, Art 8): the 推荐表 (附件1, with the photo), the 专家履职承诺书
(附件2, signed online or on paper with its scan linked), the 聘书 (number and term) and the 入库名单 of the 正式发文
(groups and 组长/副组长 proposals) — downloaded as DOCX for people admitted through the real flow, read back with
python-docx, personal data masked for roles that do not see it, and refused with a Chinese message otherwise."""

import io

from sqlalchemy import select

from engine.admission import services as admission
from engine.admission.models import Application
from engine.evaluation import campaign
from engine.evaluation.models import Evaluation
from engine.experts.models import Expert
from tests.admission.documents_support import cell_right_of, png, read_docx
from tests.admission.test_admission_paths import DOC, PASS, SCAN, SIGN, act
from tests.experts.roster_support import DEC1
from tests.experts.roster_support import act as act_on
from tests.support import T0, application_form, id_number, make_call, make_user
from tests.webui.test_ui_support import PDF, client_for, text_of, ui_application

LEADER = {"decision": "pass", "propose_role": "leader", "propose_group": "risk_monitoring"}
ID = application_form()["id_number"]


def _approve(session, users, app_id: int, division: dict) -> None:
    act(session, app_id, users["talent_center"], PASS, "initial_review")
    act(session, app_id, users["quality_division"], division, "division_review")
    act(session, app_id, users["bureau_leader"], {"decision": "approve"}, "leader_approval")
    act(session, app_id, users["talent_center"], DOC, "record_document")


def _web_admission(app, session, users, call, photo: bytes | None = None) -> Application:
    """The applicant applies on the web with a photo; proposed as 风险监控组组长; approved; signs online."""
    data = ui_application(call.id, files=[(io.BytesIO(PDF), "职称证书.pdf", "application/pdf")])
    data["photo"] = (io.BytesIO(photo or png()), "证件照.png", "image/png")
    applicant = client_for(app, users["applicant"])
    assert applicant.post("/applications/new", data=data, content_type="multipart/form-data").status_code == 302
    application = session.query(Application).one()
    _approve(session, users, application.id, LEADER)
    act(session, application.id, users["applicant"], SIGN, "sign_commitment")
    session.expire_all()
    return session.get(Application, application.id)


def test_the_documents_of_an_online_admission_read_back_with_the_record(app, session, users):
    application = _web_admission(app, session, users, make_call(session))
    expert = session.get(Expert, application.expert_id)
    applicant = client_for(app, users["applicant"])

    page = text_of(applicant.get(f"/applications/{application.id}"))
    assert f"/applications/{application.id}/recommendation.docx" in page
    assert f"/experts/{expert.id}/certificate.docx" in page and "/admission/list.docx" not in page  # staff only
    form, text = read_docx(applicant.get(f"/applications/{application.id}/recommendation.docx"))
    assert "附件1" in text and "福建省产品质量安全监管专家推荐表" in text
    assert cell_right_of(form, "姓名") == "林建华" and cell_right_of(form, "工作单位") == "福建省产品质量检验研究院"
    assert cell_right_of(form, "身份证号码") == ID and cell_right_of(form, "联系方式") == "13805912345"  # own data
    assert "☑监督抽查组" in text and "☑风险监控组" in text and "□综合工作组" in text
    assert "承诺人签字：林建华    2026年03月02日" in text
    assert len(form.inline_shapes) == 1  # the photo, in its cell

    _, commitment = read_docx(applicant.get(f"/applications/{application.id}/commitment.docx"))
    assert "附件2" in commitment and "专家履职承诺书" in commitment and "在3年任期内认真履职" in commitment
    assert "承诺人：林建华" in commitment and "2026年03月02日" in commitment and "在线签署" in commitment

    _, certificate = read_docx(applicant.get(f"/experts/{expert.id}/certificate.docx"))
    assert "证书编号：闽质安专聘〔2026〕0001号" in certificate
    assert "兹聘请林建华同志（福建省产品质量检验研究院）" in certificate
    assert "2026年03月02日至2029年03月01日" in certificate and "监督抽查组、风险监控组" in certificate

    staff = client_for(app, users["talent_center"])
    assert "/admission/list.docx?doc_no=" in text_of(staff.get(f"/experts/{expert.id}"))
    table, names = read_docx(staff.get("/admission/list.docx", query_string={"doc_no": DOC["doc_no"]}))
    assert "入库专家名单" in names and DOC["doc_no"] in names
    row = [c.text for c in table.tables[0].rows[1].cells]
    assert row[:3] == ["1", "林建华", "福建省产品质量检验研究院"] and row[4] == "监督抽查组、风险监控组"
    assert row[5] == "风险监控组组长" and row[6] == "闽质安专聘〔2026〕0001号"


def test_the_id_number_and_phone_are_masked_for_a_role_that_does_not_see_personal_data(app, session, users):
    application = _web_admission(app, session, users, make_call(session))
    leader = client_for(app, users["bureau_leader"])  # reads every application, sees_pii off
    form, _ = read_docx(leader.get(f"/applications/{application.id}/recommendation.docx"))
    assert cell_right_of(form, "身份证号码") == "3501**********1233" and cell_right_of(form, "联系方式") == "138****2345"
    form, text = read_docx(leader.get(f"/experts/{application.expert_id}/recommendation.docx"))
    assert cell_right_of(form, "身份证号码") == "3501**********1233" and ID not in text
    form, _ = read_docx(client_for(app, users["talent_center"]).get(
        f"/experts/{application.expert_id}/recommendation.docx"))
    assert cell_right_of(form, "身份证号码") == ID


def test_a_paper_commitment_names_and_links_the_signed_scan(app, session, users):
    tc = users["talent_center"]
    paper = admission.submit_public(session, tc, application_form(name="郑立新", id_number=id_number(3)), {}, T0,
                                    make_call(session).id, paper=True)
    staff = client_for(app, tc)
    _, blank = read_docx(staff.get(f"/applications/{paper.id}/commitment.docx"))
    assert "承诺人：\n" in blank and "扫描件" not in blank  # printed for the person to sign by hand
    _approve(session, users, paper.id, {"decision": "pass", "propose_role": "none"})
    act(session, paper.id, tc, SIGN | {"signature": "郑立新"}, "sign_commitment", files=SCAN)
    session.expire_all()
    expert = session.get(Expert, session.get(Application, paper.id).expert_id)
    for url in (f"/applications/{paper.id}/commitment.docx", f"/experts/{expert.id}/commitment.docx"):
        _, text = read_docx(staff.get(url))
        assert "承诺人：郑立新" in text
        assert f"本人签字的承诺书扫描件：承诺书签字页.pdf（http://localhost/attachments/{expert.commitment_scan_id}）" in text


def test_documents_are_refused_to_others_and_for_unknown_documents_with_a_message(app, session, users):
    application = _web_admission(app, session, users, make_call(session))
    other = client_for(app, make_user(session, "other_applicant", "applicant"))
    for url in (f"/applications/{application.id}/recommendation.docx",
                f"/experts/{application.expert_id}/certificate.docx", "/admission/list.docx?doc_no=x"):
        assert other.get(url).status_code == 403
    staff = client_for(app, users["talent_center"])
    missing = staff.get("/admission/list.docx", query_string={"doc_no": "闽市监函〔2026〕99号"})
    assert missing.status_code == 404 and "没有以“闽市监函〔2026〕99号”正式发文入库的专家" in text_of(missing)
    empty = staff.get("/admission/list.docx")
    assert empty.status_code == 422 and "请填写正式发文的文号" in text_of(empty)
    assert staff.get(f"/applications/{application.id}/other.docx").status_code == 404


def test_the_experts_pages_link_the_documents_and_the_final_evaluation_form(app, session, users):
    application = _web_admission(app, session, users, make_call(session))
    expert = session.get(Expert, application.expert_id)
    app.config["FIXED_NOW"] = DEC1
    campaign.year_end_job(session, DEC1)  # the December campaign (Art 14) opens a 评价表 for the new expert
    form = session.scalar(select(Evaluation).where(Evaluation.expert_id == expert.id))
    staff, own = client_for(app, users["talent_center"]), client_for(app, users["applicant"])
    docx_link = f"/yearly/evaluations/{form.id}/form.docx"
    assert docx_link not in text_of(staff.get(f"/experts/{expert.id}"))  # not final yet: no 评价表 to print
    act_on(session, form.instance_id, users["talent_center"], {"overall_rating": "good", "opinion": "履职认真"},
        "center_evaluation")

    page = text_of(staff.get(f"/experts/{expert.id}"))
    assert docx_link in page and "2026年度履职情况评价表（附件3）" in page
    assert f"/experts/{expert.id}/recommendation.docx" in page
    table, text = read_docx(staff.get(docx_link))
    assert "专家履职情况评价表" in text and "林建华" in text and "☑良好" in text and "履职认真" in text
    mine = text_of(own.get("/yearly/me"))
    assert docx_link in mine and f"/experts/{expert.id}/certificate.docx" in mine
    assert f"/experts/{expert.id}/commitment.docx" in mine
    assert docx_link not in text_of(client_for(app, users["using_unit"]).get(f"/experts/{expert.id}"))


def test_a_photo_python_docx_cannot_place_is_named_instead(app, session, users):
    broken = b"\x89PNG\r\n\x1a\n" + b"\0" * 64  # passes the upload's magic-byte check, not an image parser
    application = _web_admission(app, session, users, make_call(session), photo=broken)
    form, text = read_docx(client_for(app, users["talent_center"]).get(
        f"/applications/{application.id}/recommendation.docx"))
    assert "（见附件：证件照.png）" in text and len(form.inline_shapes) == 0


def test_a_recommendation_printed_in_full_for_someone_else_is_a_recorded_view(app, session, users):
    from sqlalchemy import func

    from engine.core.models import AuditEvent
    from tests.webui.test_ui_support import submit

    def views() -> int:
        session.expire_all()
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "pii_viewed"))

    application = submit(session, users["applicant"], make_call(session))
    before = views()
    own = client_for(app, users["applicant"]).get(f"/applications/{application.id}/recommendation.docx")
    assert own.status_code == 200 and views() == before  # one's own data: nothing to record
    staff = client_for(app, users["talent_center"]).get(f"/applications/{application.id}/recommendation.docx")
    assert staff.status_code == 200 and views() == before + 1
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "pii_viewed").order_by(AuditEvent.id.desc()))
    assert event.data_after["page"] == "推荐表（DOCX）" and "id_number" in event.data_after["fields"]
