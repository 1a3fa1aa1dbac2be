"""Helpers of the official-document tests (no tests here): a real PNG photo and reading a DOCX back."""

import io
import struct
import zlib

from docx import Document

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def png(width: int = 4, height: int = 5) -> bytes:
    """A small valid grey PNG (python-docx reads its header to place it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def read_docx(response) -> tuple[Document, str]:
    """A downloaded DOCX opened with python-docx, and all its text (paragraphs and table cells, one per line)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == DOCX
    document = Document(io.BytesIO(response.data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines += [cell.text for cell in row.cells]
    return document, "\n".join(lines)


def cell_right_of(document, label: str) -> str:
    """The text of the cell right of the first table cell reading `label`."""
    for table in document.tables:
        for row in table.rows:
            texts = [c.text for c in row.cells]
            if label in texts:
                return texts[texts.index(label) + 1]
    raise AssertionError(f"no cell {label!r}")
