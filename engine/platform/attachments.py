"""Upload handling: type and size limits, sha256, stored in the attachment table."""

import hashlib
from dataclasses import dataclass

from sqlalchemy import select

from engine.core.errors import ValidationFailed
from engine.core.forms import validate_form
from engine.platform.models import Attachment

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TYPES = ("application/pdf", "image/jpeg", "image/png")
# Magic numbers: the declared content type must match the bytes (no renamed executables).
SIGNATURES = {"application/pdf": (b"%PDF",), "image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}


@dataclass(frozen=True)
class Upload:
    """One uploaded file as received by the web layer."""

    filename: str
    content_type: str
    data: bytes


def _check(field: dict, upload: Upload) -> str | None:
    accept = field.get("accept") or DEFAULT_TYPES
    limit = int(field.get("max_bytes", DEFAULT_MAX_BYTES))
    if upload.content_type not in accept:
        return f"文件 {upload.filename} 类型不允许（允许：{'、'.join(accept)}）"
    if not upload.data.startswith(SIGNATURES.get(upload.content_type, (b"",))):
        return f"文件 {upload.filename} 内容与类型不符"
    if len(upload.data) > limit:
        return f"文件 {upload.filename} 超过 {limit // (1024 * 1024)} MB 限制"
    if not upload.data:
        return f"文件 {upload.filename} 为空"
    return None


def _own_ids(session, field: dict, value, actor, errors: dict) -> list[int]:
    """Attachment ids given in the input (API): must be the actor's own uploads."""
    try:
        ids = [int(v) for v in (value if isinstance(value, list) else [value]) if v not in (None, "")]
    except (TypeError, ValueError):
        errors[field["name"]] = f"{field.get('label', field['name'])}：附件编号无效"
        return []
    owned = set(session.scalars(select(Attachment.id).where(
        Attachment.id.in_(ids), Attachment.uploaded_by == getattr(actor, "id", None))))
    if set(ids) - owned:
        errors[field["name"]] = f"{field.get('label', field['name'])}：只能引用本人上传的附件"
    return [i for i in ids if i in owned]


def store_uploads(session, form: dict, files: dict[str, list[Upload]], actor, now, raw: dict | None = None,
                  application_id=None) -> dict:
    """Validate and store uploads for the form's file fields; returns {field: [attachment ids]}.

    Ids already in `raw` (uploaded earlier through the API) are kept when they are the actor's own.
    """
    errors, stored, given = {}, {}, {}
    for field in (f for f in form["fields"] if f["type"] == "file"):
        if raw and raw.get(field["name"]) not in (None, "", []):
            given[field["name"]] = _own_ids(session, field, raw[field["name"]], actor, errors)
    for field in (f for f in form["fields"] if f["type"] == "file"):
        uploads = [u for u in files.get(field["name"], []) if u.filename]
        if len(uploads) > 1 and not field.get("multiple"):
            errors[field["name"]] = f"{field.get('label', field['name'])}：只能上传一个文件"
            continue
        problems = [p for p in (_check(field, u) for u in uploads) if p]
        if problems:
            errors[field["name"]] = "；".join(problems)
            continue
        rows = [Attachment(filename=u.filename[:200], content_type=u.content_type, size=len(u.data),
                           sha256=hashlib.sha256(u.data).hexdigest(), data=u.data, purpose=field["name"],
                           application_id=application_id, uploaded_by=getattr(actor, "id", None), uploaded_at=now)
                for u in uploads]
        session.add_all(rows)
        stored[field["name"]] = rows
    if errors:
        raise ValidationFailed(errors)
    if stored:
        session.flush()  # ids are needed now; skipped when nothing was uploaded
    # each field its own rows (the loop variable `rows` is only the last file field's: a photo became the PDF)
    return {name: given.get(name, []) + [row.id for row in stored.get(name, [])]
            for name in set(stored) | set(given) if given.get(name) or stored.get(name)}


def store_single(session, upload: Upload, purpose: str, actor, now) -> Attachment:
    """Store one upload with the default type/size limits (API upload endpoint)."""
    ids = store_uploads(session, {"fields": [{"name": purpose, "type": "file"}]}, {purpose: [upload]}, actor, now)
    if not ids:
        raise ValidationFailed({"file": "请选择要上传的文件"})
    return session.get(Attachment, ids[purpose][0])


def validate_with_uploads(session, form: dict, raw: dict, files: dict[str, list[Upload]], actor, now,
                          dynamic: dict | None = None, check=None) -> tuple[dict, dict]:
    """Store the form's uploads and validate its fields, reporting every problem at once (a bad file no
    longer hides the fields' errors); `check(cleaned)` adds further checks. Returns (cleaned, stored ids)."""
    raw, file_errors, stored = dict(raw), {}, {}
    try:
        stored = store_uploads(session, form, files, actor, now, raw)
    except ValidationFailed as exc:
        file_errors = exc.errors
    raw.update(stored)
    try:
        cleaned = validate_form(form, raw, dynamic)
        cleaned = check(cleaned) if check else cleaned
    except ValidationFailed as exc:
        raise ValidationFailed({**exc.errors, **file_errors}) from None
    if file_errors:
        raise ValidationFailed(file_errors)
    return cleaned, stored
