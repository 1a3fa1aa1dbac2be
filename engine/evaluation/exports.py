"""Exports: each 评价表 as DOCX laid out like 附件3 of the Measures, and the year's XLSX summary."""

from io import BytesIO

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select

from engine.core.errors import Forbidden
from engine.evaluation.models import Evaluation
from engine.evaluation.queries import EvaluationView, campaign_tally, evaluation_view, get_campaign
from engine.evaluation.status import EvaluationStatus
from engine.experts.models import Expert
from engine.platform.models import User
from engine.platform.policy import is_overseer
from engine.platform.settings import LOCAL_TZ
from rules.evaluation import RATINGS, rating_label

FONT = "宋体"
TASK_HEADING = "任务完成情况（包括什么时间，什么任务，使用专家情况，专家专业水平、工作态度，以及遵守承诺事项等）："
GROUP_HEADING = "专家组评价意见（总体评价优秀或差的需说明具体情况）："
CENTER_HEADING = "省市场监管局人才开发中心评价意见（总体评价优秀或差的需说明具体情况）"
NOTE_HEADING = "备注（填写该专家本年内使用次数以及历年使用总次数等情况）："


def rating_boxes(code: str | None) -> str:
    """附件3's check boxes with the chosen grade ticked: ☑优秀 □良好 □一般 □差."""
    return "  ".join(("☑" if key == code else "□") + label for key, label in RATINGS.items())


def _font(run, size: float = 12, bold: bool = False) -> None:
    run.font.name, run.font.size, run.font.bold = FONT, Pt(size), bold
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)  # CJK text needs eastAsia


def _write(cell, lines, bold_first: bool = False) -> None:
    """Replace a cell's text with lines (one paragraph each)."""
    cell.text = ""
    for i, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        _font(paragraph.add_run(line), bold=bold_first and i == 0)


def _merged(table, row: int):
    return table.cell(row, 0).merge(table.cell(row, 3))


def _local(dt) -> str:
    return dt.astimezone(LOCAL_TZ).strftime("%Y年%m月%d日") if dt else "    年  月  日"


def _label_row(table, row: int, label: str, value: str) -> None:
    """A row of a label cell and its value spanning the other three columns."""
    _write(table.cell(row, 0), [label])
    _write(table.cell(row, 1).merge(table.cell(row, 3)), [value])


def _fill(table, view: EvaluationView) -> None:
    ev = view.evaluation
    for col, text in enumerate((["专家姓名"], [view.expert.name], ["入库时间"],
                                [ev.admitted_on.strftime("%Y年%m月%d日") if ev.admitted_on else ""])):
        _write(table.cell(0, col), text)
    _label_row(table, 1, "工作组名称", ev.group_names or "—")
    lines = [summary_line(r) for r in view.records] or [f"{view.campaign.year}年度未承担工作任务。"]
    _write(_merged(table, 2), [TASK_HEADING, *[f"{i}. {line}" for i, line in enumerate(lines, 1)]], bold_first=True)
    _label_row(table, 3, "评价", rating_boxes(ev.group_rating))
    _write(_merged(table, 4), [GROUP_HEADING, group_opinion_text(ev),
                               f"评价人：{rater_line(view)}    {_local(ev.group_rated_at)}"], bold_first=True)
    _write(_merged(table, 5), [CENTER_HEADING, ev.center_opinion or "", f"（盖章）    {_local(ev.finalized_at)}"],
           bold_first=True)
    _label_row(table, 6, "总评价", rating_boxes(ev.overall_rating))
    _write(_merged(table, 7), [NOTE_HEADING, f"本年内使用{view.this_year}次；历年使用总次数{view.cumulative}次。"],
           bold_first=True)


def group_opinion_text(ev: Evaluation) -> str:
    """The 专家组评价意见 as written, or why there is none (yet)."""
    if ev.group_opinion:
        return ev.group_opinion
    if ev.rater_user_id is None and ev.rater_expert_id is None:
        return "（该专家所在专家组无组长、副组长评价人）"
    return ""


def rater_line(view: EvaluationView) -> str:
    """Who gave the 专家组评价; a paper opinion says so and who entered it."""
    ev, names = view.evaluation, view.names
    if ev.group_paper_entered_by:
        return f"{view.rater_name}（纸质评价意见，由{names.get(ev.group_paper_entered_by, '')}录入）"
    return names.get(ev.group_rated_by) or names.get(ev.rater_user_id) or view.rater_name


