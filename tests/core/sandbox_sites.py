"""Every place SpiffWorkflow 3.2.0 evaluates text, as a small BPMN (+ DMN) document per site: `build(site,
source)` puts `source` at that site of an otherwise valid bundle; `run()` drives it through the engine."""

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from SpiffWorkflow.util.task import TaskState

from engine.core.spiff import compile_process, new_workflow

KEY = "sandbox_case"
HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
          'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
          'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" '
          'targetNamespace="http://bpmn.io/schema/bpmn">')
DMN = ('<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" '
       'id="dmn_defs" name="d" namespace="http://camunda.org/schema/1.0/dmn"><decision id="sandbox_decision" name="d">'
       '<decisionTable id="table" hitPolicy="UNIQUE"><input id="in1" label="i"><inputExpression id="in1_expr" '
       'typeRef="string"><text>{input}</text></inputExpression></input><output id="out1" label="o" name="result" '
       'typeRef="integer"/><rule id="rule1"><inputEntry id="rule1_in"><text>{entry}</text></inputEntry>'
       '<outputEntry id="rule1_out"><text>{output}</text></outputEntry></rule></decisionTable></decision></definitions>')

# A process under a new key declares who may start it (issue 11 item 20), or it does not deploy.
STARTERS = ('<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="startRoles" '
            'value="talent_center"/></spiffworkflow:properties></bpmn:extensionElements>')


def _flows(*pairs: tuple[str, str]) -> str:
    return "".join(f'<bpmn:sequenceFlow id="f_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>' for a, b in pairs)


def _line(middle: str, extra: str = "", process_extra: str = "") -> str:
    """start → <middle element with id "site"> → end; `extra` goes before the process (shared definitions)."""
    return (f'{HEADER}{extra}<bpmn:process id="{KEY}" name="沙箱样例" isExecutable="true">'
            f'<bpmn:startEvent id="start">{STARTERS}<bpmn:outgoing>f_start_site</bpmn:outgoing></bpmn:startEvent>{middle}'
            f'<bpmn:endEvent id="end"><bpmn:incoming>f_site_end</bpmn:incoming></bpmn:endEvent>'
            f'{_flows(("start", "site"), ("site", "end"))}{process_extra}</bpmn:process></bpmn:definitions>')


IO = "<bpmn:incoming>f_start_site</bpmn:incoming><bpmn:outgoing>f_site_end</bpmn:outgoing>"


def _ext(tag: str, source: str) -> str:
    return f"<bpmn:extensionElements><spiffworkflow:{tag}>{escape(source)}</spiffworkflow:{tag}></bpmn:extensionElements>"


def _script(s):
    return _line(f'<bpmn:scriptTask id="site" scriptFormat="python">{IO}<bpmn:script>{escape(s)}</bpmn:script></bpmn:scriptTask>')


def _pre(s):
    return _line(f'<bpmn:task id="site">{_ext("preScript", s)}{IO}</bpmn:task>')


def _post(s):
    return _line(f'<bpmn:task id="site">{_ext("postScript", s)}{IO}</bpmn:task>')


def _condition(s):
    return (f'{HEADER}<bpmn:process id="{KEY}" isExecutable="true"><bpmn:startEvent id="start">{STARTERS}<bpmn:outgoing>f1'
            '</bpmn:outgoing></bpmn:startEvent><bpmn:exclusiveGateway id="gw" default="f_default"><bpmn:incoming>f1'
            '</bpmn:incoming><bpmn:outgoing>site</bpmn:outgoing><bpmn:outgoing>f_default</bpmn:outgoing>'
            '</bpmn:exclusiveGateway><bpmn:endEvent id="end"><bpmn:incoming>site</bpmn:incoming><bpmn:incoming>'
            'f_default</bpmn:incoming></bpmn:endEvent><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>'
            '<bpmn:sequenceFlow id="site" sourceRef="gw" targetRef="end"><bpmn:conditionExpression '
            f'xsi:type="bpmn:tFormalExpression">{escape(s)}</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="f_default" sourceRef="gw" targetRef="end"/></bpmn:process></bpmn:definitions>')


