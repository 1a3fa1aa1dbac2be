"""Validation before deploy: safe XML, the BPMN 2.0 XSD, SpiffWorkflow's parser and the product's lint
rules. Every reason is collected (in Chinese, with the element id) so the owner can fix them all at once."""

from functools import lru_cache

from lxml import etree
from sqlalchemy import select

from engine.core.spiff import compile_process, parse_xml
from engine.deploy.files import parse_untrusted
from engine.deploy.lint_dmn import dmn_expression_problems, dmn_problems
from engine.deploy.lint_graph import graph_problems
from engine.deploy.lint_refs import (
    lane_of,
    lane_problems,
    parse_dmn,
    process_problems,
    script_lint,
    service_problems,
    timer_problems,
    user_task_problems,
)
from engine.deploy.lint_start import start_problems
from engine.deploy.lint_zh import deduplicated, spiff_message, xml_error, xsd_message
from engine.deploy.problems import Problem
from engine.platform.models import Role


@lru_cache(maxsize=1)
def _xsd():
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

    return BpmnValidator()


def xsd_problems(xml: str) -> list[Problem]:
    """Every BPMN 2.0 XSD violation (the tree is parsed safely again, the validator rewrites it)."""
    validator = _xsd()
    tree = parse_xml(xml)
    validator.preprocess(tree)
    schema: etree.XMLSchema = validator.validator
    if schema.validate(tree):
        return []
    return [Problem("", f"不符合 BPMN 2.0 XSD（第 {e.line} 行）：{xsd_message(e.message)}") for e in schema.error_log][:20]


def role_names(session) -> dict[str, str]:
    """Lane name → role code, by Chinese name or code (DESIGN §3)."""
    roles = list(session.scalars(select(Role)))
    return {r.name: r.code for r in roles} | {r.code: r.code for r in roles}


def _engine_problems(process_key: str, xml: str, dmn_files: dict[str, str]) -> list[Problem]:
    try:
        compile_process(process_key, xml, dmn_files)
    except Exception as exc:  # every parser failure becomes a listed reason, never a crash
        return [Problem(getattr(exc, "id", None) or "", f"SpiffWorkflow 无法解析：{spiff_message(exc)}")]
    return []


def lint_bundle(session, process_key: str, bpmn_xml: str, dmn_files: dict[str, str]):
    """Validate a bundle; returns (lane name → role code, every problem found)."""
    try:
        root = parse_untrusted(bpmn_xml)
    except Exception as exc:  # malformed, DOCTYPE, oversized: nothing else can be checked
        return {}, [Problem("", f"BPMN 无法解析：{xml_error(exc)}")]
    problems = xsd_problems(bpmn_xml)
    process, found = process_problems(root, process_key)
    problems += found
    roles = role_names(session)
    mapping, found = lane_problems(root, roles)
    problems += found
    decisions, found = parse_dmn(dmn_files)
    problems += found
    if process is not None:
        problems += graph_problems(process) + user_task_problems(process, lane_of(root), mapping)
        problems += service_problems(process) + timer_problems(process) + dmn_problems(process, decisions)
        problems += start_problems(process, process_key, roles)
    problems += script_lint(root) + dmn_expression_problems(root, decisions)
    engine = []
    if process is not None and not any(p.message.startswith("不符合 BPMN 2.0 XSD") for p in problems):
        engine = _engine_problems(process_key, bpmn_xml, dmn_files)
    return mapping, deduplicated(problems, engine)
