"""Who is told what in admission (Art 8): the applicant and whoever entered the application hear of 退回补正,
不予通过, 请签订承诺书 and 入库 — in-app and by e-mail (engine.platform.notifications), in the unit of work of
the step that decides it, so a rolled-back decision tells nobody. A notice that asks for something links to
the recipient's own task (the correction form, the 承诺书); otherwise to the application page."""

import re
from datetime import datetime, timedelta

from engine.admission.models import Application
from engine.platform.notifications import notify, task_link
from engine.platform.settings import LOCAL_TZ, commitment_period

MEASURES = "《福建省产品质量安全监管专家库管理办法（试行）》"
STAGES = {"initial_review": "人才开发中心初审", "division_review": "质量监督处审核", "leader_approval": "省市场监管局领导审批"}


def case_link(app: Application) -> str:
    """The application page (its owner, whoever entered it, and staff may open it)."""
    return f"/applications/{app.id}"


def _people(app: Application) -> list[int]:
    """The applicant's account and whoever entered the application (paper / invitation: a staff member)."""
    return [i for i in dict.fromkeys((app.applicant_user_id, app.entered_by)) if i is not None]


def _label(app: Application) -> str:
    return f"{app.name}的入库申请（编号 {app.id}）"


def returned(session, app: Application, comment: str | None, now: datetime) -> None:
    """初审 returned the application for correction (Art 8(一)3): say what to correct, link the form."""
    said = (comment or "").strip() or "（未填写）"
    notify(session, _people(app), f"入库申请退回补正（编号 {app.id}）",
           f"{_label(app)}经人才开发中心初审，需要补正材料（{MEASURES}第八条第（一）项）。\n补正说明：{said}\n"
           "请登录系统，按补正说明修改《推荐表》及证明材料后重新提交。", now,
           link=task_link(app.instance_id, case_link(app)))


def rejected(session, app: Application, stage: str, comment: str | None, now: datetime) -> None:
    """The application was not passed at `stage`; only 初审's opinion (written for the applicant) is quoted."""
    said = (comment or "").strip() if stage == "initial_review" else ""
    notify(session, _people(app), f"入库申请未予通过（编号 {app.id}）",
           f"{_label(app)}经{STAGES.get(stage, '审核')}，未予通过（{MEASURES}第八条）。"
           + (f"\n审查意见：{said}" if said else ""), now, link=case_link(app))


def _commitment_days() -> int:
    found = re.fullmatch(r"P(\d+)D", commitment_period())
    return int(found.group(1)) if found else 14


def commitment_due(session, app: Application, doc_no: str, now: datetime) -> None:
    """Art 8: approved and announced — the 承诺书 must be signed (the task's timer ends the admission unsigned)."""
    until = (now + timedelta(days=_commitment_days())).astimezone(LOCAL_TZ)  # when the task's timer fires
    notify(session, _people(app), f"请签订《专家履职承诺书》（编号 {app.id}）",
           f"{_label(app)}已经省市场监管局领导批准并正式发文（{doc_no}）。根据{MEASURES}第八条，入库专家应签订"
           f"《专家履职承诺书》，未签订的不得入库。\n请于 {until:%Y-%m-%d %H:%M} 前登录系统签署，逾期未签的不予入库。",
           now, link=task_link(app.instance_id, case_link(app)))


def admitted(session, app: Application, doc_no: str, term_start, term_end, certificate_no: str,
             now: datetime) -> None:
    """Art 8: admitted to the pool for 3 years, with the certificate number."""
    notify(session, _people(app), f"入库通知：已纳入专家库（编号 {app.id}）",
           f"根据{doc_no}，{app.name}已纳入福建省产品质量安全监管专家库（{MEASURES}第八条），聘期3年，"
           f"自 {term_start.isoformat()} 至 {term_end.isoformat()}，聘书编号 {certificate_no}。", now,
           link=case_link(app))


def lapsed(session, app: Application, now: datetime) -> None:
    """Art 8: the 承诺书 was not signed in time — the person is not admitted."""
    notify(session, _people(app), f"未在期限内签订承诺书，不予入库（编号 {app.id}）",
           f"{_label(app)}未在规定期限内签订《专家履职承诺书》。根据{MEASURES}第八条，未签订《专家履职承诺书》的，"
           "不得入库。如有疑问，请联系省市场监管局人才开发中心。", now, link=case_link(app))
