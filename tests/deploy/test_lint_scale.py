"""The deploy linter is linear: a generated 8,000-task process passes check_bundle in seconds (a per-gateway
scan of every flow once took 37 s), and four times the tasks cost about four times the time of the
project's lint rules (a quadratic rule would cost sixteen)."""

import time

import pytest

from engine.deploy import lint
from engine.deploy import versions as registry

LANES = {"人才开发中心": "talent_center", "系统": "system"}
USER_EVERY = 8  # one task in 8 is a user task (in the talent centre's lane), the others script tasks
BRANCHES, BRANCH_TASKS = 10, 8  # each gateway: 10 conditional branches of 8 tasks, the default goes on
TASKS_PER_GATEWAY = BRANCHES * BRANCH_TASKS


DMN = {"scale_grade.dmn": (
    '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dmn_scale" name="s" '
    'namespace="http://camunda.org/schema/1.0/dmn"><decision id="scale_grade" name="等级">'
    '<decisionTable id="table" hitPolicy="UNIQUE"><input id="in_n" label="n"><inputExpression id="in_n_expr" '
    'typeRef="integer"><text>n</text></inputExpression></input><output id="out" label="等级" name="grade" '
    'typeRef="string"/><rule id="r1"><inputEntry id="r1_in"><text>&gt;= 0</text></inputEntry><outputEntry '
    'id="r1_out"><text>"a"</text></outputEntry></rule></decisionTable></decision></definitions>')}


def _task(i: int) -> str:
    if i % TASKS_PER_GATEWAY == 1:  # one business rule task per gateway; the next task reads its output
        return ('<businessRuleTask id="t{i}" name="r"><extensionElements><s:calledDecisionId>scale_grade'
                '</s:calledDecisionId></extensionElements></businessRuleTask>').replace("{i}", str(i))
    if i % TASKS_PER_GATEWAY == 2:
        return f'<scriptTask id="t{i}" name="t"><script>n = len(grade)</script></scriptTask>'
    if i % USER_EVERY:
        return f'<scriptTask id="t{i}" name="t"><script>n = {i % BRANCHES}</script></scriptTask>'
    return (f'<userTask id="t{i}" name="u"><extensionElements><s:properties><s:property name="formKey" '
            f'value="initial_review"/></s:properties></extensionElements></userTask>')


def _flow(flow_id: str, source: str, target: str, condition: str = "") -> str:
    if not condition:
        return f'<sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    return (f'<sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
            f"<conditionExpression>{condition}</conditionExpression></sequenceFlow>")


def large_bpmn(tasks: int) -> str:
    """A valid, executable process of `tasks` script/user/business rule tasks (a multiple of TASKS_PER_GATEWAY): a chain of
    exclusive gateways, each with conditional branches of chained tasks and a default flow to the next
    gateway; user tasks sit in a lane mapped to a role. (Kept shallow: SpiffWorkflow's parser recurses
    along a path, so one 8,000-task chain would exceed Python's recursion limit.)"""
    assert tasks > 0 and tasks % TASKS_PER_GATEWAY == 0, tasks
    body, flows, lane_refs = [], [_flow("f_start", "start", "g0")], []
    for g in range(tasks // TASKS_PER_GATEWAY):
        after = f"g{g + 1}" if (g + 1) * TASKS_PER_GATEWAY < tasks else "end"
        body.append(f'<exclusiveGateway id="g{g}" name="g" default="d{g}"/>')
        flows.append(_flow(f"d{g}", f"g{g}", after))
        for b in range(BRANCHES):
            first = (g * BRANCHES + b) * BRANCH_TASKS
            flows.append(_flow(f"c{first}", f"g{g}", f"t{first}", f"n == {b}"))
            for i in range(first, first + BRANCH_TASKS):
                body.append(_task(i))
                lane_refs.append(f"<flowNodeRef>t{i}</flowNodeRef>" if i % USER_EVERY == 0 else "")
                flows.append(_flow(f"f{i}", f"t{i}", f"t{i + 1}" if i + 1 < first + BRANCH_TASKS else "end"))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:s="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">'
        '<process id="lint_scale" name="规模" isExecutable="true"><laneSet id="ls">'
        f'<lane id="lane_tc" name="人才开发中心">{"".join(lane_refs)}</lane>'
        '<lane id="lane_sys" name="系统"><flowNodeRef>start</flowNodeRef><flowNodeRef>end</flowNodeRef></lane>'
        '</laneSet><startEvent id="start"><extensionElements><s:properties><s:property name="startRoles" '
        'value="人才开发中心"/></s:properties></extensionElements></startEvent><endEvent id="end"/>'
        + "".join(body) + "".join(flows) + "</process></definitions>"
    )


def _best_of(runs: int, action) -> float:
    """The fastest of `runs` timings (noise only ever adds time)."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def test_an_8000_task_process_passes_check_bundle_in_seconds(session):
    xml = large_bpmn(8000)
    started = time.perf_counter()
    assert registry.check_bundle(session, "lint_scale", xml, DMN) == LANES
    elapsed = time.perf_counter() - started
    # ~2 s here; the quadratic gateway rule alone took 37 s.
    assert elapsed < 12, f"check_bundle of 8,000 tasks took {elapsed:.1f} s"


def test_the_whole_check_grows_linearly(session):
    small, large = large_bpmn(2000), large_bpmn(8000)
    # Every rule and SpiffWorkflow's parse (engine.core.spiff indexes ids with one tree walk instead of the
    # XPath `.//*[@id]`, which libxml2 evaluates in quadratic time).
    assert registry.check_bundle(session, "lint_scale", small, DMN) == LANES
    small_time = _best_of(3, lambda: registry.check_bundle(session, "lint_scale", small, DMN))
    large_time = _best_of(3, lambda: registry.check_bundle(session, "lint_scale", large, DMN))
    # Linear: ~4x; quadratic: ~16x (the old gateway rule: 14x; the XPath alone: 28x). 8x keeps noise out.
    assert large_time < 8 * small_time, f"2,000 tasks: {small_time:.3f} s, 8,000 tasks: {large_time:.3f} s"


@pytest.mark.parametrize("tasks", [80, 160])
def test_the_generated_process_is_valid_and_the_rules_still_bite(session, tasks):
    xml = large_bpmn(tasks)
    assert registry.check_bundle(session, "lint_scale", xml, DMN) == LANES
    # Dropping the default of one gateway among many is found, with its element id.
    _, problems = lint.lint_bundle(session, "lint_scale", xml.replace(' default="d0"', "", 1), DMN)
    assert [p.element_id for p in problems if "必须指定默认流" in p.message] == ["g0"]
