"""The one script policy (DESIGN §6 "Script sandbox"), used at deploy time and at run time.

Every expression and script SpiffWorkflow evaluates is compiled here: first the policy below (a positive
list of Python syntax, no names or attributes outside the allow-lists; reasons in Chinese), then
RestrictedPython with a transformer that also guards operators and f-strings. Compiled code is cached per
source. It runs with an explicit `__builtins__` of safe functions (engine/sandbox_guards.py), so even code
the deploy check never saw cannot reach exec, open or __import__ at run time.
"""

import ast
import builtins
import re
from functools import lru_cache

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import copy_locations

from engine.core.sandbox_budget import Budget
from engine.core.sandbox_guards import ALLOWED_ATTRIBUTE_NAMES, SAFE_BUILTINS, SandboxViolation

__all__ = ["SandboxViolation", "check", "compiled", "evaluate", "execute"]

MAX_SOURCE_CHARS = 20_000
_ALLOWED_NODES = (
    ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.AugAssign, ast.Delete, ast.Pass, ast.If, ast.For,
    ast.Break, ast.Continue, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Dict, ast.Set, ast.List,
    ast.Tuple, ast.ListComp, ast.SetComp, ast.DictComp, ast.comprehension, ast.Compare, ast.Call, ast.keyword,
    ast.Constant, ast.JoinedStr, ast.FormattedValue, ast.Attribute, ast.Subscript, ast.Slice, ast.Starred,
    ast.Name, ast.expr_context, ast.boolop, ast.unaryop, ast.cmpop,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift, ast.BitOr,
    ast.BitXor, ast.BitAnd,
)
_LABELS = {
    "While": "while 循环（请改用 for … in range(…)）", "FunctionDef": "函数定义（def）及装饰器",
    "AsyncFunctionDef": "函数定义（async def）", "Lambda": "lambda 表达式", "ClassDef": "类定义（class）及装饰器",
    "GeneratorExp": "生成器表达式（请改用列表推导式 [...]）", "NamedExpr": "海象运算符 :=",
    "Try": "try 语句", "TryStar": "try 语句", "With": "with 语句", "AsyncWith": "with 语句", "Import": "import",
    "ImportFrom": "import", "Global": "global", "Nonlocal": "nonlocal", "Yield": "yield", "YieldFrom": "yield",
    "Await": "await", "Raise": "raise", "Assert": "assert", "AnnAssign": "带类型注解的赋值", "Match": "match 语句",
    "MatMult": "@ 运算符", "AsyncFor": "async for", "Return": "return",
}
# Python builtins (and RestrictedPython's reserved names) a script may not name: exec, eval, open, getattr,
# vars, dir, locals, globals, type, compile, breakpoint, __import__, print, ...
FORBIDDEN_NAMES = frozenset(dir(builtins)) - set(SAFE_BUILTINS) | {"printed", "builtins"}
_GUARDED_OPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}


def _name_problem(node: ast.Name, protected: frozenset) -> str | None:
    if node.id.startswith("_"):
        return f"不允许使用以下划线开头的名称 {node.id}"
    if node.id in FORBIDDEN_NAMES:
        return f"不允许使用 {node.id}（不在允许的函数清单中）"
    if not isinstance(node.ctx, ast.Load) and node.id in protected:
        return f"不允许给允许清单中的函数 {node.id} 重新赋值或删除"
    return None


def _slice_store(node: ast.AST) -> bool:
    """`x[a:b] = …`: a slice assignment can grow a list by any amount at once."""
    return isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and isinstance(node.slice, ast.Slice)


def _attribute_problem(node: ast.Attribute) -> str | None:
    if node.attr.startswith("_"):
        return f"不允许访问内部属性 {node.attr}"
    if not isinstance(node.ctx, ast.Load):
        return f"不允许给属性 {node.attr} 赋值或删除"
    if node.attr not in ALLOWED_ATTRIBUTE_NAMES:
        return f"不允许访问属性 {node.attr}（不在允许的方法清单中）"
    return None


