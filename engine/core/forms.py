"""Form definitions (processes/<procedure>/forms/*.json) and their server-side validation."""

import copy
import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from engine.core.errors import NotFound, ValidationFailed
from engine.core.models import HumanTask, ProcessInstance, ProcessVersion
from engine.platform.settings import processes_dir

FORM_KEY = re.compile(r"[a-z0-9_]+")
FIELD_TYPES = {"text", "textarea", "choice", "multichoice", "date", "integer", "boolean", "file"}


def shipped_form_files(root: Path | None = None) -> dict[str, Path]:
    """Form key → file of every shipped form (processes/<procedure>/forms/<key>.json); a key shipped by two
    procedures is an error, since a BPMN names its forms by key alone."""
    return _form_files(root or processes_dir())


@lru_cache(maxsize=8)  # shipped files do not change while the process runs; lint asks once per user task
def _form_files(root: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(root.glob("*/forms/*.json")):
        if path.stem in files:
            raise ValueError(f"form {path.stem} is shipped twice: {files[path.stem]} and {path}")
        files[path.stem] = path
    return files


@lru_cache(maxsize=64)
def load_form(form_key: str) -> dict:
    """Read and cache one shipped form definition; unknown keys raise NotFound."""
    path = shipped_form_files().get(form_key) if FORM_KEY.fullmatch(form_key or "") else None
    if path is None:
        raise NotFound(f"表单 {form_key} 不存在")
    return json.loads(path.read_text(encoding="utf-8"))


def referenced_form_keys(bpmn_root) -> set[str]:
    """The form keys a parsed BPMN document's user tasks name (spiffworkflow property formKey)."""
    return {element.get("value") for element in bpmn_root.iter()
            if isinstance(element.tag, str) and element.tag.endswith("}property")
            and element.get("name") == "formKey" and element.get("value")}


def shipped_forms(form_keys, root: Path | None = None) -> dict[str, dict]:
    """The definitions of the given form keys from the shipped forms (unknown keys are left out)."""
    files = shipped_form_files(root)
    return {key: json.loads(files[key].read_text(encoding="utf-8")) for key in sorted(form_keys) if key in files}


def version_forms(session, instance_id: int) -> dict[str, dict]:
    """The forms deployed with an instance's process version (form key → definition)."""
    return session.scalar(select(ProcessVersion.forms).join(
        ProcessInstance, ProcessInstance.version_id == ProcessVersion.id).where(
        ProcessInstance.id == instance_id)) or {}


def step_forms(session, instance_id: int) -> dict[str, dict]:
    """Form definition per BPMN step id of an instance, as deployed with its version (to label answers)."""
    keys = session.execute(select(HumanTask.bpmn_id, HumanTask.form_key).where(
        HumanTask.instance_id == instance_id).distinct()).all()
    forms = version_forms(session, instance_id)
    return {bpmn_id: forms[key] for bpmn_id, key in keys if key in forms}


_BUNDLE_FORMS: dict[str, dict] = {}  # a version's bundle sha256 (BPMN, DMN and forms) → its forms
_BUNDLE_LIMIT = 256


def _bundle_forms(session, instance_id: int) -> dict[str, dict]:
    """The forms of an instance's version, parsed once per process: the bundle hash names exactly one set of forms,
    so nothing can make a cached entry stale. The instance row is usually in the session already (locked)."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        return {}
    sha = instance.version.sha256
    forms = _BUNDLE_FORMS.get(sha)
    if forms is None:
        forms = instance.version.forms or {}
        if len(_BUNDLE_FORMS) >= _BUNDLE_LIMIT:
            _BUNDLE_FORMS.clear()
        _BUNDLE_FORMS[sha] = forms
    return forms


def task_form(session, task_row) -> dict:
    """The form of a user task as deployed with its instance's process version (never today's file); a copy the
    caller may change."""
    form = _bundle_forms(session, task_row.instance_id).get(task_row.form_key)
    if form is None:
        raise NotFound(f"表单 {task_row.form_key} 不在该流程版本中")
    return copy.deepcopy(form)


def form_exists(form_key: str) -> bool:
    """True when a procedure ships processes/<procedure>/forms/<form_key>.json."""
    return (form_key or "") in shipped_form_files()


def resolve_choices(field: dict, dynamic: dict[str, list]) -> list[tuple[str, str]]:
    """The field's choices, static or from a named dynamic source (e.g. groups)."""
    if "choices_from" in field:
        return [tuple(c) for c in dynamic.get(field["choices_from"], [])]
    return [tuple(c) for c in field.get("choices", [])]


