"""The dashboard's numbers as one XLSX workbook: one sheet per figure, the same table the page shows."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from engine.dashboard.figures import Figure

SHEET_NAME_MAX = 31  # Excel's limit on a sheet name


ENDING_SHEET = "terms_ending_experts"


def workbook_bytes(figures: list[Figure], generated: str, ending: list[tuple] = ()) -> bytes:
    """An .xlsx with one sheet per figure (title, period note, header row, one row per category) and the experts
    whose terms end within the window."""
    book = Workbook()
    book.remove(book.active)
    for figure in figures:
        sheet = book.create_sheet(figure.key[:SHEET_NAME_MAX])
        sheet.append([figure.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append([f"统计时间：{generated}" + (f"；{figure.note}" if figure.note else "")])
        sheet.append([figure.dimension, *(name for name, _ in figure.series)])
        for row in figure.rows():
            sheet.append(row)
        sheet.column_dimensions["A"].width = 28
    sheet = book.create_sheet(ENDING_SHEET)
    sheet.append(["姓名", "聘书编号", "聘期届满日"])
    for _id, name, certificate, end in ending:
        sheet.append([name, certificate, end.isoformat()])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
