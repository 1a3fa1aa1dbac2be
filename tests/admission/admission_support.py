"""Helpers of the admission tests (no tests here): admitting a person through the real flow, the JSON API,
and what "nothing changed" means for an admission."""

from sqlalchemy import func, select

from engine.admission import services as admission
from engine.admission.models import Application
from engine.core.models import ProcessInstance
from engine.experts.models import Expert
from engine.platform.models import Attachment
from tests.admission.test_admission_paths import SIGN, act, approve_to_commitment
from tests.support import T0, api_headers, application_form, make_user  # noqa: F401 (api_headers re-exported)

API = "/api/v1"


def admit(session, users, call, username: str = "admitted_applicant", **form) -> Expert:
    """A person who applied online in `call`, passed every review and signed: an active expert."""
    applicant = make_user(session, username, "applicant")
    values = application_form(**form)
    app = admission.submit_public(session, applicant, values, {}, T0, call.id)
    approve_to_commitment(session, users, app.id)
    act(session, app.id, applicant, SIGN | {"signature": values["name"]}, "sign_commitment")
    session.expire_all()
    return session.get(Expert, session.get(Application, app.id).expert_id)


def rows(session) -> tuple[int, int, int]:
    """How many applications, attachments and process instances exist (a refused submission adds none)."""
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Application, Attachment, ProcessInstance))




def api_submit(client, headers, call_id: int, form: dict, paper: bool = False):
    """POST a 推荐表 to the process start endpoint (the response, whatever its status)."""
    return client.post(f"{API}/processes/admission_public/instances", headers=headers,
                       json={"call_id": call_id, "form": form, "paper": paper})
