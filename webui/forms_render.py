"""Form definitions (processes/<procedure>/forms/*.json) ↔ templates and requests.

`form_context` turns a definition + dynamic choices + current values + field errors into what the
`_form.html` macros render; `read_submission` reads request.form / request.files into the `raw` dict and
the `files` dict of `Upload`s that the services validate.
"""

import mimetypes
import re

from engine.core.forms import load_form, resolve_choices
from engine.platform.attachments import Upload

TRUE_VALUES = ("1", "true", "on", "yes", "y")
RADIO_LIMIT = 4  # choice fields with more options than this render as a select
CONTENT_TYPE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _as_list(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _scalar(value) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    if value is None or isinstance(value, bool):
        return ""
    return str(value)


def _checked(value) -> bool:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return value is True or str(value).lower() in TRUE_VALUES


def _widget(field: dict, choices: list) -> str:
    if field["type"] == "choice":
        return field.get("widget") or ("radio" if len(choices) <= RADIO_LIMIT else "select")
    return field["type"]


def field_entry(field: dict, dynamic: dict, value, error: str | None, existing: list | None = None) -> dict:
    """One field ready for the macro: choices resolved, value normalized, its error and old uploads."""
    choices = [(str(k), str(v)) for k, v in resolve_choices(field, dynamic)]
    return {
        **field, "id": f"f_{field['name']}", "choices": choices, "widget": _widget(field, choices),
        "value": _scalar(value), "selected": _as_list(value), "checked": _checked(value), "error": error,
        "required": bool(field.get("required")), "conditional": bool(field.get("required_if")),
        "accept_attr": ",".join(field.get("accept") or ()), "existing": existing or [],
    }


def form_context(form: dict, dynamic: dict | None = None, values: dict | None = None,
                 errors: dict | None = None, attachments: list | None = None) -> dict:
    """Template context for `_form.html`: title, intro, fields, errors not tied to a field."""
    dynamic, values, errors = dynamic or {}, values or {}, errors or {}
    by_id = {a.id: a for a in attachments or []}
    fields = []
    for f in form["fields"]:
        existing = [by_id[int(i)] for i in _as_list(values.get(f["name"])) if i.isdigit() and int(i) in by_id] \
            if f["type"] == "file" else None
        fields.append(field_entry(f, dynamic, values.get(f["name"]), errors.get(f["name"]), existing))
    names = {f["name"] for f in form["fields"]}
    return {
        "title": form.get("title", ""), "intro": form.get("intro", ""), "fields": fields,
        "has_files": any(f["type"] == "file" for f in form["fields"]),
        "other_errors": {k: v for k, v in errors.items() if k not in names}, "errors": errors,
    }


def _display(field: dict, value, dynamic: dict) -> str:
    labels = dict((str(k), str(v)) for k, v in resolve_choices(field, dynamic))
    kind = field["type"]
    if kind == "boolean":
        return "是" if _checked(value) else "否"
    if kind == "multichoice":
        return "、".join(labels.get(v, v) for v in _as_list(value)) or "—"
    if kind == "choice":
        return labels.get(_scalar(value), _scalar(value)) or "—"
    return _scalar(value) or "—"


def display_rows(form: dict | None, values: dict | None, dynamic: dict | None = None) -> list[dict]:
    """Read-only rows (label, text, type, attachment ids) of the form's fields present in `values`."""
    if not values:
        return []
    if form is None:  # no definition: show the raw keys
        return [{"name": k, "label": k, "type": "text", "text": _scalar(v) if not isinstance(v, list)
                 else "、".join(map(str, v)), "ids": []} for k, v in values.items()]
    rows = []
    for f in form["fields"]:
        if f["name"] not in values:
            continue
        ids = [int(i) for i in _as_list(values[f["name"]]) if i.isdigit()] if f["type"] == "file" else []
        rows.append({"name": f["name"], "label": f.get("label", f["name"]), "type": f["type"],
                     "text": _display(f, values[f["name"]], dynamic or {}), "ids": ids})
    return rows


def _filename(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    return CONTROL_CHARS.sub("", base).strip()[:200]


def _content_type(storage, filename: str) -> str:
    declared = (storage.mimetype or "").lower()
    declared = CONTENT_TYPE_ALIASES.get(declared, declared)
    if declared and declared != "application/octet-stream":
        return declared
    guessed = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return CONTENT_TYPE_ALIASES.get(guessed, guessed)


def to_upload(storage) -> Upload:
    """A werkzeug FileStorage as an engine Upload (the engine checks type, magic bytes and size)."""
    filename = _filename(storage.filename)
    return Upload(filename=filename, content_type=_content_type(storage, filename), data=storage.read())


def read_submission(form: dict, form_data, files) -> tuple[dict, dict[str, list[Upload]]]:
    """Read request.form / request.files for the form's fields into (raw, {field: [Upload]})."""
    raw, uploads = {}, {}
    for f in form["fields"]:
        name, kind = f["name"], f["type"]
        if kind == "file":
            uploads[name] = [to_upload(s) for s in files.getlist(name) if s and s.filename]
        elif kind == "multichoice":
            raw[name] = form_data.getlist(name)
        else:
            raw[name] = form_data.get(name, "")
    return raw, uploads


def form_values(form_data, names) -> dict:
    """Plain text inputs outside a form definition (kept on re-render)."""
    return {n: form_data.get(n, "") for n in names}


def form_rows(form_key: str, values: dict | None, dynamic: dict | None = None) -> list[dict]:
    """display_rows of the shipped form `form_key` (templates: a business object's stored form values)."""
    return display_rows(load_form(form_key), values, dynamic)
