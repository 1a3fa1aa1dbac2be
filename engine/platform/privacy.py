"""Personal data (phone, ID number, e-mail, address): masked unless the viewer's role needs it; every unmasked
view of someone else's data is one audit event (who saw whose data, when), which the auditor lists."""

from sqlalchemy import func, select

from engine.core import audit
from engine.core.db import kept_loaded, transaction_cache
from engine.core.models import AuditEvent
from engine.core.uow import unit_of_work
from engine.platform.models import Role

PII_VIEWED = "pii_viewed"
PII_FIELDS = ("phone", "id_number", "email", "address")
FIELD_NAMES = {"phone": "联系电话", "id_number": "身份证号", "email": "电子邮箱", "address": "地址"}


def mask_phone(phone: str | None) -> str:
    """138****1234 style."""
    if not phone or len(phone) < 7:
        return "****"
    return phone[:3] + "****" + phone[-4:]


def mask_id_number(number: str | None) -> str:
    """Keep the first 4 and last 4 characters."""
    if not number or len(number) < 8:
        return "****"
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_address(address: str | None) -> str:
    """Keep the first 6 characters (province, city), hide the rest."""
    return (address or "")[:6] + "****"


MASKS = {"phone": mask_phone, "id_number": mask_id_number, "email": lambda _v: "", "address": mask_address}


def mask_fields(values: dict | None) -> dict | None:
    """A copy of `values` with every personal-data field masked (empty values stay empty)."""
    if values is None:
        return None
    return {k: (MASKS[k](v) if k in MASKS and v else v) for k, v in values.items()}


def has_pii(values: dict | None) -> list[str]:
    """The personal-data fields `values` holds with a value (what an unmasked view discloses)."""
    return [k for k in PII_FIELDS if (values or {}).get(k)]


def sees_pii(session, viewer) -> bool:
    """Roles flagged `sees_pii` see phone, ID number, e-mail and address unmasked (asked once per transaction)."""
    known = transaction_cache(session, "sees_pii")
    key = (viewer.id, tuple(viewer.roles))
    if key not in known:
        known[key] = bool(session.scalar(select(func.count()).select_from(Role).where(
            Role.code.in_(viewer.roles), Role.sees_pii)))
    return known[key]


def view_event(session, viewer, now, page: str, subjects: list[tuple[str, int | None, str]], fields,
               instance=None) -> None:
    """Queue the audit event of one unmasked view in the caller's unit of work (an export that commits anyway).

    `subjects`: whose data, as (kind, id, name); a name alone (id None) when only the name is known.
    """
    if not subjects or not fields:
        return
    audit.record(session, PII_VIEWED, viewer, now, instance=instance, after={
        "page": page, "fields": sorted(set(fields)),
        "subjects": [{"kind": k, "id": i, "name": n} for k, i, n in subjects]})


def record_view(session, viewer, now, page: str, subjects: list[tuple[str, int | None, str]], fields,
                instance=None) -> None:
    """One audit event for one unmasked view: the page, whose data (kind, id, name) and which fields.

    Its own unit of work, after the page's reads: a GET page leaves the trace even though it changes nothing.
    """
    if not subjects or not fields:
        return
    with kept_loaded(session), unit_of_work(session):  # the page's rows stay loaded: the view changed none of them
        view_event(session, viewer, now, page, subjects, fields, instance)


def pii_views(session, limit: int = 500) -> list[AuditEvent]:
    """The latest unmasked views of personal data, newest first (the auditor's list)."""
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == PII_VIEWED)
                                .order_by(AuditEvent.id.desc()).limit(limit)))
