"""One source for the usage record's choice labels — the usage_record form's choices: the 评价表 page, its DOCX,
the frozen snapshot and the request page all say what the using unit chose (e.g. 基本遵守, never `minor`)."""

import io
from datetime import UTC, datetime

import pytest
from docx import Document
from sqlalchemy import select

from engine.core.forms import load_form
from engine.evaluation import campaign
from engine.evaluation.models import Evaluation
from engine.experts import usage_labels
from tests import assignment_support as assignment
from tests.experts.roster_support import DEC1, act
from tests.webui.test_ui_support import client_for, text_of

AFTER_THE_WORK = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)  # the request's work ran 16–18 March 2026
USAGE = {"completion": "partial", "professional_level": "excellent", "attitude": "fair",
         "commitment_compliance": "minor", "comment": "方案评审意见扎实，但一次未按约定时间到场"}
SHOWN = "完成情况：部分完成，专业水平：优秀，工作态度：一般，遵守承诺：基本遵守"


@pytest.fixture()
def used(session, users):
    """An expert drawn, confirmed and used in March 2026, the unit recording 基本遵守 (`minor`) on its usage form;
    the 2026 campaign launched on 1 December: (request, 评价表)."""
    expert = assignment.make_expert(session, "林建华", group="quality_assistance")
    request = assignment.create(session, users["using_unit"], n_experts="1", n_backups="0",
                                group_code="quality_assistance")
    (row,) = assignment.engagements(session, request.id)
    assignment.answer(session, row, assignment.CONFIRM)
    assert assignment.complete_all(session, request, "record_usage", users["using_unit"], USAGE,
                                   now=AFTER_THE_WORK) == 1
    campaign.year_end_job(session, DEC1)
    return request, session.scalar(select(Evaluation).where(Evaluation.expert_id == expert.id))


def test_the_form_page_docx_and_snapshot_show_the_forms_labels(app, session, users, used):
    request, form = used
    tc = client_for(app, users["talent_center"])
    page = text_of(tc.get(f"/yearly/evaluations/{form.id}"))
    assert SHOWN in page and "minor" not in page
    docx = Document(io.BytesIO(tc.get(f"/yearly/evaluations/{form.id}/form.docx").data))
    assert SHOWN in docx.tables[0].rows[2].cells[0].text
    act(session, form.instance_id, users["talent_center"], {"overall_rating": "good", "opinion": "完成情况良好"},
        "center_evaluation")
    session.expire_all()
    (frozen,) = session.get(Evaluation, form.id).usage_snapshot
    assert (frozen["completion"], frozen["professional_level"], frozen["attitude"],
            frozen["commitment_compliance"]) == ("部分完成", "优秀", "一般", "基本遵守")
    final = text_of(tc.get(f"/yearly/evaluations/{form.id}"))
    assert SHOWN in final and "minor" not in final
    unit_page = text_of(client_for(app, users["using_unit"]).get(f"/assignment/requests/{request.id}"))
    assert "基本遵守承诺" in unit_page and "minor" not in unit_page


def test_a_snapshot_frozen_with_a_raw_code_is_shown_with_its_label(app, session, users, used):
    """Forms finalized before kept what the old label map returned: the code `minor` itself."""
    _, form = used
    act(session, form.instance_id, users["talent_center"], {"overall_rating": "good", "opinion": "完成情况良好"},
        "center_evaluation")
    session.expire_all()
    row = session.get(Evaluation, form.id)
    row.usage_snapshot = [row.usage_snapshot[0] | {"commitment_compliance": "minor"}]
    session.commit()
    page = text_of(client_for(app, users["talent_center"]).get(f"/yearly/evaluations/{form.id}"))
    assert SHOWN in page and "minor" not in page


def test_every_label_is_the_forms_own():
    fields = {f["name"]: dict(map(tuple, f["choices"])) for f in load_form("usage_record")["fields"]
              if f["type"] == "choice"}
    assert set(fields) == set(usage_labels.FIELDS)
    for name, choices in fields.items():
        for code, label in choices.items():
            assert usage_labels.label(name, code) == label
