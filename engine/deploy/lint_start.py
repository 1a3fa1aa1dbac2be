"""Who may start a process by hand (issue 11 item 20).

A process the product does not ship declares on its start event the roles that may start it —
`startRoles`, like Camunda's candidateStarterGroups — and optionally a start form (`formKey`), so a process
owner's new process appears where those users start things and nobody else can start it. The shipped
processes are started by their procedures' own pages (入库申请, 用人申请, the year-end job …), which create
their business rows first: they declare no starters, or a generic start would run them without those rows.
"""

import re

from engine.core.forms import form_exists
from engine.deploy.problems import NS, Problem, label
from engine.platform import policy
from engine.platform.settings import processes_dir

START_ROLES = "startRoles"
SEPARATORS = re.compile(r"[,，、;；\s]+")


def shipped_keys() -> frozenset[str]:
    """The process keys the product ships (processes/<procedure>/<key>.bpmn): their procedures start them."""
    return frozenset(path.stem for path in processes_dir().glob("*/*.bpmn"))


def _properties(element) -> dict[str, str]:
    ext = element.find("bpmn:extensionElements", NS)
    props = ext.iterfind("spiffworkflow:properties/spiffworkflow:property", NS) if ext is not None else []
    return {p.get("name"): (p.get("value") or "").strip() for p in props}


def role_tokens(text: str) -> list[str]:
    """The role names a `startRoles` value lists (codes or Chinese names, separated by commas, 、 or spaces)."""
    return [t for t in SEPARATORS.split(text or "") if t]


def start_event(process):
    """The process's own start event (not a subprocess's): the one that declares its starters."""
    events = process.findall("bpmn:startEvent", NS)
    declared = [e for e in events if _properties(e).get(START_ROLES) or _properties(e).get("formKey")]
    return (declared or events or [None])[0]


def _misplaced(process, event) -> list[Problem]:
    problems = []
    for prop in process.iterfind(f".//spiffworkflow:property[@name='{START_ROLES}']", NS):
        owner = prop.getparent().getparent().getparent()  # property → properties → extensionElements → element
        if owner is not event:
            problems.append(Problem(owner.get("id"), f"“{label(owner)}”声明了发起角色：发起角色只能声明在流程的开始事件上"))
    return problems


def _declared_problems(event, props: dict, role_names: dict[str, str]) -> list[Problem]:
    event_id, names = event.get("id"), role_tokens(props.get(START_ROLES, ""))
    if not names:
        return [Problem(event_id, f"新流程须在开始事件“{label(event)}”上声明发起角色（startRoles，如“人才开发中心”），"
                                  "否则没有人能发起它")]
    problems = [Problem(event_id, f"发起角色“{n}”不是可登录用户的角色（泳道表中的角色名或代码，不能是“系统”）")
                for n in names if role_names.get(n) not in policy.ROLES]
    if props.get("formKey") and not form_exists(props["formKey"]):
        problems.append(Problem(event_id, f"开始事件“{label(event)}”引用的发起表单 {props['formKey']} 不存在"))
    return problems


def start_problems(process, process_key: str, role_names: dict[str, str]) -> list[Problem]:
    """A new process declares valid starters (and an existing start form); a shipped one declares none."""
    event = start_event(process)
    problems = _misplaced(process, event)
    if event is None:
        return problems  # the graph rules report the missing start event
    props = _properties(event)
    if process_key in shipped_keys():
        if props.get(START_ROLES) or props.get("formKey"):
            problems.append(Problem(event.get("id"), f"流程 {process_key} 随专家库发布，由其专用页面发起（如入库申请、"
                                                     "用人申请）：开始事件上不能声明发起角色或发起表单"))
        return problems
    return problems + _declared_problems(event, props, role_names)


def start_declaration(process, process_key: str, role_names: dict[str, str]) -> dict | None:
    """What deploy stores for a valid process: its starter role codes, start form and start event; None for a
    shipped process (call after start_problems found nothing)."""
    event = start_event(process)
    if process_key in shipped_keys() or event is None:
        return None
    props = _properties(event)
    roles = sorted({role_names[n] for n in role_tokens(props.get(START_ROLES, ""))})
    return {"roles": roles, "form_key": props.get("formKey") or None, "event_id": event.get("id")}

