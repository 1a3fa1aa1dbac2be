"""Admission's last step (Art 8): the expert enters the pool with a 3-year term and a certificate."""

from datetime import date

from sqlalchemy import select, update

from engine.errors import Conflict, NotFound
from engine.models import Application, Counter, Expert, ExpertGroup, GroupMembership, User, UserRole
from engine.scripting import HostContext, host_function
from engine.services.admission import term_end
from engine.settings import TERM_YEARS

EXPERT_FIELDS = ("name", "gender", "political_status", "education", "phone", "email", "id_number", "unit_name",
                 "position", "rank_level", "title", "title_level", "field_years", "work_history", "specialties")


def next_number(session, name: str) -> int:
    """Increment a named counter atomically (row lock on PostgreSQL; SQLite serializes writers)."""
    updated = session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1))
    if updated.rowcount == 0:
        session.add(Counter(name=name, value=1))
        session.flush()
        return 1
    return session.scalar(select(Counter.value).where(Counter.name == name))


def certificate_number(session, year: int) -> str:
    """The next 聘书 number of the year, e.g. 闽质安专聘〔2026〕0007号."""
    return f"闽质安专聘〔{year}〕{next_number(session, f'certificate:{year}'):04d}号"


def _grant_expert_role(session, user_id: int | None) -> None:
    if user_id is None:
        return
    user = session.get(User, user_id)
    if user is not None and "expert" not in user.roles:
        user.role_links.append(UserRole(user_id=user.id, role_code="expert"))


@host_function("admit_expert")
def admit_expert(ctx: HostContext, application_id, doc_no, doc_date) -> dict:
    """Create the expert from the application: active, term from the document date, certificate no."""
    session = ctx.session
    app = session.get(Application, int(application_id))
    if app is None:
        raise NotFound(f"申请 {application_id} 不存在")
    if app.expert_id is not None:
        raise Conflict("该申请已入库")
    form, start = app.form, date.fromisoformat(doc_date)
    if session.scalar(select(Expert.id).where(Expert.id_number == form["id_number"])):
        raise Conflict(f"身份证号 {form['id_number'][-4:]} 的专家已在库中")
    expert = Expert(**{f: form.get(f) for f in EXPERT_FIELDS}, birth_date=date.fromisoformat(form["birth_date"]),
                    work_areas=form.get("work_areas") or [], photo_id=(form.get("photo") or [None])[0],
                    status="active", term_start=start, term_end=term_end(start, TERM_YEARS),
                    certificate_no=certificate_number(session, start.year), admission_doc_no=doc_no,
                    admission_route=app.route, application_id=app.id, user_id=app.applicant_user_id,
                    created_at=ctx.now)
    groups = session.scalars(select(ExpertGroup).where(ExpertGroup.code.in_(app.groups))).all()
    expert.memberships = [GroupMembership(group_id=g.id, position="member") for g in groups]
    session.add(expert)
    session.flush()
    _grant_expert_role(session, app.applicant_user_id)
    app.expert_id, app.status, app.status_stage, app.updated_at = expert.id, "admitted", "admitted", ctx.now
    return {"expert_id": expert.id, "certificate_no": expert.certificate_no, "term_end": expert.term_end.isoformat()}
