"""The documents of the appointment itself (Art 8: 正式发文后入库, 聘期为3年, 发放《聘书》): the 聘书 of an admitted
expert, with its number and term, and the 入库名单 attached to one 正式发文 — the experts it admitted, their groups
and quality_division's 组长/副组长 proposals (Art 8(一)3, Art 9)."""

from docx.shared import Cm
from sqlalchemy import select

from engine.admission.docx_layout import a4_document, date_text, grid, heading, paragraph, to_bytes, write
from engine.admission.models import Application
from engine.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.experts.models import GROUP_ROLES, Expert, ExpertGroup
from engine.experts.queries import get_expert
from engine.platform import policy

ISSUER = "福建省市场监督管理局"
LIST_HEADERS = ("序号", "姓名", "工作单位", "职称", "所在专家组", "组长/副组长建议", "聘书编号", "聘期")
LIST_WIDTHS = (Cm(1.2), Cm(1.8), Cm(3.6), Cm(2.2), Cm(2.8), Cm(2.6), Cm(2.6), Cm(3.0))


def _term(expert: Expert) -> str:
    return f"{date_text(expert.term_start)}至{date_text(expert.term_end)}"


def _groups(expert: Expert) -> str:
    return "、".join(m.group.name for m in sorted(expert.memberships, key=lambda m: m.group.sort_order)) or "—"


def certificate_docx(session, viewer, expert_id: int) -> tuple[str, bytes]:
    """(file name, DOCX bytes) of the 聘书 of an expert the viewer may see (staff, or the expert themself)."""
    expert = get_expert(session, viewer, expert_id)
    if not expert.certificate_no or not expert.term_start:
        raise Conflict("该专家尚未发放聘书（聘书在正式发文入库时编号发放，第八条）")
    document = a4_document()
    heading(document, None, "聘    书")
    paragraph(document, f"证书编号：{expert.certificate_no}", right=True)
    paragraph(document, "")
    paragraph(document, f"兹聘请{expert.name}同志（{expert.unit_name}）为福建省产品质量安全监管专家库专家，"
                        f"所在专家组：{_groups(expert)}。", size=16)
    paragraph(document, f"聘期三年，自{_term(expert)}。", size=16)
    paragraph(document, "")
    paragraph(document, ISSUER, size=16, right=True)
    paragraph(document, date_text(expert.term_start), size=16, right=True)
    if expert.admission_doc_no:
        paragraph(document, f"（入库文件：{expert.admission_doc_no}）", size=10)
    return f"聘书_{expert.certificate_no}_{expert.name}.docx", to_bytes(document)


def _proposals(session, experts) -> dict[int, str]:
    """{expert id: "风险监控组组长"} from quality_division's proposals on their applications."""
    ids = [e.application_id for e in experts if e.application_id]
    names = dict(session.execute(select(ExpertGroup.code, ExpertGroup.name)).all())
    out = {}
    for app_id, proposal in session.execute(select(Application.id, Application.position_proposal)
                                            .where(Application.id.in_(ids))):
        if proposal:
            out[app_id] = names.get(proposal["group"], proposal["group"]) + GROUP_ROLES[proposal["position"]]
    return {e.id: out[e.application_id] for e in experts if e.application_id in out}


def admission_doc_no(session, app: Application) -> str | None:
    """The 正式发文 that admitted an application's person (None before admission)."""
    return session.scalar(select(Expert.admission_doc_no).where(Expert.id == app.expert_id)) if app.expert_id else None


def admitted_by(session, viewer, doc_no: str) -> list[Expert]:
    """The experts one 正式发文 admitted, for staff handling admissions; refused with a message otherwise."""
    if not policy.allows(viewer, policy.VIEW_APPLICATIONS):
        raise Forbidden("您无权查看入库名单")
    doc_no = (doc_no or "").strip()
    if not doc_no:
        raise ValidationFailed({"doc_no": "请填写正式发文的文号"})
    experts = list(session.scalars(select(Expert).where(Expert.admission_doc_no == doc_no).order_by(Expert.id)))
    if not experts:
        raise NotFound(f"没有以“{doc_no}”正式发文入库的专家")
    return experts


def admission_list_docx(session, viewer, doc_no: str) -> tuple[str, bytes]:
    """(file name, DOCX bytes) of the 入库名单 attached to one 正式发文."""
    experts = admitted_by(session, viewer, doc_no)
    proposals = _proposals(session, experts)
    document = a4_document()
    heading(document, "附件", "福建省产品质量安全监管专家库入库专家名单")
    paragraph(document, f"（{doc_no.strip()}）", center=True)
    table = grid(document, len(experts) + 1, LIST_WIDTHS)
    for col, text in enumerate(LIST_HEADERS):
        write(table.cell(0, col), [text], bold_first=True)
    for i, expert in enumerate(experts, 1):
        values = (str(i), expert.name, expert.unit_name, expert.title or "", _groups(expert),
                  proposals.get(expert.id, ""), expert.certificate_no or "", _term(expert))
        for col, text in enumerate(values):
            write(table.cell(i, col), [text])
    return f"入库名单_{doc_no.strip()}.docx", to_bytes(document)
