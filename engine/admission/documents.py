"""The admission's official documents as DOCX, laid out like the Measures' annexes and filled from the record:
the 推荐表 (附件1, with the photo) and the 专家履职承诺书 (附件2, signed or blank for signing on paper). Both are
made for an application (what was submitted) or for an admitted expert (what the roster holds now); phone and
ID number are masked unless the viewer is the person or a role that sees personal data."""

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from docx.image.exceptions import InvalidImageStreamError, UnexpectedEndOfFileError, UnrecognizedImageError
from docx.shared import Cm
from sqlalchemy import select

from engine.admission.docx_layout import (
    BLANK_DATE,
    a4_document,
    date_text,
    grid,
    heading,
    paragraph,
    to_bytes,
    write,
)
from engine.admission.queries import get_application, visible_form
from engine.experts.models import Expert, ExpertGroup
from engine.experts.queries import get_expert, mask_id_number, mask_phone, sees_pii
from engine.platform.models import Attachment
from engine.platform.privacy import record_view
from engine.platform.settings import LOCAL_TZ

GENDERS = {"male": "男", "female": "女"}
PLEDGE = "我承诺个人信息填报真实有效，参与工作期间履职尽责，并服从相关工作纪律与制度要求，履行保密义务，承担保密责任。"
COMMITMENTS = (  # 附件2 word for word
    "本人了解作为产品质量安全监管专家应尽责任和相关工作要求，现作出如下承诺：",
    "一、严格按照《产品质量安全监管专家库管理办法》有关要求，在3年任期内认真履职，遵守回避等相关工作纪律。",
    "二、严格保守工作秘密，未经授权不对外公布或泄露承担专项工作期间获取的相关信息。",
    "三、严格执行工作安排，实事求是开展工作，客观公正提供技术咨询，高质量完成承担的工作任务。",
    "四、严格落实中央八项规定及其实施细则精神，廉洁自律，不接受相关请托，履职期间不参加无关活动，不收受礼品礼金礼券等。",
    "如违反上述承诺或受到处分，以及不能有效履行专家职能的，本人自愿退出专家库。",
)
PHOTO_WIDTH = Cm(2.6)  # a one-inch ID photo fits the 附件1 photo cell


@dataclass
class PersonRecord:
    """What 附件1 and 附件2 print about one person, already masked for the viewer."""

    name: str
    form: dict
    groups: list = field(default_factory=list)
    photo_id: int | None = None
    signature: str | None = None
    signed_at: datetime | None = None
    scan_id: int | None = None
    subject: tuple[str, int, str] | None = None  # whose data (kind, id, name), when not the viewer's own
    unmasked: list = field(default_factory=list)  # personal-data fields printed in full for someone else


def _unmasked(form: dict, own: bool) -> list[str]:
    # A masked value keeps its asterisks: what prints in full is what privacy records as seen.
    return [] if own else [f for f in ("phone", "id_number", "email") if form.get(f) and "*" not in str(form[f])]


def application_record(session, viewer, application_id: int) -> PersonRecord:
    """The record of an application the viewer may read (its applicant, whoever entered it, or staff)."""
    app = get_application(session, viewer, application_id)
    form, signed = visible_form(session, viewer, app), app.commitment or {}
    return PersonRecord(name=app.name, form=form, groups=list(app.groups or []),
                        photo_id=next(iter(form.get("photo") or []), None), signature=signed.get("signature"),
                        signed_at=datetime.fromisoformat(signed["signed_at"]) if signed else None,
                        scan_id=next(iter(signed.get("scan_ids") or []), None),
                        subject=("application", app.id, app.name),
                        unmasked=_unmasked(form, app.applicant_user_id == viewer.id))


def _expert_form(expert: Expert, show: bool) -> dict:
    form = {f: getattr(expert, f) for f in ("gender", "political_status", "education", "unit_name", "title",
                                              "work_history", "specialties")}
    return form | {"birth_date": expert.birth_date.isoformat(), "pledge": "on",
                   "phone": expert.phone if show else mask_phone(expert.phone),
                   "id_number": expert.id_number if show else mask_id_number(expert.id_number)}


def expert_record(session, viewer, expert_id: int) -> PersonRecord:
    """The record of an expert the viewer may see (staff, or the expert themself)."""
    expert = get_expert(session, viewer, expert_id)
    show = expert.user_id == viewer.id or sees_pii(session, viewer)
    # Art 8: an admitted expert signed the 承诺书; the roster keeps when, and the scan of a paper signature
    form = _expert_form(expert, show)
    return PersonRecord(name=expert.name, form=form,
                        groups=[m.group.code for m in expert.memberships], photo_id=expert.photo_id,
                        signature=expert.name if expert.commitment_signed_at else None,
                        signed_at=expert.commitment_signed_at, scan_id=expert.commitment_scan_id,
                        subject=("expert", expert.id, expert.name), unmasked=_unmasked(form, expert.user_id == viewer.id))


