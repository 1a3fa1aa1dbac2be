"""The script sandbox's policy and evaluator: what scripts may use still works (the shipped processes'
idioms), what they may not is refused with a Chinese reason, and script semantics match SpiffWorkflow's."""

import re
from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

from engine.core import sandbox
from engine.core.sandbox import SandboxViolation
from engine.core.sandbox_budget import Budget
from engine.core.sandbox_guards import ALLOWED_ATTRIBUTE_NAMES, SAFE_BUILTINS, guarded_getattr
from engine.core.scripting import SCRIPT_GLOBALS, SandboxEnvironment
from engine.core.spiff import parse_xml
from engine.deploy import versions as registry
from engine.deploy.lint_dmn import entry_expressions
from engine.deploy.scriptcheck import expression_sites, script_problems
from tests.core.sandbox_cases import ESCAPES, OLD_HELPERS

CJK = re.compile(r"[\u4e00-\u9fff]")
DATA = {"review": {"decision": "pass", "comment": " ok "}, "batch": {"ask": [{"user_id": 3}]}, "x": 1,
        "items": [3, 1, 2], "when": date(2026, 3, 2), "name": "林建华"}

ALLOWED = [
    ('review["decision"] == "pass"', True),
    ('review.get("comment").strip()', "ok"),
    ("len(batch[\"ask\"]) > 0", True),
    ('(review if x == 1 else batch)["decision"] == "pass" if x is not None else False', True),
    ("sorted(items)[0] + max(items) - min(items)", 3),
    ("[i * 2 for i in items if i > 1]", [6, 4]),
    ("{k: v for k, v in review.items() if k == 'decision'}", {"decision": "pass"}),
    ('f"{name}：{x:03d}/{when.year}"', "林建华：001/2026"),
    ('"P" + str(x * 14) + "D"', "P14D"),
    ("dict(a=x, b=list(range(3)))", {"a": 1, "b": [0, 1, 2]}),
    ("any([i > 2 for i in items]) and all([i > 0 for i in items])", True),
    ("sum(items) / len(items) == 2 and abs(-x) == round(1.2)", True),
    ('", ".join([str(i) for i in items])', "3, 1, 2"),
    ("when.isoformat()", "2026-03-02"),
    ("[a for a, b in zip(items, range(2))]", [3, 1]),
    ('"%d" if x else 0', "%d"),
    ("items[::-1]", [2, 1, 3]),
    ("[a for a, *rest in [items]]", [3]),
]


@pytest.mark.parametrize("source,expected", ALLOWED, ids=[a for a, _ in ALLOWED])
def test_what_scripts_may_use_still_works(source, expected):
    assert sandbox.check(source) == []
    assert sandbox.evaluate(source, dict(DATA)) == expected


def test_a_script_sets_and_deletes_task_data_as_spiffworkflow_does():
    data = {"batch": {"ask": [1, 2]}, "ask": 5, "_private": "kept"}
    SandboxEnvironment(dict(SCRIPT_GLOBALS)).execute('ask = None\ndel ask\nto_ask = batch["ask"]\nf = len\n'
                                                     'a, (b, c) = 1, [2, 3]\nfor i in range(3):\n    a += i\n'
                                                     'batch["n"] = len(to_ask)\n', data, {"ext": 1})
    assert data == {"batch": {"ask": [1, 2], "n": 2}, "to_ask": [1, 2], "a": 4, "b": 2, "c": 3, "i": 2,
                    "_private": "kept"}


def test_task_data_named_like_a_guard_survives_a_script():
    data = {"_getattr_": "kept", "__builtins__": "kept too", "x": 1}
    sandbox.execute("y = x", data)
    assert data == {"_getattr_": "kept", "__builtins__": "kept too", "x": 1, "y": 1}


def test_a_failing_script_leaves_the_task_data_unchanged():
    data = {"x": 1}
    with pytest.raises(ZeroDivisionError):
        sandbox.execute("y = 2\nz = 1 / 0\n", data)
    assert data == {"x": 1}


def test_task_data_cannot_shadow_the_builtins_or_the_guards():
    data = {"__builtins__": {"open": open}, "_getattr_": getattr, "_getiter_": iter, "y": 2}
    assert sandbox.evaluate("len([y])", data) == 1
    with pytest.raises(SandboxViolation):
        sandbox.evaluate("y.__class__", data)
    guards = Budget().guards()
    env = sandbox._globals(data, {"__builtins__": {}}, {}, guards)
    assert set(env["__builtins__"]) == set(SAFE_BUILTINS) and env["_getattr_"] == guards["_getattr_"]
    assert env["__builtins__"]["len"] is len and "open" not in env["__builtins__"] and env["y"] == 2


def test_host_helpers_are_callable_protected_and_never_overwritten_by_task_data():
    environment = SandboxEnvironment({"today": lambda: "2026-03-02"})
    assert environment.evaluate("today()[:4]", {}) == "2026"
    assert "today 重新赋值" in sandbox.check("today = 1", "exec", frozenset({"today"}))[0]
    with pytest.raises(ValueError, match="today"):  # as SpiffWorkflow does
        environment.execute("y = 1", {"today": 3})


