"""Stored workflow state vs steps: what the host stores (state without the spec) against SpiffWorkflow's full
serialization (spec included), step by step along the admission_public happy path.

One workflow runs in memory (SpiffWorkflow 3.2.0, canned service results, the validated task data the host stores).
After each step both serializations of the same workflow are taken, their size in UTF-8 bytes measured, and each
timed (median of --reps serializations, interleaved host/full).

    .venv/bin/python bench/state_size.py [--reps 50] [--quick] [--json PATH]
"""

import argparse
import json
import statistics
import sys
import time

import benchlib  # noqa: F401 — puts this checkout first on sys.path
from benchlib import md_table, write_json
from engine_overhead import BPMN_FILE, DMN_FILE, PROCESS_KEY, BareScriptEngine
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.core.spiff import dump_workflow
from engine.platform.settings import commitment_period

ELIGIBILITY = {"eligible": True, "problems": [], "route": "title", "transfer_to_talent_center": True}
STEPS = [
    ("initial_review", {"decision": "pass", "checklist_ok": True, "credit_checked": True}),
    ("division_review", {"decision": "pass", "propose_role": "none"}),
    ("leader_approval", {"decision": "approve"}),
    ("record_document", {"doc_no": "闽市监函〔2026〕12号", "doc_date": "2026-03-02"}),
    ("sign_commitment", {"agree": True, "signature": "林建华"}),
]


def _timed(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(reps: int) -> list[list]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN_FILE))
    parser.add_dmn_file(str(DMN_FILE))
    full = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    workflow = BpmnWorkflow(parser.get_spec(PROCESS_KEY), parser.get_subprocess_specs(PROCESS_KEY),
                            script_engine=BareScriptEngine(ELIGIBILITY))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update({"application_id": 1, "submitter_user_id": 1, "signer_user_id": 1,
                          "commitment_period": commitment_period()})
    rows = []

    def snapshot(step: str) -> None:
        host_bytes = len(dump_workflow(workflow).encode("utf-8"))
        full_bytes = len(full.serialize_json(workflow).encode("utf-8"))
        host_ms = _timed(lambda: dump_workflow(workflow), reps)
        full_ms = _timed(lambda: full.serialize_json(workflow), reps)
        rows.append([step, len(workflow.get_tasks()), f"{host_bytes:,}", f"{full_bytes:,}",
                     f"{full_bytes / host_bytes:.1f}×", f"{host_ms:.2f}", f"{full_ms:.2f}"])

    workflow.refresh_timers()
    workflow.do_engine_steps()
    snapshot("submit")
    for bpmn_id, values in STEPS:
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        assert task.task_spec.bpmn_id == bpmn_id, task.task_spec.bpmn_id
        task.data[bpmn_id] = json.loads(json.dumps(values))
        task.run()
        workflow.refresh_timers()
        workflow.do_engine_steps()
        snapshot(bpmn_id)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=50)
    benchlib.add_convention(parser)
    args = parser.parse_args(argv)
    rows = measure(10 if args.quick else args.reps)
    markdown = (
        "Stored state of one admission_public workflow after each step: what the host stores (SpiffWorkflow's "
        "serializer with the spec left out; the spec is compiled once per process version and cached) against "
        "SpiffWorkflow's full serialization (SPIFF_CONFIG, spec included), and the median time to serialize each.\n\n"
        + md_table(["after step", "tasks in tree", "host bytes", "full bytes", "full/host", "host ms", "full ms"],
                   rows))
    print(markdown)
    write_json(args.json, "State size vs steps", markdown, [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
