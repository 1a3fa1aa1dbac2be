"""Layout helpers of the official documents (A4, 宋体 with its East Asian font set so Word and WPS both show it)."""

from io import BytesIO

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

FONT = "宋体"
BLANK_DATE = "    年    月    日"


def font(run, size: float = 12, bold: bool = False) -> None:
    """Set a run's font; CJK text needs the eastAsia font too, else WPS falls back to its default."""
    run.font.name, run.font.size, run.font.bold = FONT, Pt(size), bold
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def a4_document() -> Document:
    """An empty A4 document with the margins of the Measures' annexes."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.2)
    return document


def paragraph(document, text: str, size: float = 12, bold: bool = False, center: bool = False, right: bool = False):
    """Append one paragraph of text."""
    p = document.add_paragraph()
    if center or right:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.RIGHT
    font(p.add_run(text), size=size, bold=bold)
    return p


def heading(document, annex: str | None, title: str) -> None:
    """附件N on the left, then the centred title, as the Measures print them."""
    if annex:
        paragraph(document, annex, size=14, bold=True)
    paragraph(document, title, size=20, bold=True, center=True)


def write(cell, lines, bold_first: bool = False) -> None:
    """Replace a cell's text with lines (one paragraph each)."""
    cell.text = ""
    for i, line in enumerate(lines):
        p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        font(p.add_run(line), bold=bold_first and i == 0)


def grid(document, rows: int, widths) -> object:
    """A centred bordered table with the given column widths."""
    table = document.add_table(rows=rows, cols=len(widths))
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    for column, width in zip(table.columns, widths, strict=True):
        for cell in column.cells:
            cell.width = width
    return table


def to_bytes(document) -> bytes:
    """The document as DOCX bytes."""
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def date_text(value) -> str:
    """2026年03月02日, or a blank date line to be filled in by hand."""
    return value.strftime("%Y年%m月%d日") if value else BLANK_DATE
