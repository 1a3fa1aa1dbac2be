"""Deploy-time check of BPMN scripts and expressions: only data access and allow-listed helpers."""

import ast

from engine.scripting import SCRIPT_GLOBALS

SAFE_BUILTINS = {"True", "False", "None", "str", "int", "float", "bool", "any", "all", "abs", "round"}


def script_problems(source: str, where: str) -> list[str]:
    """Reasons (Chinese) why a script/expression is not allowed; empty when it is fine."""
    try:
        tree = ast.parse(source or "")
    except SyntaxError as exc:
        return [f"{where}：脚本语法错误（第 {exc.lineno} 行）"]
    allowed_calls = set(SCRIPT_GLOBALS) | SAFE_BUILTINS
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            problems.append(f"{where}：不允许 import")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            problems.append(f"{where}：不允许访问内部属性 {node.attr}")
        elif isinstance(node, ast.Name) and node.id.startswith("__"):
            problems.append(f"{where}：不允许使用 {node.id}")
        elif isinstance(node, ast.Call) and not _allowed_call(node, allowed_calls):
            problems.append(f"{where}：调用了不在允许清单中的函数 {ast.unparse(node.func)}")
    return problems


def _allowed_call(node: ast.Call, allowed: set[str]) -> bool:
    # Method calls on data (e.g. form["x"].get("y")) are allowed; free functions must be allow-listed.
    if isinstance(node.func, ast.Name):
        return node.func.id in allowed
    return isinstance(node.func, ast.Attribute) and node.func.attr in {"get", "keys", "values", "items", "strip",
                                                                      "lower", "upper", "startswith", "endswith"}