def evaluation_docx(session, viewer, evaluation_id: int) -> tuple[str, bytes]:
    """(file name, DOCX bytes) of one 评价表, for whoever may view it."""
    view = evaluation_view(session, viewer, evaluation_id)
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.2)
    _font(document.add_paragraph().add_run("附件3"), size=14, bold=True)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run("专家履职情况评价表"), size=20, bold=True)
    subtitle = document.add_paragraph()
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(subtitle.add_run(f"（{view.campaign.year}年度）"), size=12)
    table = document.add_table(rows=8, cols=4)
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    for column, width in zip(table.columns, (Cm(3.2), Cm(5.2), Cm(3.2), Cm(5.0)), strict=True):
        for cell in column.cells:
            cell.width = width
    _fill(table, view)
    out = BytesIO()
    document.save(out)
    return f"专家履职情况评价表_{view.campaign.year}_{view.expert.name}.docx", out.getvalue()


SUMMARY_HEADERS = ("序号", "专家编号", "姓名", "工作单位", "工作组", "入库时间", "本年使用次数", "历年使用总次数",
                   "专家组评价", "专家组评价意见", "评价人", "人才开发中心评价意见", "总评价", "状态", "完成时间",
                   "是否逾期", "出库审查事项")
WIDTHS = (6, 9, 10, 28, 24, 12, 12, 14, 11, 40, 10, 40, 9, 16, 18, 9, 12)


def _summary_rater(ev: Evaluation, users: dict, experts: dict) -> str:
    if ev.group_paper_entered_by:
        return f"{experts.get(ev.rater_expert_id, '')}（纸质，{users.get(ev.group_paper_entered_by, '')}录入）"
    return users.get(ev.group_rated_by or ev.rater_user_id) or experts.get(ev.rater_expert_id) or ""


def _summary_row(i: int, ev: Evaluation, expert: Expert, rater: str | None) -> list:
    return [i, expert.id, expert.name, expert.unit_name, ev.group_names,
            ev.admitted_on.isoformat() if ev.admitted_on else "", ev.this_year_count, ev.total_count,
            rating_label(ev.group_rating), ev.group_opinion or "", rater or "", ev.center_opinion or "",
            rating_label(ev.overall_rating), EvaluationStatus.labels().get(ev.status, ev.status),
            ev.finalized_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if ev.finalized_at else "",
            "是" if ev.overdue_at else "", f"#{ev.exit_case_id}" if ev.exit_case_id else ""]


def _statistics(book: Workbook, campaign, counts) -> None:
    sheet = book.create_sheet("统计")
    rows = [("年度", campaign.year), ("评价截止日期", campaign.deadline.isoformat()), ("评价表总数", counts.total),
            ("待专家组评价", counts.group_pending), ("待人才开发中心评价", counts.center_pending),
            ("已完成", counts.finalized)] + [(f"总评价：{label}", counts.by_rating[code]) for code, label in RATINGS.items()]
    for row in rows:
        sheet.append(row)
    sheet.column_dimensions["A"].width = 22


def campaign_xlsx(session, viewer, year: int) -> tuple[str, bytes]:
    """(file name, XLSX bytes): every 评价表 of the year in one sheet, the counts in another."""
    if not is_overseer(viewer):
        raise Forbidden("您无权导出年度评价汇总")
    campaign = get_campaign(session, year)
    book = Workbook()
    sheet = book.active
    sheet.title = f"{year}年度评价汇总"
    sheet.append(SUMMARY_HEADERS)
    for cell in sheet[1]:
        cell.font, cell.alignment = Font(bold=True), Alignment(horizontal="center", vertical="center", wrap_text=True)
    names = dict(session.execute(select(User.id, User.display_name)).all())
    raters = dict(session.execute(select(Expert.id, Expert.name).where(Expert.id.in_(
        select(Evaluation.rater_expert_id).where(Evaluation.campaign_id == campaign.id)))).all())
    rows = session.execute(select(Evaluation, Expert).join(Expert, Expert.id == Evaluation.expert_id)
                           .where(Evaluation.campaign_id == campaign.id).order_by(Expert.id))
    for i, (ev, expert) in enumerate(rows, 1):
        sheet.append(_summary_row(i, ev, expert, _summary_rater(ev, names, raters)))
    for index, width in enumerate(WIDTHS, 1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    sheet.freeze_panes = "A2"
    _statistics(book, campaign, campaign_tally(session, campaign))
    out = BytesIO()
    book.save(out)
    return f"{year}年度专家履职评价汇总.xlsx", out.getvalue()


def summary_line(record: dict) -> str:
    """One line of 任务完成情况 as 附件3 asks: when, what task, and how the expert did."""
    when = record["start"] if record["start"] == record["end"] else f"{record['start']}至{record['end']}"
    head = f"{when}，{record['unit']}，{record['title']}（{record['work_type']}）"
    if not record["recorded"]:
        return f"{head}：使用单位尚未记录使用情况"
    parts = [f"完成情况：{record['completion']}", f"专业水平：{record['professional_level']}",
             f"工作态度：{record['attitude']}", f"遵守承诺：{record['commitment_compliance']}"]
    comment = f"；评价：{record['comment']}" if record["comment"] else ""
    return f"{head}：{'，'.join(parts)}{comment}"
