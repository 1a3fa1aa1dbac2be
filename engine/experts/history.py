"""The full history of one expert on one page (issue 13): application(s) and their reviews, admission, term and
renewals, engagements with draws and exclusions, declines and their judgement, evaluations, exit.

The roster's own rows are read here; each procedure's cases come through the `expert_cases` port (procedures are
not imported by the roster). Reviews are the completed steps of every case's process instance.
"""

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from engine.core.errors import Forbidden, NotFound
from engine.core.forms import resolve_choices
from engine.core.models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion
from engine.experts import ports
from engine.experts.models import Engagement, ExitRecord, Expert, ExpertDeclaration, UsageRecord
from engine.experts.status import EngagementStatus
from engine.platform import policy
from engine.platform.settings import LOCAL_TZ

SECTIONS = ("申请与审核", "入库与聘期", "专家组", "参与工作", "抽取与回避", "续聘", "评价", "退出", "声明")
DRAW_SECTIONS = ("参与工作", "抽取与回避")  # who was drawn for what (Art 13 sealing)
METHODS = {"random": "随机抽取", "designated": "指定", "external": "库外邀请", "emergency": "紧急选派"}


@dataclass
class HistoryItem:
    """One line of an expert's history: its section, when, what happened, details, and the case's instance."""

    section: str
    when: date | datetime | None
    what: str
    detail: str = ""
    instance_id: int | None = None
    own_steps_only: bool = False  # a shared case (a request drawing several experts): only the expert's own steps
    exclusion: bool = False  # a round that left the expert out: not the expert's own request (Art 13 sealing)

    @property
    def day(self) -> str:
        """The date shown (Asia/Shanghai for instants)."""
        if isinstance(self.when, datetime):
            return self.when.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        return self.when.isoformat() if self.when else ""


def history_expert(session, viewer, expert_id: int) -> Expert:
    """The expert whose history the viewer may read: oversight roles (VIEW_EVERY_EXPERT) or the expert themself."""
    expert = session.get(Expert, expert_id)
    if expert is None:
        raise NotFound("专家不存在")
    if expert.user_id != viewer.id and not policy.allows(viewer, policy.VIEW_EVERY_EXPERT):
        raise Forbidden("您无权查看该专家的履历")
    return expert


def _roster(expert: Expert) -> list[HistoryItem]:
    items = [HistoryItem("入库与聘期", expert.created_at, "入库",
                         f"入库文号 {expert.admission_doc_no or '—'}；聘书编号 {expert.certificate_no or '—'}"),
             HistoryItem("入库与聘期", expert.term_start, "当前聘期", f"{expert.term_start or '—'} 至 {expert.term_end or '—'}")]
    items += [HistoryItem("专家组", None, m.group.name, {"leader": "组长", "deputy": "副组长"}.get(m.position, "成员"))
              for m in expert.memberships]
    return items


def _engagement_item(e: Engagement, usage: UsageRecord | None) -> HistoryItem:
    parts = [f"{METHODS.get(e.method, e.method)}第 {e.round} 轮", EngagementStatus.labels().get(e.status, e.status)]
    if e.decline_reason:
        judged = {True: "认定有正当理由", False: "认定无正当理由（计入第十五条第（一）项）", None: "待认定"}
        parts.append(f"拒绝理由：{e.decline_reason}（{judged[e.decline_justified]}）")  # Art 15(1)
    if e.cancel_reason:
        parts.append(f"取消理由：{e.cancel_reason}")
    if usage is not None:
        parts.append(f"使用单位评价：完成情况 {usage.completion}，专业水平 {usage.professional_level}，"
                     f"工作态度 {usage.attitude}")
    return HistoryItem("参与工作", e.start_date, f"工作任务 #{e.request_id}（{e.start_date} 至 {e.end_date}）",
                       "；".join(parts))


def _engagements(session, expert_id: int) -> list[HistoryItem]:
    rows = session.execute(select(Engagement, UsageRecord).outerjoin(
        UsageRecord, UsageRecord.engagement_id == Engagement.id).where(Engagement.expert_id == expert_id)
        .order_by(Engagement.id)).all()
    return [_engagement_item(e, u) for e, u in rows]


def _declarations_and_exit(session, expert_id: int) -> list[HistoryItem]:
    items = [HistoryItem("声明", d.declared_at, f"申报关联：{d.org_name}", d.note or "")
             for d in session.scalars(select(ExpertDeclaration).where(ExpertDeclaration.expert_id == expert_id))]
    record = session.scalar(select(ExitRecord).where(ExitRecord.expert_id == expert_id))
    if record is not None:
        items.append(HistoryItem("退出", record.exited_on, "出库", f"文号 {record.notice_no or '—'}；{record.note or ''}"))
    return items


