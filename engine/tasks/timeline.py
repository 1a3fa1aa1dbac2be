"""An instance's history in words: who (name, roles, unit), when, which step, on which version, what changed.

The web layer turns each entry's form values into labelled rows (webui/forms_render.display_rows); this module
collects the facts and words the automatic steps' results, so no page shows raw JSON.
"""

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from engine.core.forms import step_forms
from engine.core.models import AuditEvent, ProcessVersion
from engine.platform.models import Attachment, Role, User
from engine.platform.privacy import has_pii, mask_fields, record_view, sees_pii

DAYS = re.compile(r"P(\d+)D")  # ISO periods the processes pass in (e.g. commitment_period "P14D")
START_LABELS = {"commitment_period": "承诺书签署期限"}  # start data outside any form definition
PATHS = {"title": "职称路径", "rank": "职级路径"}  # Art 6(二): the two experience paths
# The keys the procedures' automatic steps return, in words (a key not listed shows as it is).
RESULT_LABELS = {"referred": "转人才开发中心初审", "reasons": "不符合项数", "status": "状态", "term_end": "聘期至",
                 "certificate_no": "聘书编号", "corrected": "已补正", "applied": "已生效", "problems": "问题",
                 "position": "职务", "group": "专家组", "name": "姓名", "expert_name": "专家", "response": "答复",
                 "by": "办理人", "at": "时间"}
_IDS = ("_id", "_ids")  # internal row ids say nothing to a reader


@dataclass
class Entry:
    """One line of the timeline."""

    event: AuditEvent
    actor: str
    roles: str
    unit: str
    version: int | None
    form: dict | None = None
    before: dict | None = None
    after: dict | None = None
    steps: list[str] = field(default_factory=list)


def _scalar_words(value) -> str:
    if isinstance(value, str) and (days := DAYS.fullmatch(value)):
        return f"{days.group(1)} 天"
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "—"
    if isinstance(value, (list, tuple)):
        return "、".join(_scalar_words(v) for v in value) or "—"
    if isinstance(value, dict):
        return "；".join(f"{RESULT_LABELS.get(k, k)}：{_scalar_words(v)}" for k, v in value.items()
                        if not str(k).endswith(_IDS)) or "—"
    return str(value)


def _eligibility_words(report: dict) -> str:
    if report.get("eligible"):
        path = PATHS.get(report.get("path") or "", "")
        return f"符合（{path}）" if path else "符合"
    reasons = "；".join(r.get("message", "") for r in report.get("reasons") or [] if isinstance(r, dict))
    return f"不符合：{reasons}" if reasons else "不符合"


def result_words(result) -> str:
    """An automatic step's result in words (eligibility reports as 符合（职称路径）/ 不符合：理由)."""
    if not isinstance(result, dict):
        return _scalar_words(result)
    words = []
    for key, value in result.items():
        if isinstance(value, dict) and "eligible" in value:
            words.append(_eligibility_words(value))
        elif isinstance(value, dict):
            words.append(_scalar_words(value))
        elif not str(key).endswith(_IDS):
            words.append(f"{RESULT_LABELS.get(key, key)}：{_scalar_words(value)}")
    return "；".join(words) or "已完成"


def step_words(step: dict) -> str:
    """`名称：结果` for one automatic step recorded in an event."""
    name = step.get("name") or step.get("bpmn_id") or "自动步骤"
    return f"{name}：{result_words(step['result'])}" if step.get("result") is not None else name


def _people(session, events) -> dict[int, tuple[str, str, str]]:
    ids = {e.actor_id for e in events if e.actor_id is not None}
    if not ids:
        return {}
    names = dict(session.execute(select(Role.code, Role.name)).all())
    people = {}
    for user in session.scalars(select(User).where(User.id.in_(ids))):
        roles = "、".join(names.get(r, r) for r in sorted(user.roles))
        people[user.id] = (user.display_name, roles, user.unit.name if user.unit else "")
    return people


