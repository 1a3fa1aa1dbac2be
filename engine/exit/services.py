"""Exit (出库, Art 15 and Art 10(4)): cases started by the expert, talent_center or the system, and the exit itself.

An exited expert keeps their row (status "exited", never deleted), gets an ExitRecord with the ground, date and
notice, and is excluded from draws (recusal screens status != active); their open engagements are released
and redrawn by the assignment process.
"""

import logging
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select

from engine.core import jobruns, runner
from engine.core.clock import local_date
from engine.core.contributions import Contributions
from engine.core.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed
from engine.core.forms import load_form, validate_form
from engine.core.scripting import HostContext
from engine.core.uow import unit_of_work
from engine.exit import proposals
from engine.exit.models import ExitCase
from engine.exit.status import ExitCaseStatus
from engine.experts import ports as expert_ports
from engine.experts.models import Engagement, Expert
from engine.experts.roster import my_expert, record_exit
from engine.experts.status import ExpertStatus
from engine.platform import policy, settings
from engine.platform.attachments import validate_with_uploads
from engine.platform.notifications import notify
from engine.platform.roles import users_with_role
from engine.platform.settings import LOCAL_TZ
from rules.exit import GROUNDS, TRIGGERS, DeclineFact, ExpertFacts, ground_label, proposals_for

exports = Contributions()  # installed by engine.bootstrap

log = logging.getLogger(__name__)
PROCESS = "exit"
SCAN_JOB = "exit_proposal_scan"
IN_POOL = (ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED)


def case_link(case: ExitCase) -> str:
    """The exit case page (the expert may open their own)."""
    return f"/yearly/exits/{case.id}"


def get_case(session, case_id) -> ExitCase:
    """An exit case by id (404 when unknown)."""
    case = session.get(ExitCase, int(case_id))
    if case is None:
        raise NotFound("出库事项不存在")
    return case


def case_of_task(session, task_row) -> ExitCase:
    """The exit case an exit-process task belongs to."""
    case = session.scalar(select(ExitCase).where(ExitCase.instance_id == task_row.instance_id))
    if case is None:
        raise NotFound("出库事项不存在")
    return case


def open_case_of(session, expert_id: int) -> ExitCase | None:
    """The expert's exit case still in progress, if any (one at a time)."""
    return session.scalar(select(ExitCase).where(ExitCase.expert_id == expert_id, ExitCase.status == ExitCaseStatus.OPEN))


def open_case(session, expert: Expert, source: str, trigger: str, facts: str, actor, now: datetime, *,
              ground: str | None = None, evidence_ids=(), trigger_key: str | None = None) -> ExitCase:
    """Create an exit case and start its process (inside the caller's unit of work)."""
    if expert.status not in IN_POOL:
        raise Conflict(f"{expert.name}已不在库（{expert.status}），不能再办理出库")
    if open_case_of(session, expert.id) is not None:
        raise Conflict(f"{expert.name}已有正在办理的出库事项")
    case = ExitCase(expert_id=expert.id, source=source, trigger=trigger, trigger_key=trigger_key,
                    ground=ground or TRIGGERS[trigger][1], facts=facts, evidence_ids=list(evidence_ids),
                    status=ExitCaseStatus.OPEN, created_by=getattr(actor, "id", None), created_at=now)
    session.add(case)
    session.flush()
    subject = f"{expert.name} — 出库（{TRIGGERS[trigger][0]}）"
    instance = runner.start(session, PROCESS, HostContext(session, actor, now),
                            {"exit_case_id": case.id, "expert_id": expert.id, "source": source, "trigger": trigger},
                            subject=subject, business_key=f"EXIT-{case.id}")
    case.instance_id = instance.id
    notify(session, users_with_role(session, policy.TALENT_CENTER), f"出库审查：{expert.name}",
           f"{TRIGGERS[trigger][0]}，拟依{ground_label(case.ground)}审查。", now, link=f"/yearly/exits/{case.id}")
    return case


def propose(session, expert_id: int, trigger: str, key: str, facts: str, actor, now: datetime, *,
            link: str | None = None) -> ExitCase | None:
    """A system proposal, once per expert and key: its own case, or a note on the case already open (which it
    then rides with). Returns that case; None when already proposed or the expert is out of the pool."""
    expert = session.get(Expert, expert_id)
    if expert is None or expert.status not in IN_POOL or proposals.known(session, expert_id, key):
        return None
    current = open_case_of(session, expert_id)
    if current is not None:
        proposals.attach(session, current, trigger, key, facts, link, actor, now)
        return current
    return open_case(session, expert, policy.SYSTEM, trigger, facts, actor, now, trigger_key=key)


