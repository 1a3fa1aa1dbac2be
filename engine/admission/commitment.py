"""The 专家履职承诺书 (附件2; Art 8: 未签订的，不得入库). An applicant with an account signs it personally; for a
person without one (paper 推荐表, invitation) the staff member who entered the case records the paper signature
with the signed scan, which stays linked from the application and the admitted expert's record."""

from sqlalchemy import select

from engine.admission.models import Application
from engine.admission.services import application_for_instance
from engine.core.contributions import Contributions
from engine.core.errors import ValidationFailed
from engine.core.scripting import HostContext
from engine.platform.models import Attachment

exports = Contributions()  # installed by engine.bootstrap


def _same_name(signature: str | None, name: str) -> bool:
    return "".join((signature or "").split()) == "".join(name.split())


def commitment_problems(app: Application, actor_id: int, signature: str | None, scan_ids: list) -> dict[str, str]:
    """Why this signature does not count as the person's own (empty when it does)."""
    if app.applicant_user_id is not None and actor_id != app.applicant_user_id:
        return {"signature": "该专家有本人账号，承诺书须由本人登录签署，他人不能代签"}
    problems = {}
    if not _same_name(signature, app.name):
        problems["signature"] = f"承诺人签名应为专家本人姓名“{app.name}”"
    if app.applicant_user_id is None and not scan_ids:
        problems["signed_scan"] = ("该专家没有本人账号，代为登记承诺书时须上传专家本人签字的承诺书扫描件"
                                   "（第八条：未签订《专家履职承诺书》的，不得入库）")
    return problems


@exports.form_hook("sign_commitment")
def record_commitment(ctx: HostContext, task_row, cleaned: dict) -> dict:
    """Art 8: accept only the person's own signature (online, or the signed paper scan) and record it."""
    app = application_for_instance(ctx.session, task_row.instance_id)
    if app is None:  # a form reused outside admission has no application to record on
        return cleaned
    scan_ids = [int(i) for i in cleaned.get("signed_scan") or []]
    problems = commitment_problems(app, ctx.actor.id, cleaned.get("signature"), scan_ids)
    if problems:
        raise ValidationFailed(problems)
    for scan in ctx.session.scalars(select(Attachment).where(Attachment.id.in_(scan_ids))):
        scan.application_id = app.id  # downloadable by the application's owner and staff
    app.commitment = {"signed_at": ctx.now.isoformat(), "signed_by": ctx.actor.id,
                      "personal": app.applicant_user_id is not None, "signature": cleaned.get("signature"),
                      "scan_ids": scan_ids}
    return cleaned
