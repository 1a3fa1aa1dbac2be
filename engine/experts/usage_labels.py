"""Labels of the using unit's usage record (附件3 任务完成情况): one source, the usage_record form's choices.

The form the unit fills in, the 评价表 page, its DOCX, the frozen snapshot and the request page all label the
stored codes from here, so they can no longer disagree with what the unit was offered (issue 11: `minor`).
"""

from functools import cache

from engine.core.forms import load_form

USAGE_FORM = "usage_record"
FIELDS = ("completion", "professional_level", "attitude", "commitment_compliance")


@cache
def choice_labels() -> dict[str, dict[str, str]]:
    """field → {code: label} for each choice field of the shipped usage_record form."""
    return {f["name"]: {str(code): str(label) for code, label in f["choices"]}
            for f in load_form(USAGE_FORM)["fields"] if f["type"] == "choice"}


def label(field: str, value: str | None) -> str:
    """The form's label of a code; a value that is no code (already a label) is returned as it is."""
    return choice_labels().get(field, {}).get(value or "", value or "")
