"""Who a 推荐表 is about, checked wherever one is submitted (online, paper entry, invitation, API, correction):
the ID number and 出生日期 (GB 11643, rules.identity), and one person in the pool once — an expert already in
the roster or a person with an application still open is refused at submission, not at the last step (Art 8)."""

from datetime import date

from sqlalchemy import select

from engine.admission.models import Application
from engine.admission.status import OPEN_STATUSES
from engine.core.errors import ValidationFailed
from engine.experts.models import Expert
from engine.experts.status import ExpertStatus
from rules.identity import identity_problems, normalize

IN_POOL = (ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED)


def _expert_message(status: str) -> str:
    if status in IN_POOL:
        return ("该身份证号的人员已是在库专家，不能重复申请入库：聘期届满前请通过“续聘”办理（可同时更新本人信息），"
                "调整所在专家组或担任组长、副组长请联系质量监督处办理“专家组调整”")
    label = ExpertStatus.labels().get(status, status)
    return (f"该身份证号的人员曾入选专家库（现状态：{label}），其专家记录仍在库中，不能通过入库申请再次入库；"
            "请联系人才开发中心核实处理")


def _open_application(session, id_number: str, application_id: int | None) -> Application | None:
    # The form is JSON: the open applications are few, so they are compared here rather than indexed.
    rows = session.scalars(select(Application).where(Application.status.in_(OPEN_STATUSES),
                                                     Application.id != (application_id or 0)))
    return next((a for a in rows if normalize((a.form or {}).get("id_number")) == id_number), None)


def duplicate_problem(session, id_number: str, application_id: int | None = None) -> str | None:
    """Why this person cannot apply now (already an expert, or another application open), else None."""
    status = session.scalar(select(Expert.status).where(Expert.id_number == id_number))
    if status is not None:
        return _expert_message(status)
    other = _open_application(session, id_number, application_id)
    if other is not None:
        return (f"该身份证号的人员已有一份正在办理的入库申请（编号 {other.id}），同一人员不能重复申请；"
                "请等待该申请办结，需修改的请在该申请中补正")
    return None


def check_person(session, cleaned: dict, today: date, application_id: int | None = None) -> dict:
    """Normalise the ID number of validated 推荐表 values and check it, 出生日期 and duplicates on `today`
    (the submission date); raises ValidationFailed with every problem by field, else returns `cleaned`."""
    cleaned["id_number"] = normalize(cleaned.get("id_number"))
    born = date.fromisoformat(cleaned["birth_date"]) if cleaned.get("birth_date") else None
    errors = identity_problems(cleaned["id_number"], born, today)
    if "id_number" not in errors:
        duplicate = duplicate_problem(session, cleaned["id_number"], application_id)
        if duplicate:
            errors["id_number"] = duplicate
    if errors:
        raise ValidationFailed(errors)
    return cleaned
