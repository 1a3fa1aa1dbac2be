"""Issue 10: forms are part of a deployed version; an instance renders and validates its own version's forms."""

import copy

import pytest
from sqlalchemy import select

from engine.admission import services as admission
from engine.core.errors import ValidationFailed
from engine.core.models import HumanTask, ProcessVersion
from engine.deploy import versions as registry
from engine.deploy.versions import shipped_file
from engine.tasks import services as task_service
from tests.support import T0, application_form, id_number, make_call, make_user
from tests.webui.test_ui_support import PASS, client_for, open_task, pdf, submit, text_of

PUBLIC = shipped_file("admission_public.bpmn").read_text(encoding="utf-8")


def deploy_with_changed_review_form(session, owner) -> ProcessVersion:
    """Version 2 of admission_public whose 初审 form relabels a field and requires a new one."""
    forms = copy.deepcopy(registry.forms_for(PUBLIC))
    review = forms["initial_review"]
    review["fields"][0]["label"] = "初审结论（第二版）"
    review["fields"].append({"name": "v2_note", "type": "text", "label": "第二版新增说明", "required": True})
    version = registry.deploy(session, "admission_public", PUBLIC, registry.dmn_files_for(PUBLIC), owner, T0,
                              source="workbench", forms=forms)
    session.commit()
    return version


def test_each_instance_keeps_the_forms_of_its_version(app, session, users):
    call = make_call(session)
    old = submit(session, users["applicant"], call)
    v1 = session.scalar(select(ProcessVersion).where(ProcessVersion.process_key == "admission_public"))
    assert set(v1.forms) >= {"initial_review", "application", "division_review"}
    v2 = deploy_with_changed_review_form(session, users["process_owner"])
    assert v2.version == v1.version + 1 and v2.sha256 != v1.sha256

    tc = client_for(app, users["talent_center"])
    old_task = open_task(session, old)
    old_page = text_of(tc.get(f"/tasks/{old_task.id}"))
    assert "第二版" not in old_page  # the running instance still shows version 1's form
    task_service.complete(session, old_task.id, users["talent_center"], PASS, {}, T0)  # and validates by it

    other = make_user(session, "applicant_v2", "applicant")
    new = admission.submit_public(session, other, application_form(id_number=id_number(7)),
                                  {"attachments": [pdf()]}, T0, call.id)
    new_task = session.scalar(select(HumanTask).where(HumanTask.instance_id == new.instance_id,
                                                      HumanTask.state == "open"))
    assert "初审结论（第二版）" in text_of(tc.get(f"/tasks/{new_task.id}"))
    with pytest.raises(ValidationFailed) as failed:
        task_service.complete(session, new_task.id, users["talent_center"], PASS, {}, T0)
    assert "v2_note" in failed.value.errors