def _service(s):
    return _line('<bpmn:serviceTask id="site"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
                 'id="sandbox_echo" resultVariable="echoed"><spiffworkflow:parameters><spiffworkflow:parameter '
                 f'id="value" type="any" value={quoteattr(s)}/></spiffworkflow:parameters>'
                 f'</spiffworkflow:serviceTaskOperator></bpmn:extensionElements>{IO}</bpmn:serviceTask>')


def _rule_task() -> str:
    task = ('<bpmn:businessRuleTask id="site"><bpmn:extensionElements><spiffworkflow:calledDecisionId>'
            'sandbox_decision</spiffworkflow:calledDecisionId></bpmn:extensionElements><bpmn:incoming>f_start_site'
            '</bpmn:incoming><bpmn:outgoing>f_site_use</bpmn:outgoing></bpmn:businessRuleTask><bpmn:scriptTask '
            'id="use" scriptFormat="python"><bpmn:incoming>f_site_use</bpmn:incoming><bpmn:outgoing>f_site_end'
            '</bpmn:outgoing><bpmn:script>used = [result, x]</bpmn:script></bpmn:scriptTask>')
    return _line(task).replace('sourceRef="site" targetRef="end"', 'sourceRef="use" targetRef="end"') \
        .replace("</bpmn:process>", '<bpmn:sequenceFlow id="f_site_use" sourceRef="site" targetRef="use"/></bpmn:process>')


def _timer(kind: str, s: str, attach: bool = False):
    definition = (f'<bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(s)}'
                  f'</bpmn:{kind}></bpmn:timerEventDefinition>')
    return _line(f'<bpmn:intermediateCatchEvent id="site">{IO}{definition}</bpmn:intermediateCatchEvent>')


def _multi(inner: str):
    return _line(f'<bpmn:task id="site">{IO}<bpmn:multiInstanceLoopCharacteristics isSequential="true">{inner}'
                 '</bpmn:multiInstanceLoopCharacteristics></bpmn:task>')


def _loop(s):
    return _line(f'<bpmn:task id="site">{IO}<bpmn:standardLoopCharacteristics loopMaximum="2"><bpmn:loopCondition '
                 f'xsi:type="bpmn:tFormalExpression">{escape(s)}</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:task>')


def _conditional_event(s):
    return _line(f'<bpmn:intermediateCatchEvent id="site">{IO}<bpmn:conditionalEventDefinition><bpmn:condition '
                 f'xsi:type="bpmn:tFormalExpression">{escape(s)}</bpmn:condition></bpmn:conditionalEventDefinition>'
                 '</bpmn:intermediateCatchEvent>')


def _message_payload(s):
    return _line(f'<bpmn:intermediateThrowEvent id="site">{IO}<bpmn:messageEventDefinition messageRef="msg">'
                 f'{_ext("messagePayload", s)}</bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>',
                 extra='<bpmn:message id="msg" name="msg"/>')


THROW_MESSAGE = (f'<bpmn:intermediateThrowEvent id="site">{IO}<bpmn:messageEventDefinition messageRef="msg">'
                 f'{_ext("messagePayload", "dict(a=1)")}</bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>')


def _correlation(s):
    shared = ('<bpmn:message id="msg" name="msg"/><bpmn:correlationProperty id="site_property" name="p">'
              '<bpmn:correlationPropertyRetrievalExpression messageRef="msg"><bpmn:formalExpression>'
              f'{escape(s)}</bpmn:formalExpression></bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>')
    return _line(THROW_MESSAGE, extra=shared)


