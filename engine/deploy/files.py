"""Uploaded .bpmn/.dmn files: type and size limits, UTF-8, safe XML, the right kind of document."""

import re

from engine.core.errors import ValidationFailed
from engine.core.spiff import MAX_XML_BYTES, parse_xml
from engine.deploy.lint_zh import xml_error
from engine.deploy.problems import BPMN_NS, NS, local_name
from engine.platform.attachments import Upload

MAX_FILES = 10
DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
KINDS = {".bpmn": "BPMN", ".dmn": "DMN"}


def _kind(filename: str) -> str | None:
    lowered = (filename or "").lower()
    return next((ext for ext in KINDS if lowered.endswith(ext)), None)


def read_xml_upload(upload: Upload, expected: str | None = None) -> tuple[str, str]:
    """Check one upload; returns (extension, XML text). Raises ValidationFailed with a Chinese reason."""
    name, ext = upload.filename or "未命名文件", _kind(upload.filename)
    if ext is None or expected and ext != expected:
        allowed = KINDS[expected] if expected else "BPMN（.bpmn）或 DMN（.dmn）"
        raise ValidationFailed({"file": f"文件 {name} 类型不允许：只接受 {allowed} 文件"})
    if not upload.data:
        raise ValidationFailed({"file": f"文件 {name} 为空"})
    if len(upload.data) > MAX_XML_BYTES:
        raise ValidationFailed({"file": f"文件 {name} 超过 {MAX_XML_BYTES // 1024} KB 的大小限制"})
    try:
        text = upload.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": f"文件 {name} 不是 UTF-8 编码的 XML"}) from None
    check_xml(text, ext, name)
    return ext, text


def parse_untrusted(text: str):
    """parse_xml, refusing any DOCTYPE first (entities are never declared, let alone expanded or fetched)."""
    if DOCTYPE.search(text or ""):
        raise ValueError("不允许包含 DOCTYPE 声明（可能的外部实体或实体膨胀攻击），文件未被读取")
    return parse_xml(text)


def check_xml(text: str, ext: str, name: str = "内容") -> None:
    """Parse safely and check the root element is a BPMN or DMN `definitions` (422 otherwise)."""
    try:
        root = parse_untrusted(text)
    except Exception as exc:  # syntax errors, DOCTYPE/entities, size: the reason is shown as is
        raise ValidationFailed({"file": f"{name} 不是安全、有效的 XML：{xml_error(exc)}"}) from exc
    tag = root.tag if isinstance(root.tag, str) else ""
    is_bpmn = tag == f"{{{BPMN_NS}}}definitions"
    is_dmn = local_name(root) == "definitions" and "dmn" in tag.lower()
    if ext == ".bpmn" and not is_bpmn:
        raise ValidationFailed({"file": f"{name} 不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）"})
    if ext == ".dmn" and not is_dmn:
        raise ValidationFailed({"file": f"{name} 不是 DMN 文件（根元素应为 DMN definitions）"})


def process_ids(xml: str) -> list[tuple[str, str, bool]]:
    """(id, name, executable) of every process in a BPMN document."""
    return [(p.get("id") or "", (p.get("name") or "").strip(), p.get("isExecutable") == "true")
            for p in parse_xml(xml).iterfind(".//bpmn:process", NS)]


def main_process(xml: str) -> tuple[str, str]:
    """The process a document is about: its only executable process, else its first one."""
    found = process_ids(xml)
    if not found:
        raise ValidationFailed({"file": "文件中没有流程（bpmn:process）"})
    executable = [p for p in found if p[2]]
    key, name, _ = executable[0] if len(executable) == 1 else found[0]
    if not key or len(key) > 60:
        raise ValidationFailed({"file": "流程 id 为空或超过 60 个字符"})
    return key, name or key


def split_uploads(uploads: list[Upload]) -> tuple[str | None, dict[str, str]]:
    """One optional BPMN and any DMN files from a multi-file upload (each checked)."""
    uploads = [u for u in uploads if u.filename]
    if not uploads:
        raise ValidationFailed({"file": "请选择要上传的 .bpmn 或 .dmn 文件"})
    if len(uploads) > MAX_FILES:
        raise ValidationFailed({"file": f"一次最多上传 {MAX_FILES} 个文件"})
    bpmn, dmn = None, {}
    for upload in uploads:
        ext, text = read_xml_upload(upload)
        if ext == ".bpmn":
            if bpmn is not None:
                raise ValidationFailed({"file": "一次只能上传一个 BPMN 文件"})
            bpmn = text
        else:
            dmn[dmn_name(upload.filename)] = text
    return bpmn, dmn


def dmn_name(filename: str) -> str:
    """A safe DMN file name (base name, ASCII letters/digits/_-. only)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isascii() and (c.isalnum() or c in "_-."))
    if not cleaned.lower().endswith(".dmn") or len(cleaned) > 80 or cleaned.startswith("."):
        raise ValidationFailed({"file": f"DMN 文件名 {filename} 无效（只能含字母、数字、下划线、连字符，以 .dmn 结尾）"})
    return cleaned
