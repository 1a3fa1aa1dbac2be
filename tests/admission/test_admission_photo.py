"""A photo uploaded beside PDF proofs on the web 推荐表 stays the photo (issue 11 item 11): the application's photo
is the PNG, linked to the application, shown as the PNG, and the admitted expert's photo_id points to it."""

import io
import re

from engine.admission.models import Application
from engine.experts.models import Expert
from engine.platform.models import Attachment
from tests.admission.test_admission_paths import SIGN, act, approve_to_commitment
from tests.support import make_call
from tests.webui.test_ui_support import PDF, client_for, text_of, ui_application

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_the_photo_of_a_web_application_is_the_png_up_to_the_admitted_expert(app, session, users):
    call = make_call(session)
    applicant = client_for(app, users["applicant"])
    data = ui_application(call.id, files=[(io.BytesIO(PDF), "职称证书.pdf", "application/pdf"),
                                          (io.BytesIO(PDF), "单位意见.pdf", "application/pdf")])
    data["photo"] = (io.BytesIO(PNG), "证件照.png", "image/png")
    assert applicant.post("/applications/new", data=data, content_type="multipart/form-data").status_code == 302

    application = session.query(Application).one()
    stored = {a.filename: a for a in session.query(Attachment).order_by(Attachment.id)}
    assert application.form["photo"] == [stored["证件照.png"].id]
    assert application.form["attachments"] == [stored["职称证书.pdf"].id, stored["单位意见.pdf"].id]
    assert {a.application_id for a in stored.values()} == {application.id}  # the PNG is attached too
    page = text_of(applicant.get(f"/applications/{application.id}"))
    photo_row = re.search(r"<dt[^>]*>照片</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S).group(1)
    assert "证件照.png" in photo_row and ".pdf" not in photo_row

    approve_to_commitment(session, users, application.id)
    act(session, application.id, users["applicant"], SIGN, "sign_commitment")
    session.expire_all()
    expert = session.get(Expert, session.get(Application, application.id).expert_id)
    photo = session.get(Attachment, expert.photo_id)
    assert (photo.filename, photo.content_type, photo.data) == ("证件照.png", "image/png", PNG)