def _event_payload(kind: str, s: str):
    ref = {"signal": "signalRef", "escalation": "escalationRef"}[kind]
    shared = (f'<bpmn:{kind} id="site_{kind}" name="e"><bpmn:extensionElements><spiffworkflow:payloadExpression>'
              f'{escape(s)}</spiffworkflow:payloadExpression></bpmn:extensionElements></bpmn:{kind}>')
    return _line(f'<bpmn:intermediateThrowEvent id="site">{IO}<bpmn:{kind}EventDefinition {ref}="site_{kind}"/>'
                 '</bpmn:intermediateThrowEvent>', extra=shared)


def _adhoc(s):
    return _line(f'<bpmn:adHocSubProcess id="site">{IO}<bpmn:task id="adhoc_task"/><bpmn:completionCondition '
                 f'xsi:type="bpmn:tFormalExpression">{escape(s)}</bpmn:completionCondition></bpmn:adHocSubProcess>')


def _correlation_comment(s):
    # SpiffWorkflow evaluates the first child node of a retrieval expression, even a comment.
    shared = ('<bpmn:message id="msg" name="msg"/><bpmn:correlationProperty id="site_property" name="p">'
              f'<bpmn:correlationPropertyRetrievalExpression messageRef="msg"><!--{s.replace("--", "- -")}-->'
              '<bpmn:messagePath>a</bpmn:messagePath></bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>')
    return _line(THROW_MESSAGE, extra=shared)


def _process_correlation(s):
    extension = ('<bpmn:extensionElements><spiffworkflow:processVariableCorrelation><spiffworkflow:propertyId>p'
                 f'</spiffworkflow:propertyId><spiffworkflow:expression>{escape(s)}</spiffworkflow:expression>'
                 '</spiffworkflow:processVariableCorrelation></bpmn:extensionElements>')
    return _line(f'<bpmn:intermediateCatchEvent id="site">{IO}<bpmn:messageEventDefinition messageRef="msg">'
                 f'{extension}</bpmn:messageEventDefinition></bpmn:intermediateCatchEvent>',
                 extra='<bpmn:message id="msg" name="msg"/>')


def _call_activity(s):
    called = (f'<bpmn:process id="sandbox_called" isExecutable="true"><bpmn:startEvent id="c_start"><bpmn:outgoing>'
              'c1</bpmn:outgoing></bpmn:startEvent><bpmn:scriptTask id="called_script" scriptFormat="python">'
              f'<bpmn:incoming>c1</bpmn:incoming><bpmn:outgoing>c2</bpmn:outgoing><bpmn:script>{escape(s)}'
              '</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="c_end"><bpmn:incoming>c2</bpmn:incoming>'
              '</bpmn:endEvent><bpmn:sequenceFlow id="c1" sourceRef="c_start" targetRef="called_script"/>'
              '<bpmn:sequenceFlow id="c2" sourceRef="called_script" targetRef="c_end"/></bpmn:process>')
    return _line(f'<bpmn:callActivity id="site" calledElement="sandbox_called">{IO}</bpmn:callActivity>'
                 ).replace("</bpmn:definitions>", called + "</bpmn:definitions>")


def _subprocess(s):
    inner = ('<bpmn:startEvent id="s_start"><bpmn:outgoing>s1</bpmn:outgoing></bpmn:startEvent><bpmn:scriptTask '
             'id="inner_script" scriptFormat="python"><bpmn:incoming>s1</bpmn:incoming><bpmn:outgoing>s2'
             f'</bpmn:outgoing><bpmn:script>{escape(s)}</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="s_end">'
             '<bpmn:incoming>s2</bpmn:incoming></bpmn:endEvent><bpmn:sequenceFlow id="s1" sourceRef="s_start" '
             'targetRef="inner_script"/><bpmn:sequenceFlow id="s2" sourceRef="inner_script" targetRef="s_end"/>')
    return _line(f'<bpmn:subProcess id="site">{IO}{inner}</bpmn:subProcess>')


@dataclass(frozen=True)
class SiteKind:
    """How to put a source at one site: mode, the element deploy names, the element a run-time refusal
    names, a harmless source, the builders."""

    mode: str
    element: str
    runs_at: str
    benign: str
    bpmn: object
    dmn: object = None