def _values(data: dict | None, bpmn_id: str | None) -> dict | None:
    if not data:
        return None
    values = data.get(bpmn_id) if bpmn_id else data.get("data")
    return dict(values) if isinstance(values, dict) else None


def _words(values: dict | None, form: dict | None) -> dict | None:
    # Values outside a form definition (start data, other events) become words here, never JSON on the page.
    if values is None or form is not None:
        return values
    # Internal row ids (application_id, signer_user_id …) mean nothing to a reader; the subject names the case.
    return {START_LABELS.get(k, k): _scalar_words(v) for k, v in values.items() if not k.endswith("_id")} or None


def _other_values(event: AuditEvent) -> dict | None:
    after = event.data_after or {}
    if event.bpmn_id or event.action == "instance_started":
        return _values(after, event.bpmn_id)
    rest = {k: v for k, v in after.items() if k != "steps"}
    return rest or None


def timeline(session, instance, events: list[AuditEvent], masked: bool = False) -> list[Entry]:
    """The instance's events as words; `masked` hides personal-data fields (phone, ID number…) from this viewer."""
    people = _people(session, events)
    forms = step_forms(session, instance.id)
    versions = dict(session.execute(select(ProcessVersion.id, ProcessVersion.version).where(
        ProcessVersion.id.in_({e.version_id for e in events if e.version_id}))).all())
    hide = mask_fields if masked else (lambda values: values)
    entries = []
    for e in events:
        name, roles, unit = people.get(e.actor_id, (e.actor_name, "", ""))
        after = e.data_after or {}
        steps = after.get("steps") if isinstance(after.get("steps"), list) else []
        form = forms.get(e.bpmn_id)
        entries.append(Entry(
            event=e, actor=name, roles=roles, unit=unit, version=versions.get(e.version_id), form=form,
            before=hide(_words(_values(e.data_before, e.bpmn_id), form)),
            after=hide(_words(_other_values(e), form)),
            steps=[step_words(s) for s in steps if isinstance(s, dict)]))
    return entries


def viewed_timeline(session, viewer, instance, events: list[AuditEvent], now) -> list[Entry]:
    """The timeline a viewer may read: masked without the PII role, else one audit event when it shows any."""
    own = instance.started_by == viewer.id  # one's own case: one's own data, no disclosure
    masked = not (own or sees_pii(session, viewer))
    entries = timeline(session, instance, events, masked=masked)
    fields = {f for en in entries for f in has_pii(en.before) + has_pii(en.after)}
    if not (masked or own) and fields:
        record_view(session, viewer, now, "流程历史", [("instance", instance.id, instance.subject)], fields,
                    instance=instance)
    return entries


def attachment_names(session, ids) -> dict[int, str]:
    """File names of attachments the timeline links (only two columns read, not the bytes)."""
    ids = {int(i) for i in ids}
    if not ids:
        return {}
    return dict(session.execute(select(Attachment.id, Attachment.filename).where(Attachment.id.in_(ids))).all())


def _masked_data(data):
    if not isinstance(data, dict):
        return data
    return {k: mask_fields(v) if isinstance(v, dict) else v for k, v in mask_fields(data).items()}


def viewed_event_data(session, viewer, instance, events: list[AuditEvent], now) -> list[dict]:
    """Each event's (before, after) for the API: personal-data fields masked as on the page, and one audit event
    when they are returned unmasked (a masked copy no longer matches the event's hash; the chain is unchanged)."""
    own = instance.started_by == viewer.id
    masked = not (own or sees_pii(session, viewer))
    pairs = [(e.data_before, e.data_after) for e in events]
    if masked:
        return [(_masked_data(b), _masked_data(a)) for b, a in pairs]
    fields = {f for b, a in pairs for d in (b, a) if isinstance(d, dict)
              for v in [d, *d.values()] if isinstance(v, dict) for f in has_pii(v)}
    if fields and not own:
        record_view(session, viewer, now, "接口：流程历史", [("instance", instance.id, instance.subject)], fields,
                    instance=instance)
    return pairs
