"""The instance history in words (issue 13): who, when, which step and version, field by field with labels."""

import re

from sqlalchemy import select

from engine.admission import services as admission
from engine.core.models import ProcessInstance
from engine.platform.models import Attachment
from tests.admission.test_admission_paths import SCAN, act, approve_to_commitment
from tests.support import T0, application_form, make_call
from tests.webui.history_support import returned_then_passed
from tests.webui.test_ui_support import client_for, submit, text_of


def _timeline(page: str) -> str:
    return page[page.index('id="instance-timeline"'):]


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_timeline_tells_who_when_which_step_and_what_changed(app, session, users):
    application = submit(session, users["applicant"], make_call(session))
    returned_then_passed(app, session, users, application)
    version = session.get(ProcessInstance, application.instance_id).version.version
    html = _timeline(text_of(client_for(app, users["auditor"]).get(f"/instances/{application.instance_id}")))
    words = _plain(html)

    assert f"2026-03-02 09:00:00 （北京时间） · 第 {version} 版" in words  # T0 in Asia/Shanghai, its version
    assert "tc_staff （人才开发中心，省市场监管局人才开发中心） 办理任务 ： 人才开发中心初审" in words  # name, role, unit
    assert "资格条件校验：符合（职称路径）" in words  # the automatic step's result in words
    assert "初审结论 退回补正 已对照第七条知识技能要求逐项核查 是" in words  # labels and choice labels
    assert "补正说明 已更正联系电话" in words
    assert "初审结论 退回补正 → 通过" in words and "审查意见 请补正联系电话 →" in words  # the redone step: before → after
    assert "已核查失信被执行人等名单 是 → 是" not in words  # unchanged fields of a redone step are left out
    assert "<details><summary>" in html and "材料齐全，业绩突出。" * 12 in html  # the long opinion folds
    assert "commitment_period" not in words and "承诺书签署期限 14 天" in words  # start data in words, internal ids left out
    assert "application_id" not in words and "\\u" not in html and "&#34;" not in html and "{" not in words  # no JSON


def test_every_page_links_the_print_stylesheet(app, session, users):
    page = text_of(client_for(app, users["auditor"]).get("/instances"))
    assert 'href="/static/print.css" media="print"' in page
    css = text_of(client_for(app).get("/static/print.css"))
    assert "@media print" in css and "size: A4" in css and "nav, .navbar" in css


def test_timeline_links_the_attachments_a_step_uploaded(app, session, users):
    paper = admission.submit_public(session, users["talent_center"], application_form(name="郑立新"), {}, T0,
                                    make_call(session).id, paper=True)
    approve_to_commitment(session, users, paper.id)
    act(session, paper.id, users["talent_center"], {"agree": "on", "signature": "郑立新"}, "sign_commitment",
        files=SCAN)
    scan = session.scalar(select(Attachment).where(Attachment.filename == "承诺书签字页.pdf"))
    page = text_of(client_for(app, users["auditor"]).get(f"/instances/{paper.instance_id}"))
    assert f'<a href="/attachments/{scan.id}">承诺书签字页.pdf</a>' in _timeline(page)


def test_an_automatic_steps_result_reads_in_words_not_keys(app, session, users):
    application = submit(session, users["applicant"], make_call(session), field_years="1")  # ineligible
    page = text_of(client_for(app, users["talent_center"]).get(f"/instances/{application.instance_id}"))
    timeline = page.split('id="instance-timeline"')[1]  # (the diagram above carries the BPMN XML itself)
    assert "转人才开发中心初审：是" in timeline and "不符合项数：1" in timeline
    assert "referred" not in timeline and "application_id" not in timeline
