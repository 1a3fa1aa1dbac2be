"""SpiffWorkflow 3.2.0 glue: safe XML parsing, spec compilation per version (cached), serialization.

Workflows are stored *without* their spec: the spec is compiled once per immutable process version and
cached, so loading an instance restores only its task tree (spiff-arena stores specs separately too).
"""

import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, SpiffProcessParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

MAX_XML_BYTES = 2 * 1024 * 1024


def safe_xml_parser() -> etree.XMLParser:
    """An lxml parser that never expands entities, loads DTDs or touches the network."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def parse_xml(text: str | bytes) -> etree._Element:
    """Parse untrusted XML safely; refuses DOCTYPEs (entity tricks) and oversized input."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > MAX_XML_BYTES:
        raise ValueError(f"文件超过 {MAX_XML_BYTES // 1024} KB 的大小限制")
    root = etree.fromstring(raw, parser=safe_xml_parser())
    if root.getroottree().docinfo.doctype:
        raise ValueError("不允许包含 DOCTYPE 声明（可能的外部实体或实体膨胀攻击）")
    return root


@dataclass(frozen=True)
class CompiledProcess:
    """A parsed process: the top spec, its subprocess specs and the lanes it uses."""

    spec: object
    subprocess_specs: dict


ALL_WITH_ID = ".//*[@id]"


class _LinearProcessParser(SpiffProcessParser):
    """SpiffWorkflow's process parser, indexing element ids with one tree walk: libxml2 evaluates the
    XPath `.//*[@id]` it uses in time quadratic in the document (1.4 s at 8,000 tasks)."""

    def xpath(self, xpath):
        """Every descendant element with an id, in document order (the same result as the XPath)."""
        if xpath == ALL_WITH_ID:
            return [e for e in self.node.iterdescendants() if isinstance(e.tag, str) and e.get("id") is not None]
        return super().xpath(xpath)


class _HostBpmnParser(SpiffBpmnParser):
    PROCESS_PARSER_CLASS = _LinearProcessParser


def compile_process(process_key: str, bpmn_xml: str, dmn_files: dict[str, str], validate: bool = False):
    """Parse one BPMN document (and its DMN files) into a CompiledProcess."""
    parser = _HostBpmnParser(validator=BpmnValidator() if validate else None)
    parser.add_bpmn_xml(parse_xml(bpmn_xml).getroottree(), filename=f"{process_key}.bpmn")
    for name, xml in sorted(dmn_files.items()):
        parser.add_dmn_xml(parse_xml(xml), filename=name)
    return _as_restored(parser.get_spec(process_key), parser.get_subprocess_specs(process_key))


def _as_restored(spec, subprocess_specs: dict) -> CompiledProcess:
    """Round-trip parsed specs through SpiffWorkflow's own spec converter.

    The parser leaves some wiring to run time (a loop / multi-instance task connects its child's
    `completed_event` to `merge_child` only when it creates a child, in memory); SpiffWorkflow's spec
    converter makes those connections when it restores a spec. A cached spec restored the same way is
    wired exactly as SpiffWorkflow wires it, so a cold process behaves like the warm one that created
    the instance (issue 8: without this, restored multi-instance children never merge).
    """
    registry = serializer.registry
    restored = registry.restore(registry.convert(spec))
    subs = {name: registry.restore(registry.convert(sub)) for name, sub in subprocess_specs.items()}
    return CompiledProcess(spec=restored, subprocess_specs=subs)


def cache_enabled() -> bool:
    """False when EXPERTPOOL_SPEC_CACHE=off: every load compiles afresh, as a restarted process would."""
    return os.environ.get("EXPERTPOOL_SPEC_CACHE", "on").lower() not in ("off", "0", "no", "false")


class _SpecCache:
    """Small LRU of compiled processes keyed by process version id (versions are immutable)."""

    def __init__(self, size: int = 64):
        self._items: OrderedDict[int, CompiledProcess] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def clear(self) -> None:
        """Forget every compiled process (what a restart does)."""
        with self._lock:
            self._items.clear()

    def get(self, version) -> CompiledProcess:
        """The compiled process of a version: cached, or compiled afresh when the cache is off."""
        if not cache_enabled():
            return compile_process(version.process_key, version.bpmn_xml, version.dmn_files or {})
        with self._lock:
            hit = self._items.get(version.id)
            if hit is not None:
                self._items.move_to_end(version.id)
                return hit
        compiled = compile_process(version.process_key, version.bpmn_xml, version.dmn_files or {})
        with self._lock:
            self._items[version.id] = compiled
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return compiled


spec_cache = _SpecCache()


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow's state without its spec; restores it onto a cached spec."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, compiled: CompiledProcess | None = None):
        if compiled is None:
            raise ValueError("a compiled process is required to restore a workflow")
        workflow = self.target_class(compiled.spec, compiled.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], workflow=workflow, key_class=UUID)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


serializer = _make_serializer()


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """Serialize a workflow's state (no spec) to JSON."""
    return serializer.serialize_json(workflow)


def load_workflow(text: str, compiled: CompiledProcess, script_engine) -> BpmnWorkflow:
    """Restore a workflow's state onto its compiled spec and attach the host script engine."""
    dct = json.loads(text)
    serializer.migrate(dct)
    workflow = serializer.registry.restore(dct, compiled=compiled)
    workflow.script_engine = script_engine
    return workflow


def new_workflow(compiled: CompiledProcess, script_engine) -> BpmnWorkflow:
    """Create a fresh workflow for a compiled process."""
    return BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=script_engine)


def _armed_at(event_task) -> datetime | None:
    """When an armed (WAITING) boundary timer fires, read from the value the engine stored when it armed it."""
    definition = getattr(event_task.task_spec, "event_definition", None)
    if event_task.state != TaskState.WAITING or not isinstance(definition, TimerEventDefinition):
        return None
    value = definition.details(event_task).value  # a cycle's next firing, a date's or duration's instant
    return TimerEventDefinition.get_datetime(value) if isinstance(value, str) else None


def _guarding_timers(task):
    """Fire times of the timers on the boundary of `task` itself (not of a boundary event's own path)."""
    split = task.parent
    if split is None or not isinstance(split.task_spec, BoundaryEventSplit) or isinstance(task.task_spec, BoundaryEvent):
        return []
    return [at for sibling in split.children if sibling is not task and (at := _armed_at(sibling)) is not None]


def armed_deadline(spiff_task) -> datetime | None:
    """The earliest instant an armed boundary timer ends or escalates this task: its own timers, a
    multi-instance body's, an enclosing subprocess's (walked up through the task tree and parent workflows)."""
    found, task = [], spiff_task
    while task is not None:
        found += _guarding_timers(task)
        if task.parent is not None:
            task = task.parent
        else:  # the top of a subprocess: continue from the task that runs it in the parent workflow
            workflow = task.workflow
            task = workflow.top_workflow.get_task_from_id(workflow.parent_task_id) if workflow.parent_task_id else None
    return min(found) if found else None