def _photo(session, cell, photo_id: int | None) -> None:
    """The photo in its cell; a file python-docx cannot place as a picture is named instead."""
    row = session.get(Attachment, photo_id) if photo_id else None
    if row is None:
        write(cell, ["照片"])
        return
    write(cell, [])
    try:
        cell.paragraphs[0].add_run().add_picture(BytesIO(row.data), width=PHOTO_WIDTH)
    except (UnrecognizedImageError, UnexpectedEndOfFileError, InvalidImageStreamError, struct.error, ValueError,
            KeyError, IndexError):  # the upload check reads the magic bytes only, not the whole image
        write(cell, ["照片", f"（见附件：{row.filename}）"])


def _group_boxes(session, chosen) -> str:
    groups = session.execute(select(ExpertGroup.code, ExpertGroup.name).where(ExpertGroup.active)
                             .order_by(ExpertGroup.sort_order, ExpertGroup.id)).all()
    return "  ".join(("☑" if code in chosen else "□") + name for code, name in groups)


def _pairs(table, row: int, left: tuple[str, str], right: tuple[str, str]) -> None:
    for col, text in enumerate((*left, *right)):
        write(table.cell(row, col), [text or ""])


def _wide(table, row: int, label: str, lines) -> None:
    write(table.cell(row, 0), [label])
    write(table.cell(row, 1).merge(table.cell(row, 4)), lines)


def _pledge_lines(record: PersonRecord) -> list[str]:
    signed = record.form.get("pledge") in ("on", True, "true")
    when = date_text(record.signed_at.astimezone(LOCAL_TZ)) if record.signed_at else BLANK_DATE
    return [PLEDGE, f"承诺人签字：{record.name if signed else ''}    {when if signed else BLANK_DATE}"]


def viewed_recommendation(session, viewer, record: PersonRecord, now: datetime) -> tuple[str, bytes]:
    """The 推荐表 for a viewer; printing someone else's phone or ID number in full is a recorded view."""
    document = recommendation_docx(session, record)
    if record.unmasked:
        record_view(session, viewer, now, "推荐表（DOCX）", [record.subject], record.unmasked)
    return document


def recommendation_docx(session, record: PersonRecord) -> tuple[str, bytes]:
    """(file name, DOCX bytes) of the 推荐表 (附件1) of one person."""
    form, document = record.form, a4_document()
    heading(document, "附件1", "福建省产品质量安全监管专家推荐表")
    table = grid(document, 11, (Cm(2.8), Cm(4.2), Cm(2.6), Cm(4.0), Cm(3.0)))
    _pairs(table, 0, ("姓名", record.name), ("性别", GENDERS.get(form.get("gender"), form.get("gender"))))
    _pairs(table, 1, ("政治面貌", form.get("political_status")), ("出生日期", form.get("birth_date")))
    _pairs(table, 2, ("学历", form.get("education")), ("联系方式", form.get("phone")))
    _pairs(table, 3, ("工作单位", form.get("unit_name")), ("职称", form.get("title")))
    _photo(session, table.cell(0, 4).merge(table.cell(3, 4)), record.photo_id)
    _wide(table, 4, "身份证号码", [form.get("id_number") or ""])
    _wide(table, 5, "工作经历与相关工作经验", [form.get("work_history") or ""])
    _wide(table, 6, "擅长专业", [form.get("specialties") or ""])
    _wide(table, 7, "申请加入专家组（不超3个）", [_group_boxes(session, record.groups)])
    _wide(table, 8, "个人承诺", _pledge_lines(record))
    _wide(table, 9, "所在单位意见", ["", f"（单位盖章）    {BLANK_DATE}"])
    _wide(table, 10, "推荐单位意见", ["", f"（单位盖章）    {BLANK_DATE}"])
    return f"专家推荐表_{record.name}.docx", to_bytes(document)


def _scan_line(session, scan_id: int, link: Callable[[int], str] | None) -> str:
    row = session.get(Attachment, scan_id)
    name = row.filename if row is not None else f"附件{scan_id}"
    return f"本人签字的承诺书扫描件：{name}" + (f"（{link(scan_id)}）" if link else f"（附件编号{scan_id}）")


def commitment_docx(session, record: PersonRecord, link: Callable[[int], str] | None = None) -> tuple[str, bytes]:
    """(file name, DOCX bytes) of the 专家履职承诺书 (附件2): signed (online, or on paper with its scan named and
    linked), or blank for the person to sign by hand (Art 8: 未签订的，不得入库)."""
    document = a4_document()
    heading(document, "附件2", "专家履职承诺书")
    for line in COMMITMENTS:
        paragraph(document, line, size=14)
    paragraph(document, "")
    when = date_text(record.signed_at.astimezone(LOCAL_TZ)) if record.signed_at else BLANK_DATE
    paragraph(document, f"承诺人：{record.signature or ''}", size=14, right=True)
    paragraph(document, when, size=14, right=True)
    if record.scan_id:
        paragraph(document, _scan_line(session, record.scan_id, link), size=10)
    elif record.signed_at:
        paragraph(document, "（承诺人本人已通过专家库系统在线签署）", size=10)
    return f"专家履职承诺书_{record.name}.docx", to_bytes(document)