def follow_up(session, case_id, now: datetime) -> dict:
    """A case closed without exit: the proposals attached to it get a case of their own (the first opens it, the
    rest ride on it), since its reviewers decided on the case's own ground."""
    case = get_case(session, case_id)
    waiting = proposals.pending(session, case.id)
    expert = session.get(Expert, case.expert_id)
    if not waiting or expert is None or expert.status not in IN_POOL:
        return {"followed_by": None}
    first = waiting[0]
    facts = f"{first.facts}\n（原附入出库事项 #{case.id}，该事项未出库办结，单独审查。）"
    new = open_case(session, expert, policy.SYSTEM, first.trigger, facts, None, now, trigger_key=first.trigger_key)
    first.followed_by = new.id
    for proposal in waiting[1:]:
        proposal.case_id = new.id  # still waiting for a decision of their own: now noted on the new case
    return {"followed_by": new.id}


def request_withdrawal(session, actor, raw: dict, now: datetime) -> ExitCase:
    """The expert's voluntary withdrawal (Art 10(4)): a right, reviewed but never refused."""
    with unit_of_work(session):
        expert = my_expert(session, actor)
        cleaned = validate_form(load_form("exit_request"), raw)
        case = open_case(session, expert, policy.EXPERT, "voluntary", cleaned["reason"], actor, now)
    return case


def _engagement_of(session, expert_id: int, engagement_id) -> Engagement | None:
    if engagement_id is None:
        return None
    engagement = session.get(Engagement, engagement_id)
    if engagement is None or engagement.expert_id != expert_id:
        raise ValidationFailed({"engagement_id": "选派记录不存在或不属于该专家"})
    return engagement


def start_exit(session, actor, raw: dict, files: dict, now: datetime) -> ExitCase:
    """talent_center starts an exit on one of Art 15's six grounds with evidence (attachments)."""
    if not policy.allows(actor, policy.START_EXIT):
        raise Forbidden("只有人才开发中心可以提出专家出库")
    with unit_of_work(session):
        form = load_form("exit_start")
        cleaned, _ = validate_with_uploads(session, form, raw, files, actor, now)
        expert = session.get(Expert, cleaned["expert_id"])
        if expert is None:
            raise ValidationFailed({"expert_id": f"专家编号 {cleaned['expert_id']} 不存在"})
        engagement = _engagement_of(session, expert.id, cleaned.get("engagement_id"))
        recusal = cleaned["ground"] == "art15_2" and engagement is not None
        case = open_case(session, expert, policy.TALENT_CENTER, "recusal_failure" if recusal else "manual",
                         cleaned["facts"], actor, now, ground=cleaned["ground"], evidence_ids=cleaned["evidence"],
                         trigger_key=f"recusal:{engagement.id}" if recusal else None)
    return case


# Art 10(4): a voluntary withdrawal is reviewed and recorded, never refused. Today's exit.bpmn gives it its own
# steps without a refusing choice; these refusals are still offered by the shared steps of versions deployed
# before (instances keep their version), so their hooks refuse them for a voluntary case.
REFUSALS = {"exit_center_review": ("dismiss", "不能作出不予出库的结论"),
            "exit_division_review": ("disagree", "只能审核并记录意见，不能不同意出库"),
            "exit_leader_approval": ("reject", "只能批准并记录意见，不能不予批准")}


def refuse_no_withdrawal(session, task_row, cleaned: dict) -> dict:
    """A voluntary withdrawal (Art 10(4)) cannot be refused at any step; other cases pass unchanged."""
    refusal, message = REFUSALS[task_row.form_key]
    if cleaned.get("decision") == refusal and case_of_task(session, task_row).trigger == "voluntary":
        raise ValidationFailed({"decision": f"专家主动申请退出是其权利（第十条第（四）项），{message}"})
    return cleaned


def review(session, task_row, cleaned: dict) -> dict:
    """talent_center's review: a voluntary withdrawal cannot be refused; settle the ground; add evidence."""
    refuse_no_withdrawal(session, task_row, cleaned)
    case = case_of_task(session, task_row)
    ground = cleaned.get("ground") or case.ground
    if cleaned["decision"] == "proceed" and ground not in GROUNDS:
        raise ValidationFailed({"ground": "请选择出库情形"})
    case.ground = ground
    case.evidence_ids = list(dict.fromkeys([*case.evidence_ids, *(cleaned.get("evidence") or [])]))
    return cleaned | {"ground": ground}


