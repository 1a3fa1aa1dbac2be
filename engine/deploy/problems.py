"""A validation finding: the element it is about and a Chinese reason (shown in lists and in the editor)."""

from dataclasses import dataclass

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}


@dataclass(frozen=True)
class Problem:
    """One reason a bundle may not deploy; `element_id` is empty for whole-file reasons."""

    element_id: str
    message: str

    def __str__(self) -> str:
        return f"[{self.element_id}] {self.message}" if self.element_id else self.message


def local_name(element) -> str:
    """The tag without its namespace (e.g. 'userTask')."""
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def bpmn_children(element, *names: str):
    """Direct BPMN-namespace children of an element with one of the given local names."""
    return [c for c in element if isinstance(c.tag, str) and c.tag.startswith(f"{{{BPMN_NS}}}")
            and (not names or local_name(c) in names)]


def label(element) -> str:
    """An element's name or, when it has none, '未命名'."""
    return (element.get("name") or "").strip() or "未命名"


def as_errors(problems: list[Problem]) -> dict[str, str]:
    """Problems as the `errors` mapping of ValidationFailed; keys keep the order and the element id."""
    return {f"{i:03d}:{p.element_id}": str(p) for i, p in enumerate(problems)}