def _is_blank(value) -> bool:
    return value is None or value == "" or value == [] or value is False


def _required(field: dict, raw: dict) -> bool:
    if field.get("required"):
        return True
    conditions = (field.get("required_if") or {}).items()
    return any(_first(raw.get(other)) in values for other, values in conditions)


def _first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _clean_scalar(field: dict, value, choices):  # noqa: C901 - one branch per field type
    kind = field["type"]
    if kind in ("text", "textarea"):
        value = str(value).strip()
        if len(value) > int(field.get("max_length", 5000)):
            raise ValueError(f"不能超过 {field.get('max_length', 5000)} 个字符")
        if field.get("pattern") and value and not re.fullmatch(field["pattern"], value):
            raise ValueError(field.get("pattern_message", "格式不正确"))
        return value
    if kind == "integer":
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError("请输入整数") from None
        if "min" in field and number < field["min"] or "max" in field and number > field["max"]:
            raise ValueError(f"应在 {field.get('min', '-∞')} 到 {field.get('max', '∞')} 之间")
        return number
    if kind == "date":
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError("日期格式应为 YYYY-MM-DD") from None
    if kind == "boolean":
        return str(value).lower() in ("1", "true", "on", "yes", "y")
    if kind == "choice":
        if str(value) not in {c[0] for c in choices}:
            # a form may say why a value is not offered (e.g. no refusal of a voluntary withdrawal, Art 10(4))
            raise ValueError(field.get("choice_message", "请选择有效的选项"))
        return str(value)
    raise ValueError("不支持的字段类型")


def _clean_multi(field: dict, values, choices) -> list[str]:
    values = [str(v) for v in (values if isinstance(values, list) else [values]) if str(v) != ""]
    allowed = {c[0] for c in choices}
    if any(v not in allowed for v in values):
        raise ValueError("包含无效的选项")
    limit = field.get("max_items")
    if limit and len(values) > limit:
        raise ValueError(f"最多选择 {limit} 项")
    return list(dict.fromkeys(values))


def validate_form(form: dict, raw: dict, dynamic: dict[str, list] | None = None) -> dict:
    """Validate raw input against a form; returns cleaned values or raises ValidationFailed.

    File fields are not handled here: the caller stores uploads and passes attachment ids in `raw`.
    """
    dynamic = dynamic or {}
    cleaned, errors = {}, {}
    for field in form["fields"]:
        name, kind = field["name"], field["type"]
        value = raw.get(name)
        choices = resolve_choices(field, dynamic)
        try:
            if kind == "multichoice":
                value = _clean_multi(field, value if value is not None else [], choices)
            elif kind == "file":
                value = [int(v) for v in (value or [])] if isinstance(value, list) else value
            elif not _is_blank(value) or kind == "boolean":
                value = _clean_scalar(field, _first(value) if value is not None else "", choices)
        except ValueError as exc:
            errors[name] = f"{field.get('label', name)}：{exc}"
            continue
        if _required(field, raw) and _is_blank(value):
            errors[name] = f"{field.get('label', name)}：此项为必填项"
            continue
        cleaned[name] = None if _is_blank(value) and kind not in ("boolean", "multichoice", "file") else value
    if errors:
        raise ValidationFailed(errors)
    return cleaned
