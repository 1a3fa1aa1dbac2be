"""Admission's last step (Art 8): the expert enters the pool with a 3-year term and a certificate."""

from datetime import date, datetime

from sqlalchemy import select

from engine.admission import notices, ports
from engine.admission.models import Application
from engine.admission.status import ApplicationStatus
from engine.core.contributions import Contributions
from engine.core.errors import Conflict, NotFound
from engine.core.scripting import HostContext
from engine.experts.models import Expert, ExpertGroup, GroupMembership
from engine.experts.roster import certificate_number, term_end
from engine.experts.status import ExpertStatus
from engine.platform import policy
from engine.platform.models import User, UserRole
from engine.platform.settings import TERM_YEARS

exports = Contributions()  # installed by engine.bootstrap

EXPERT_FIELDS = ("name", "gender", "political_status", "education", "phone", "email", "id_number", "unit_name",
                 "position", "rank_level", "title", "title_level", "field_years", "work_history", "specialties")


def _signed(app: Application) -> tuple[datetime, int | None]:
    """When the 承诺书 was signed and its paper scan; Art 8: without a signed one nobody is admitted."""
    if not app.commitment:
        raise Conflict("未签订《专家履职承诺书》的，不得入库（第八条）")
    return datetime.fromisoformat(app.commitment["signed_at"]), next(iter(app.commitment.get("scan_ids") or []), None)


def _grant_expert_role(session, user_id: int | None) -> None:
    if user_id is None:
        return
    user = session.get(User, user_id)
    if user is not None and policy.EXPERT not in user.roles:
        user.role_links.append(UserRole(user_id=user.id, role_code=policy.EXPERT))


@exports.host_function("admit_expert")
def admit_expert(ctx: HostContext, application_id, doc_no, doc_date) -> dict:
    """Create the expert from the application: active, term from the document date, certificate no."""
    session = ctx.session
    app = session.get(Application, int(application_id))
    if app is None:
        raise NotFound(f"申请 {application_id} 不存在")
    if app.expert_id is not None:
        raise Conflict("该申请已入库")
    form, start = app.form, date.fromisoformat(doc_date)
    signed_at, scan_id = _signed(app)
    if session.scalar(select(Expert.id).where(Expert.id_number == form["id_number"])):
        raise Conflict(f"身份证号 {form['id_number'][-4:]} 的专家已在库中")
    expert = Expert(**{f: form.get(f) for f in EXPERT_FIELDS}, birth_date=date.fromisoformat(form["birth_date"]),
                    work_areas=form.get("work_areas") or [], photo_id=(form.get("photo") or [None])[0],
                    status=ExpertStatus.ACTIVE, term_start=start, term_end=term_end(start, TERM_YEARS),
                    certificate_no=certificate_number(session, start.year), admission_doc_no=doc_no,
                    admission_route=app.route, application_id=app.id, user_id=app.applicant_user_id,
                    commitment_signed_at=signed_at, commitment_scan_id=scan_id, created_at=ctx.now)
    groups = session.scalars(select(ExpertGroup).where(ExpertGroup.code.in_(app.groups))).all()
    expert.memberships = [GroupMembership(group_id=g.id, position="member") for g in groups]
    session.add(expert)
    session.flush()
    _grant_expert_role(session, app.applicant_user_id)
    proposal = app.position_proposal
    if proposal:  # quality_division's 组长建议 (Art 8(一)3) goes on as a pending appointment of the group
        ports.propose_group_position(session, expert.id, proposal["group"], proposal["position"], proposal.get("by"),
                                     app.id, ctx.now)
    app.expert_id, app.status, app.status_stage = expert.id, ApplicationStatus.ADMITTED, "admitted"
    app.updated_at = ctx.now
    notices.admitted(session, app, doc_no, expert.term_start, expert.term_end, expert.certificate_no, ctx.now)
    return {"expert_id": expert.id, "certificate_no": expert.certificate_no, "term_end": expert.term_end.isoformat()}