def _unpacks(node: ast.AST) -> bool:
    """A list/tuple/set display with *x or a dict display with **x (copies that go around the budget)."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and not isinstance(getattr(node, "ctx", ast.Load()), ast.Store):
        return any(isinstance(e, ast.Starred) for e in node.elts)
    return isinstance(node, ast.Dict) and None in node.keys


def _node_problem(node: ast.AST, protected: frozenset) -> str | None:
    if not isinstance(node, _ALLOWED_NODES):
        name = type(node).__name__
        return f"不允许使用 {_LABELS.get(name, f'{name} 语法')}"
    if isinstance(node, ast.Name):
        return _name_problem(node, protected)
    if isinstance(node, ast.Attribute):
        return _attribute_problem(node)
    if _unpacks(node):
        return "不允许在列表、元组、集合或字典的字面量中用 * / ** 展开，请改用 +、list(…) 或 dict(…)"
    if _slice_store(node):
        return "不允许给切片赋值，请改用 + 或 append"
    if isinstance(node, ast.AugAssign) and not isinstance(node.target, ast.Name):
        return "增量赋值（+= 等）只能用于变量"
    if isinstance(node, ast.comprehension) and node.is_async:
        return "不允许使用 async 推导式"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, (ast.Constant, ast.JoinedStr)) \
            and isinstance(getattr(node.left, "value", ""), str):
        return "不允许用 % 格式化字符串，请改用 f-string"
    return None


def _call_problem(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name) and (func.id.startswith("_") or func.id in FORBIDDEN_NAMES):
        return f"调用了不在允许清单中的函数 {func.id}"
    return None


def policy_problems(tree: ast.AST, protected: frozenset, multiline: bool) -> list[str]:
    """Every reason (Chinese) the parsed source breaks the policy; empty when it is allowed."""
    problems: list[str] = []
    reported: set[int] = set()  # names already reported as the function of a call
    for node in ast.walk(tree):
        problem = _call_problem(node) if isinstance(node, ast.Call) else None
        if problem:
            reported.add(id(node.func))
        elif id(node) not in reported:
            problem = _node_problem(node, protected)
        line = getattr(node, "lineno", None)
        text = f"第 {line} 行：{problem}" if problem and multiline and line else problem
        if text and text not in problems:
            problems.append(text)
    return problems


class _Transformer(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: operators that can build something huge and f-strings go through
    guards, and what the policy above forbids is refused here too (a second, independent line)."""

    def error(self, node, info):
        self.errors.append(f"第 {getattr(node, 'lineno', '?')} 行：受限编译拒绝：{info}")

    def not_allowed(self, node):
        self.error(node, _LABELS.get(type(node).__name__, f"{type(node).__name__} 语法") + " 不允许使用")

    visit_While = visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = not_allowed
    visit_GeneratorExp = visit_NamedExpr = visit_Try = visit_TryStar = visit_With = not_allowed
    visit_Global = visit_Nonlocal = visit_Yield = visit_YieldFrom = visit_Raise = visit_Assert = not_allowed
    visit_AnnAssign = visit_Match = visit_MatMult = not_allowed

    def _no_unpacking(self, node):
        if _unpacks(node):
            self.not_allowed(node)
        return self.node_contents_visit(node)

    visit_List = visit_Tuple = visit_Set = visit_Dict = _no_unpacking

    def visit_Subscript(self, node):
        if _slice_store(node):
            self.error(node, "不允许给切片赋值")
        return super().visit_Subscript(node)

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        op = _GUARDED_OPS.get(type(node.op))
        if op is None:
            return node
        call = ast.Call(ast.Name("_binop_", ast.Load()), [ast.Constant(op), node.left, node.right], [])
        copy_locations(call, node)
        return call

    def visit_JoinedStr(self, node):
        pieces = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                spec = self.visit(value.format_spec) if value.format_spec else ast.Constant(None)
                value = ast.Call(ast.Name("_fmt_", ast.Load()),
                                 [self.visit(value.value), ast.Constant(value.conversion), spec], [])
            pieces.append(value)
        call = ast.Call(ast.Name("_fstr_", ast.Load()), [ast.Tuple(pieces, ast.Load())], [])
        copy_locations(call, node)
        return ast.fix_missing_locations(call)