def close_case(session, case_id, status: ExitCaseStatus, note: str | None, now: datetime) -> dict:
    """End a case without exit (dismissed at review, or not agreed / approved)."""
    case = get_case(session, case_id)
    case.status, case.outcome_note, case.closed_at = status, (note or "")[:4000], now
    expert = session.get(Expert, case.expert_id)
    if expert is not None and expert.user_id and case.source == policy.EXPERT:
        notify(session, [expert.user_id], "出库申请办理结果",
               f"您的出库申请（出库事项 #{case.id}）未获同意。" + (f"\n意见：{note}" if note else ""), now,
               link=case_link(case))
    return {"status": status}




def exit_expert(session, case_id, notice_no: str, notice_date: str, actor, now: datetime) -> dict:
    """The approved exit: status, ExitRecord with ground, notice and date, engagements redrawn."""
    case = get_case(session, case_id)
    expert = session.get(Expert, case.expert_id)
    on = date.fromisoformat(notice_date)
    record = record_exit(session, expert, case.ground, case.source, on, actor, now, exit_case_id=case.id,
                         notice_no=notice_no, notice_date=on, evidence_ids=case.evidence_ids, note=case.facts[:2000])
    case.status, case.notice_no, case.notice_date, case.closed_at = ExitCaseStatus.EXITED, notice_no, on, now
    if expert.user_id:
        notify(session, [expert.user_id], "出库决定通知",
               f"根据{notice_no}，您自{on.isoformat()}起出库，出库情形：{ground_label(case.ground)}，依据"
               "《福建省产品质量安全监管专家库管理办法（试行）》。出库后不再承接专家工作任务。", now, link=case_link(case))
    return {"exit_record_id": record.id, "expert_status": expert.status}


def _scan_facts(session, today: date) -> list[ExpertFacts]:
    declines = defaultdict(list)
    # Art 15(1) counts what the assignment flow records: a decline judged unjustified at the Art 13 ¶3
    # cancellation ends as "cancelled" with decline_justified False (a pending decline is not judged yet), so
    # the judgement is read whatever the engagement's status; it is dated by the cancellation (ended_at).
    for expert_id, ended, created, justified in session.execute(
            select(Engagement.expert_id, Engagement.ended_at, Engagement.created_at, Engagement.decline_justified)
            .join(Expert, Expert.id == Engagement.expert_id)
            .where(Engagement.decline_justified.is_(False), Expert.status == ExpertStatus.ACTIVE)):
        on = (ended or created).astimezone(LOCAL_TZ).date()
        declines[expert_id].append(DeclineFact(on, justified))
    rows = session.execute(select(Expert.id, Expert.birth_date, Expert.application_id)
                           .where(Expert.status == ExpertStatus.ACTIVE)).all()
    # An age exemption claimed at admission (Art 6(三)) was accepted by the reviewers who admitted the expert.
    exemptions = expert_ports.admission_exemptions(session, [a for _, _, a in rows if a is not None])
    return [ExpertFacts(i, birth, bool(exemptions.get(app_id)), tuple(declines.get(i, ())))
            for i, birth, app_id in rows]


def _propose_one(session, proposal, now: datetime) -> int:
    """One proposal in its own unit of work, so one failure does not stop the rest of the scan."""
    try:
        with unit_of_work(session):
            return int(propose(session, proposal.expert_id, proposal.trigger, proposal.key, proposal.detail,
                               None, now) is not None)
    except ServiceError:
        log.exception("exit proposal %s for expert %s failed", proposal.key, proposal.expert_id)
        return 0


@exports.scheduled(SCAN_JOB, "cron", hour=2, minute=0)
def proposal_scan_job(session, now: datetime) -> dict:
    """Daily 02:00 local: propose exits for refusals at or above the threshold and age over the limit."""
    # Once a day (JobRun); proposals are keyed per expert (e.g. "refusals:2026", "age"), so a scan that dies
    # midway is finished by the next day's run without proposing anything twice.
    today = local_date(now)
    key = today.isoformat()
    with unit_of_work(session):
        if jobruns.claim(session, SCAN_JOB, key, now) is None:
            return {"proposed": 0, "skipped": True}
    threshold, max_age = settings.refusal_threshold(), settings.max_age()
    proposed = 0
    for facts in _scan_facts(session, today):
        for proposal in proposals_for(facts, today, threshold, max_age):
            proposed += _propose_one(session, proposal, now)
    with unit_of_work(session):
        jobruns.finish(session, SCAN_JOB, key, now, {"proposed": proposed})
    return {"proposed": proposed, "skipped": False}
