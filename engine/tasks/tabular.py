"""A table (header + rows of cells) as CSV or XLSX bytes, for the exports (search results, the expert list)."""

import csv
import io

from openpyxl import Workbook

FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")}


def to_csv(header, rows) -> bytes:
    """UTF-8 with a BOM, so Excel and WPS open the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header, rows, title: str = "导出") -> bytes:
    """One sheet: the header row, then the rows; cells that look like formulas are kept as text."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for row in rows:
        sheet.append([_safe(cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _safe(cell):
    # A value starting with "=" would run as a formula when the file opens (CSV/formula injection).
    return "'" + cell if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@") else cell


def render(fmt: str, header, rows, title: str = "导出") -> bytes:
    """The table in the given format ("csv" or "xlsx")."""
    return to_xlsx(header, rows, title) if fmt == "xlsx" else to_csv(header, [[_safe(c) for c in r] for r in rows])