SYNTAX = [  # Python's own words for the commonest slips, in Chinese (anything else: its text, wrapped)
    (r"^invalid syntax", "语法不正确"), (r"^'(.)' was never closed", "括号“{0}”没有闭合"),
    (r"^unterminated (?:triple-quoted )?string literal", "字符串缺少结束引号"), (r"^expected '(.)'", "此处缺少“{0}”"),
    (r"^unexpected indent", "缩进不正确（多余的缩进）"), (r"^expected an indented block", "此处应有缩进的语句块"),
    (r"^unindent does not match", "缩进层次不一致"), (r"^cannot assign to", "赋值号“=”左边不是变量（比较请用“==”）"),
    (r"^unmatched '(.)'", "多余的“{0}”"), (r"^invalid character '(.)'", "非法字符“{0}”"),
    (r"^unexpected EOF", "脚本意外结束"), (r"^closing parenthesis '(.)' does not match", "括号“{0}”不配对"),
]


def _syntax_message(message: str) -> str:
    for pattern, text in SYNTAX:
        found = re.match(pattern, message or "")
        if found:
            return text.format(*found.groups())
    return f"语法错误（Python 原文：{message}）"


def _parse(source: str, mode: str):
    if len(source) > MAX_SOURCE_CHARS:
        return None, [f"脚本过长（超过 {MAX_SOURCE_CHARS} 个字符）"]
    try:
        return ast.parse(source, mode=mode), []
    except SyntaxError as exc:
        return None, [f"脚本语法错误（第 {exc.lineno} 行）：{_syntax_message(exc.msg)}"]
    except (ValueError, RecursionError, MemoryError):
        return None, ["脚本无法解析（嵌套过深或含有非法字符）"]


@lru_cache(maxsize=2048)
def compiled(source: str, mode: str = "eval", protected: frozenset = frozenset()):
    """(code object or None, reasons) for a source in mode 'eval' or 'exec'; cached per source.

    An expression may be surrounded by whitespace (XML indentation); a script is compiled as written.
    """
    tree, problems = _parse(source.strip() if mode == "eval" else source, mode)
    if tree is None:
        return None, tuple(problems)
    problems = policy_problems(tree, protected | set(SAFE_BUILTINS), "\n" in source.strip())
    if problems:
        return None, tuple(problems)
    compile_mode = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compile_mode(tree, filename="<script>", policy=_Transformer)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # what only the compiler sees
        return None, (f"脚本语法错误：{getattr(exc, 'msg', exc)}",)
    return (result.code, ()) if not result.errors else (None, tuple(result.errors))


def check(source: str, mode: str = "eval", protected: frozenset = frozenset()) -> list[str]:
    """The reasons (Chinese) why a source may not run; empty when it may. What deploy calls."""
    return list(compiled(source or "", mode, frozenset(protected))[1])


def _code(source: str, mode: str, protected: frozenset):
    code, problems = compiled(source if isinstance(source, str) else "", mode, protected)
    if code is None:
        raise SandboxViolation("；".join(problems), source=source)
    return code


def _run(code, env: dict, source: str, mode: str):
    try:
        return eval(code, env) if mode == "eval" else exec(code, env)  # noqa: S102,S307 - restricted code, guarded globals
    except SandboxViolation as exc:
        raise SandboxViolation(exc.reason, source=source) from None


def _globals(data: dict, external: dict | None, helpers: dict, guards: dict) -> dict:
    # The guards go in last: task data can never replace __builtins__ or a guard (and a script cannot
    # name anything starting with "_" to read such a key anyway).
    return {**(external or {}), **data, **helpers, **guards}


def evaluate(source: str, data: dict, external: dict | None = None, helpers: dict | None = None):
    """The value of an expression over task data (and external names), run in the sandbox."""
    helpers = helpers or {}
    code = _code(source, "eval", frozenset(helpers))
    return _run(code, _globals(data, external, helpers, Budget().guards()), source, "eval")


def execute(source: str, data: dict, external: dict | None = None, helpers: dict | None = None) -> None:
    """Run a script in the sandbox; on success its variables become the task data (as SpiffWorkflow does:
    helpers, external names and functions are not kept)."""
    helpers = helpers or {}
    code = _code(source, "exec", frozenset(helpers))
    guards = Budget().guards()
    env = _globals(data, external, helpers, guards)
    guard_names = set(guards)
    _run(code, env, source, "exec")
    dropped = guard_names | set(helpers) | set(external or {})
    result = {k: v for k, v in env.items() if k not in dropped and not callable(v)}
    result.update((k, v) for k, v in data.items() if k in guard_names)  # never reached by the script
    data.clear()
    data.update(result)