def _decision(forms: dict, form_key: str | None, values) -> str:
    form = forms.get(form_key or "")
    if not form or not isinstance(values, dict):
        return ""
    for field in form["fields"]:  # the step's conclusion: its first choice field, in the form's own words
        if field["type"] == "choice" and values.get(field["name"]):
            labels = dict((str(k), str(v)) for k, v in resolve_choices(field, {}))
            return f"{field.get('label', field['name'])}：{labels.get(str(values[field['name']]), values[field['name']])}"
    return ""


def _reviews(session, expert: Expert, items: list[HistoryItem]) -> list[HistoryItem]:
    """The completed steps of the cases' instances (who, when, the conclusion), under their case's section; of a
    shared case only the expert's own steps (other experts drawn for the same request are not theirs to see)."""
    sections = {i.instance_id: i.section for i in items if i.instance_id}
    shared = {i.instance_id for i in items if i.own_steps_only}
    if not sections:
        return []
    forms = dict(session.execute(select(ProcessInstance.id, ProcessVersion.forms).join(
        ProcessVersion, ProcessVersion.id == ProcessInstance.version_id).where(
        ProcessInstance.id.in_(sections))).all())
    keys = dict(session.execute(select(HumanTask.task_guid, HumanTask.form_key).where(
        HumanTask.instance_id.in_(sections))).all())
    events = [e for e in session.scalars(select(AuditEvent).where(
        AuditEvent.instance_id.in_(sections), AuditEvent.action == "task_completed").order_by(AuditEvent.id))
        if e.instance_id not in shared or (expert.user_id is not None and e.actor_id == expert.user_id)]
    return [HistoryItem(sections[e.instance_id], e.at, f"{e.task_name}（{e.actor_name}）",
                        _decision(forms.get(e.instance_id) or {}, keys.get(e.task_guid),
                                  (e.data_after or {}).get(e.bpmn_id)), e.instance_id) for e in events]


def _sort_key(item: HistoryItem):
    when = item.when
    if isinstance(when, datetime):
        when = when.astimezone(LOCAL_TZ).replace(tzinfo=None)
    elif isinstance(when, date):
        when = datetime(when.year, when.month, when.day)
    return (SECTIONS.index(item.section) if item.section in SECTIONS else len(SECTIONS), when or datetime.min)


def _unsealed(viewer, expert: Expert, items: list[HistoryItem]) -> list[HistoryItem]:
    """Art 13: who was drawn for which request is sealed from the leader, the quality division and admin (only
    talent_center and auditors see the names); the expert sees their own engagements, not rounds that left
    them out (requests they have no access to)."""
    if policy.allows(viewer, policy.SEE_DRAWN_NAMES):
        return items
    if expert.user_id == viewer.id:
        return [i for i in items if not i.exclusion]
    kept = [i for i in items if i.section not in DRAW_SECTIONS]
    return kept + [HistoryItem(s, None, "抽取信息密封", "第十三条：抽中名单仅人才开发中心、审计人员可见")
                   for s in DRAW_SECTIONS]


def expert_history(session, viewer, expert_id: int) -> tuple[Expert, list[HistoryItem]]:
    """Every recorded fact of one expert's life in the pool the viewer may know, by section, oldest first."""
    expert = history_expert(session, viewer, expert_id)
    cases = list(ports.expert_cases(session, expert.id))
    items = _roster(expert) + _engagements(session, expert.id) + _declarations_and_exit(session, expert.id)
    items += cases + _reviews(session, expert, cases)
    return expert, sorted(_unsealed(viewer, expert, items), key=_sort_key)


def history_xlsx(session, viewer, expert_id: int) -> tuple[bytes, str]:
    """The expert's history as an XLSX workbook (section, date, event, details) and its file name."""
    expert, items = expert_history(session, viewer, expert_id)
    book = Workbook()
    sheet = book.active
    sheet.title = "专家履历"
    sheet.append([f"{expert.name} 履历（{expert.unit_name}）"])
    sheet.append(["栏目", "时间", "事项", "详情", "流程编号"])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for item in items:
        sheet.append([item.section, item.day, item.what, item.detail, item.instance_id or ""])
    for column, width in zip("ABCDE", (12, 18, 40, 70, 10), strict=True):
        sheet.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue(), f"expert-{expert.id}-history.xlsx"