@pytest.mark.parametrize("source,reason", [
    ("import os", "import"),
    ("x.__class__", "内部属性 __class__"),
    ("x.format(1)", "属性 format"),
    ("exec('1')", "exec"),
    ("print(x)", "print"),
    ("len = 3", "len 重新赋值"),
    ("del sorted", "sorted 重新赋值"),
    ("[len := 1]", "海象运算符"),
    ("(i for i in x)", "生成器表达式"),
    ("lambda: 1", "lambda"),
    ("def f():\n    pass", "函数定义"),
    ("class C:\n    pass", "类定义"),
    ("while x:\n    pass", "while 循环"),
    ("try:\n    pass\nexcept Exception:\n    pass", "try 语句"),
    ("with x:\n    pass", "with 语句"),
    ("raise x", "raise"),
    ("x.y = 1", "给属性 y 赋值"),
    ("x[0] += 1", "增量赋值"),
    ('"%s" % x', "f-string"),
    ("x @ x", "@ 运算符"),
    ("_secret", "下划线"),
    ("x = (", "语法错误"),
    ("1" * 20_001, "脚本过长"),
])
def test_what_scripts_may_not_use_is_refused_with_a_chinese_reason(source, reason):
    problems = sandbox.check(source, "exec")
    assert any(reason in p for p in problems), problems
    assert all(CJK.search(p) for p in problems)
    with pytest.raises(SandboxViolation, match=re.escape(reason)):
        sandbox.execute(source, {"x": [1]})


def test_reasons_of_a_multi_line_script_name_the_line():
    assert script_problems("y = 1\nz = open('f')\n", "脚本") == ["脚本：第 2 行：调用了不在允许清单中的函数 open"]


@pytest.mark.parametrize("escape", [e for e in ESCAPES if e.harm == "leak" and e.runs_on_old_engine],
                         ids=lambda e: e.name)
def test_format_escapes_leak_internals_on_the_old_engine_and_are_refused_in_the_sandbox(escape):
    leaked = TaskDataEnvironment(dict(OLD_HELPERS)).evaluate(escape.source, {"x": 1})
    assert "class" in str(leaked) or "subclasses" in str(leaked)
    with pytest.raises(SandboxViolation):
        sandbox.evaluate(escape.source, {"x": 1})


def test_the_violation_is_a_workflow_task_exception_with_a_chinese_message():
    with pytest.raises(SandboxViolation) as err:
        sandbox.evaluate("open('/tmp/x')", {})
    assert isinstance(err.value, WorkflowTaskException) and err.value.task is None
    assert str(err.value) == "脚本或表达式被沙箱拒绝：调用了不在允许清单中的函数 open（表达式：open('/tmp/x')）"


def test_compiled_code_is_cached_per_source():
    sandbox.compiled.cache_clear()
    for _ in range(3):
        sandbox.evaluate("x + 41", {"x": 1})
    info = sandbox.compiled.cache_info()
    assert (info.misses, info.hits) == (1, 2) and info.maxsize == 2048


def test_dmn_entries_are_checked_as_spiffworkflow_combines_them():
    assert entry_expressions('"all"', '"all"') == ['("all") == ("all")']
    assert entry_expressions("age", "< 60") == ["age< 60"]
    assert entry_expressions("age", "? > 18 and ? < 60") == ["age", "dmninputexpr > 18 and dmninputexpr < 60"]
    assert entry_expressions("age", '"what?"') == ['(age) == ("what?")']


def test_every_expression_of_the_shipped_processes_passes_the_policy():
    sites = []
    for path in registry.shipped_bpmn():
        sites += expression_sites(parse_xml(path.read_text(encoding="utf-8")))
    assert len(sites) > 100 and {s.mode for s in sites} == {"eval", "exec"}
    assert [s for s in sites if script_problems(s.source, s.label, s.mode)] == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
@example("*0")  # parses as an expression, only the compiler refuses it
def test_the_policy_never_crashes_on_arbitrary_text(text):
    for mode in ("eval", "exec"):
        assert isinstance(sandbox.check(text, mode), list)


NAMES = st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True), st.sampled_from(
    sorted(ALLOWED_ATTRIBUTE_NAMES) + ["__class__", "__globals__", "__self__", "gi_frame", "f_back", "format",
                                       "format_map", "mro", "fromkeys", "maketrans", "encode"]))


@settings(max_examples=500, deadline=None)
@given(NAMES, st.sampled_from([1, "s", [1], {"k": 1}, (1,), date(2026, 1, 1), len, str, dict, sandbox, ...]))
def test_no_attribute_outside_the_allow_list_is_ever_reachable(name, value):
    try:
        guarded_getattr(value, name)
    except SandboxViolation:
        return
    assert name in ALLOWED_ATTRIBUTE_NAMES and isinstance(value, (str, list, dict, tuple, date))
