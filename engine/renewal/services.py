"""Term renewal (续聘, Art 8): the daily scan, the expert's confirmation, the recheck, the new term, the lapse."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.core import jobruns, runner
from engine.core.clock import local_date
from engine.core.contributions import Contributions
from engine.core.errors import Conflict, NotFound, ServiceError
from engine.core.scripting import HostContext
from engine.core.uow import unit_of_work
from engine.experts import ports as expert_ports
from engine.experts.models import DishonestyEntry, Expert, ExpertGroup
from engine.experts.roster import certificate_number, record_exit
from engine.experts.selfservice import apply_profile
from engine.experts.status import ExpertStatus
from engine.platform import policy, settings
from engine.platform.notifications import notify
from engine.platform.roles import users_with_role
from engine.platform.settings import LOCAL_TZ
from engine.renewal.models import RenewalCase
from engine.renewal.status import RenewalStatus
from rules.eligibility import Candidate, Thresholds, evaluate
from rules.exit import lapse_instant, next_term, renewal_due

exports = Contributions()  # installed by engine.bootstrap

log = logging.getLogger(__name__)
PROCESS = "term_renewal"
SCAN_JOB = "term_renewal_scan"
UPDATABLE = ("phone", "email", "unit_name", "position", "rank_level", "title", "title_level", "field_years",
             "specialties")


def get_case(session, renewal_id) -> RenewalCase:
    """A renewal case by id (404 when unknown)."""
    case = session.get(RenewalCase, int(renewal_id))
    if case is None:
        raise NotFound("续聘事项不存在")
    return case


def case_of_task(session, task_row) -> RenewalCase:
    """The renewal case a term_renewal task belongs to."""
    case = session.scalar(select(RenewalCase).where(RenewalCase.instance_id == task_row.instance_id))
    if case is None:
        raise NotFound("续聘事项不存在")
    return case


def start_renewal(session, expert: Expert, now: datetime) -> RenewalCase:
    """Open the renewal of the expert's current term and start its process (caller's unit of work)."""
    case = RenewalCase(expert_id=expert.id, old_term_start=expert.term_start, old_term_end=expert.term_end,
                       old_certificate_no=expert.certificate_no, status=RenewalStatus.OPEN, updates={},
                       created_at=now)
    session.add(case)
    session.flush()
    data = {"renewal_id": case.id, "expert_id": expert.id, "expert_user_id": expert.user_id,
            "term_lapse_at": lapse_instant(expert.term_end, LOCAL_TZ).isoformat()}
    instance = runner.start(session, PROCESS, HostContext(session, None, now), data,
                            subject=f"{expert.name} — 聘期{expert.term_end.isoformat()}届满续聘",
                            business_key=f"RENEW-{expert.id}-{expert.term_end.isoformat()}")
    case.instance_id = instance.id
    recipients = [expert.user_id] if expert.user_id else users_with_role(session, policy.TALENT_CENTER)
    notify(session, recipients, "专家聘期即将届满",
           f"{expert.name}的聘期将于{expert.term_end.isoformat()}届满，请确认是否续聘并更新个人信息（第八条）。", now)
    return case


def _due_experts(session, now: datetime) -> list[int]:
    today = local_date(now)
    horizon = today + timedelta(days=settings.renewal_window_days())
    rows = session.execute(select(Expert.id, Expert.term_end).where(
        Expert.status == ExpertStatus.ACTIVE, Expert.term_end.is_not(None), Expert.term_end <= horizon)).all()
    opened = set(session.execute(select(RenewalCase.expert_id, RenewalCase.old_term_end)).all())
    return [i for i, end in rows if renewal_due(end, today, settings.renewal_window_days()) and (i, end) not in opened]


def _start_one(session, expert_id: int, now: datetime) -> int:
    try:
        with unit_of_work(session):
            start_renewal(session, session.get(Expert, expert_id), now)
        return 1
    except ServiceError:  # e.g. a concurrent scan opened it first (unique expert + term end)
        log.exception("renewal start failed for expert %s", expert_id)
        return 0


@exports.scheduled(SCAN_JOB, "cron", hour=1, minute=0)
def renewal_scan_job(session, now: datetime) -> dict:
    """Daily 01:00 local: start renewal for every active expert whose term ends within the window."""
    # Once a day (JobRun); a scan that dies midway is finished by the next day's run, since cases are keyed
    # by expert and term end and an ended term still gets its case (its lapse timer then fires at once).
    key = local_date(now).isoformat()
    with unit_of_work(session):
        if jobruns.claim(session, SCAN_JOB, key, now) is None:
            return {"started": 0, "skipped": True}
    started = sum(_start_one(session, expert_id, now) for expert_id in _due_experts(session, now))
    with unit_of_work(session):
        jobruns.finish(session, SCAN_JOB, key, now, {"started": started})
    return {"started": started, "skipped": False}


def confirm(session, task_row, cleaned: dict) -> dict:
    """The expert's answer: keep the changed fields for the recheck (they apply only when renewed); an expert
    who does not renew lets the term run out."""
    case = case_of_task(session, task_row)
    if cleaned["renew"] == "yes":
        case.updates = {k: cleaned[k] for k in UPDATABLE if cleaned.get(k) not in (None, "")}
    else:
        case.status = RenewalStatus.NOT_RENEWING
    return cleaned


def review(session, task_row, cleaned: dict, agreed: str) -> dict:
    """quality_division's review or the bureau leader's approval (Art 8): anything but `agreed` lets the term
    run out (the gateway after the task routes on the same decision, its default flow being the refusal)."""
    if cleaned["decision"] != agreed:
        case_of_task(session, task_row).status = RenewalStatus.NOT_RENEWING
    return cleaned


def _candidate(session, expert: Expert, updates: dict, today) -> Candidate:
    listed = session.scalar(select(DishonestyEntry.id).where(
        DishonestyEntry.id_number == expert.id_number,
        (DishonestyEntry.removed_on.is_(None)) | (DishonestyEntry.removed_on > today)).limit(1))
    exemptions = expert_ports.admission_exemptions(session, [expert.application_id]) if expert.application_id else {}
    return Candidate(
        birth_date=expert.birth_date, field_years=int(updates.get("field_years", expert.field_years)),
        rank_level=updates.get("rank_level", expert.rank_level),
        title_level=updates.get("title_level", expert.title_level),
        groups=tuple(m.group.code for m in expert.memberships), on_dishonesty_list=listed is not None,
        exemptions=tuple(exemptions.get(expert.application_id, ())), work_areas=tuple(expert.work_areas or ()))


def recheck(session, renewal_id, thresholds: dict | None, now: datetime) -> dict:
    """Art 6 again, on the updated data and today's date; the report goes to quality_division."""
    case = get_case(session, renewal_id)
    expert = session.get(Expert, case.expert_id)
    today = local_date(now)
    known = set(session.scalars(select(ExpertGroup.code).where(ExpertGroup.active)))
    report = evaluate(_candidate(session, expert, case.updates or {}, today), today,
                      Thresholds.from_mapping(thresholds or {}), known)
    case.eligibility = report.to_dict() | {"checked_on": today.isoformat()}
    return case.eligibility