def _dmn(input="\"all\"", entry="-", output="1"):
    return lambda s: {"sandbox_decision.dmn": DMN.format(input=escape(input), entry=escape(entry), output=escape(output)).replace("{s}", escape(s))}


SITES = {
    "script": SiteKind("exec", "site", "site", "y = x + 1", _script),
    "pre_script": SiteKind("exec", "site", "site", "y = x + 1", _pre),
    "post_script": SiteKind("exec", "site", "site", "y = x + 1", _post),
    "subprocess_script": SiteKind("exec", "inner_script", "inner_script", "y = x + 1", _subprocess),
    "call_activity_script": SiteKind("exec", "called_script", "called_script", "y = x + 1", _call_activity),
    "gateway_condition": SiteKind("eval", "site", "gw", "x == 1", _condition),
    "service_parameter": SiteKind("eval", "site", "site", "x + 1", _service),
    "dmn_input_expression": SiteKind("eval", "site", "site", "x * 1", lambda s: _rule_task(), _dmn(input="{s}", entry="1")),
    "dmn_input_entry": SiteKind("eval", "site", "site", "x + 0", lambda s: _rule_task(), _dmn(input="x", entry="{s}")),
    "dmn_output_entry": SiteKind("eval", "site", "site", "x + 1", lambda s: _rule_task(), _dmn(output="{s}")),
    "timer_duration": SiteKind("eval", "site", "site", '"PT0S" if x else "P1D"', lambda s: _timer("timeDuration", s)),
    "timer_date": SiteKind("eval", "site", "site", '"2020-01-01T00:00:00+00:00" if x else ""',
                           lambda s: _timer("timeDate", s)),
    "timer_cycle": SiteKind("eval", "site", "site", '"R1/PT0S" if x else ""', lambda s: _timer("timeCycle", s)),
    "loop_cardinality": SiteKind("eval", "site", "site", "x + 1", lambda s: _multi(
        f'<bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">{escape(s)}</bpmn:loopCardinality>')),
    "completion_condition": SiteKind("eval", "site", "site", "x == 1", lambda s: _multi(
        '<bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">2</bpmn:loopCardinality><bpmn:completionCondition '
        f'xsi:type="bpmn:tFormalExpression">{escape(s)}</bpmn:completionCondition>')),
    "loop_condition": SiteKind("eval", "site", "site", "x == 1", _loop),
    "adhoc_completion": SiteKind("eval", "site", "site", "x == 1", _adhoc),
    "conditional_event": SiteKind("eval", "site", "site", "x == 1", _conditional_event),
    "message_payload": SiteKind("eval", "site", "site", "dict(a=x)", _message_payload),
    "message_correlation": SiteKind("eval", "site_property", "site", "a + 0", _correlation),
    "correlation_comment": SiteKind("eval", "site_property", "site", "a - 0", _correlation_comment),
    "process_variable_correlation": SiteKind("eval", "site", "site", "x - 0", _process_correlation),
    "signal_payload": SiteKind("eval", "site_signal", "site", "dict(a=x)", lambda s: _event_payload("signal", s)),
    "escalation_payload": SiteKind("eval", "site_escalation", "site", "dict(a=x)",
                                   lambda s: _event_payload("escalation", s)),
}


def build(site: str, source: str) -> tuple[str, dict[str, str]]:
    """The bundle (BPMN, DMN files) with `source` at `site`."""
    kind = SITES[site]
    return kind.bpmn(source), (kind.dmn(source) if kind.dmn else {})


def run(bpmn: str, dmn: dict[str, str], script_engine, data: dict):
    """Start the bundle's process with `data` and step it as far as it goes (timers refreshed, manual
    steps completed); returns the workflow."""
    workflow = new_workflow(compile_process(KEY, bpmn, dmn), script_engine)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    for _ in range(4):
        workflow.do_engine_steps()
        workflow.refresh_timers()
        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            task.run()
    return workflow
