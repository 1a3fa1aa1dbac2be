"""Personal-data masking and recorded views now live in engine.platform.privacy (系统管理's account pages, below
the roster, record views too); this name stays so code written against it keeps working."""

from engine.platform.privacy import (  # noqa: F401
    FIELD_NAMES,
    MASKS,
    PII_FIELDS,
    PII_VIEWED,
    has_pii,
    mask_address,
    mask_fields,
    mask_id_number,
    mask_phone,
    pii_views,
    record_view,
    sees_pii,
    view_event,
)