def renew(session, renewal_id, actor, now: datetime) -> dict:
    """Approved: a new 3-year term from the day after the old one ends, a new certificate, the updates applied."""
    case = get_case(session, renewal_id)
    expert = session.get(Expert, case.expert_id)
    if expert.status != ExpertStatus.ACTIVE or expert.term_end != case.old_term_end:
        raise Conflict(f"{expert.name}已不在库或聘期已变更，不能续聘")
    apply_profile(session, expert, case.updates or {}, actor, now)
    start, end = next_term(case.old_term_end)
    expert.term_start, expert.term_end = start, end
    expert.certificate_no = certificate_number(session, start.year)
    case.new_term_start, case.new_term_end, case.certificate_no = start, end, expert.certificate_no
    case.status, case.closed_at = RenewalStatus.RENEWED, now
    if expert.user_id:
        notify(session, [expert.user_id], "续聘通知",
               f"您已续聘，新聘期{start.isoformat()}至{end.isoformat()}，聘书编号{expert.certificate_no}。", now)
    return {"term_start": start.isoformat(), "term_end": end.isoformat(), "certificate_no": expert.certificate_no}


def not_renewing(session, renewal_id, now: datetime) -> dict:
    """Declined or not approved: the term runs to its end and then lapses. (Current versions record this in the
    form hooks of the deciding tasks, confirm and review; versions deployed earlier call it from a service task.)"""
    case = get_case(session, renewal_id)
    case.status = RenewalStatus.NOT_RENEWING
    return {"status": case.status, "lapses_on": (case.old_term_end + timedelta(days=1)).isoformat()}


def lapse(session, renewal_id, actor, now: datetime) -> dict:
    """The term ended without renewal: status expired and an exit record with ground term_lapsed."""
    case = get_case(session, renewal_id)
    expert = session.get(Expert, case.expert_id)
    case.status, case.closed_at = RenewalStatus.LAPSED, now
    if expert.status not in (ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED) or expert.term_end != case.old_term_end:
        return {"status": expert.status, "recorded": False}  # already out, or renewed by other means
    record_exit(session, expert, "term_lapsed", policy.SYSTEM, case.old_term_end + timedelta(days=1), actor, now,
                renewal_case_id=case.id, note=f"聘期{case.old_term_end.isoformat()}届满，未完成续聘")
    recipients = users_with_role(session, policy.TALENT_CENTER) + ([expert.user_id] if expert.user_id else [])
    notify(session, recipients, f"聘期届满：{expert.name}",
           f"{expert.name}的聘期已于{case.old_term_end.isoformat()}届满，未续聘，已出库（聘期届满）。", now)
    return {"status": expert.status, "recorded": True}
