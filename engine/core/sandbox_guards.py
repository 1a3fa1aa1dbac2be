"""Run-time half of the script sandbox: the only builtins a script sees and the guards RestrictedPython's
transformed code calls (attribute, item, writes, operators, f-strings), each refusing with a Chinese
reason (SandboxViolation). The per-evaluation budget (steps, time, total size) is engine/sandbox_budget.py;
the compile-time half (the policy) is engine/sandbox.py.
"""

import operator
import re
from datetime import date, datetime, timedelta

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import WorkflowException

MAX_TEXT = 1_000_000  # characters in one string a script builds
MAX_ITEMS = 100_000  # items in one list/tuple a script builds, numbers in one range
MAX_INT_BITS = 10_000  # size of one integer a script builds (about 3,000 digits)
MAX_FORMAT_WIDTH = 1_000  # width/precision in an f-string format spec


class SandboxViolation(WorkflowTaskException):
    """A script or expression broke the sandbox policy or its budget; the message is Chinese.

    Raised without a task by the evaluator; the host script engine re-raises it with the task, so the
    message names the BPMN element and `task` is set (as on any WorkflowTaskException).
    """

    def __init__(self, reason: str, task=None, source: str | None = None, element_id: str | None = None):
        self.reason, self.source = reason, source
        spec = getattr(task, "task_spec", None)
        self.element_id = element_id or ((getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)) if spec else None)
        where = f"元素 {self.element_id} 的" if self.element_id else ""
        shown = f"（表达式：{' '.join(source.split())[:80]}）" if source else ""
        message = f"{where}脚本或表达式被沙箱拒绝：{reason}{shown}"
        if task is not None:
            super().__init__(message, task=task)
            return
        WorkflowException.__init__(self, message)
        self.task = self.line_number = self.offset = self.error_line = None
        self.error_type, self.task_trace = "SandboxViolation", []

    def __str__(self) -> str:
        return "。".join([self.args[0], *self.notes])


def _too_big(what: str) -> SandboxViolation:
    return SandboxViolation(f"{what}超过沙箱的大小上限")


def _limit(value) -> int:
    return MAX_TEXT if isinstance(value, (str, bytes)) else MAX_ITEMS


_SEQUENCES = (str, bytes, list, tuple)


def _check_add(a, b) -> None:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > _limit(a):
        raise _too_big("拼接结果")


def _check_mul(a, b) -> None:
    seq, n = (a, b) if isinstance(a, _SEQUENCES) else (b, a)
    if isinstance(seq, _SEQUENCES) and isinstance(n, int) and len(seq) * n > _limit(seq):
        raise _too_big("重复（*）的结果")
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise _too_big("乘积")


def _check_pow(a, b) -> None:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1 and a.bit_length() * b > MAX_INT_BITS:
        raise _too_big("乘方结果")


def _check_shift(a, b) -> None:
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b > MAX_INT_BITS:
        raise _too_big("移位结果")


def _check_mod(a, _b) -> None:
    if isinstance(a, (str, bytes)):
        raise SandboxViolation("不允许用 % 格式化字符串，请改用 f-string")


_CHECKS = {"+": _check_add, "*": _check_mul, "**": _check_pow, "<<": _check_shift, "%": _check_mod}
_OPS = {"+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod}
_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
            "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
            ">>=": operator.irshift, "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand}


def binop(op: str, a, b):
    """`a op b` for the operators that can build something huge (+ * ** << %), size checked first."""
    _CHECKS[op](a, b)
    return _OPS[op](a, b)


def inplacevar(op: str, a, b):
    """`a op= b` on a variable (RestrictedPython's _inplacevar_), with the same size checks."""
    if op[:-1] in _CHECKS:
        _CHECKS[op[:-1]](a, b)
    if op not in _INPLACE:
        raise SandboxViolation(f"不允许使用运算符 {op}")
    return _INPLACE[op](a, b)


def text_size(value, budget: int = MAX_TEXT) -> int:
    """About how many characters str(value) has; stops counting once over `budget`."""
    stack, total = [value], 0
    while stack and total <= budget:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item) + 2
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
            total += 2 * len(item) + 2
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
            total += 2 * len(item) + 2
        else:
            total += 32
    return total


def _check_text(value) -> None:
    if not isinstance(value, (int, float, bool, type(None))) and text_size(value) > MAX_TEXT:
        raise _too_big("转换成的文字")


def safe_str(value="") -> str:
    """str(value) (one argument), refused when the text would be too big."""
    _check_text(value)
    return str(value)


_CONVERSIONS = {-1: lambda v: v, 115: str, 114: repr, 97: ascii}
_NUMBER = re.compile(r"\d+")


def format_value(value, conversion: int, spec: str | None) -> str:
    """One `{value!conversion:spec}` of an f-string: size and format width checked."""
    _check_text(value)
    if spec and any(int(n) > MAX_FORMAT_WIDTH for n in _NUMBER.findall(spec)):
        raise SandboxViolation(f"f-string 的格式宽度或精度不能超过 {MAX_FORMAT_WIDTH}")
    return format(_CONVERSIONS[conversion](value), spec or "")


def join_fstring(pieces: tuple) -> str:
    """The f-string's pieces joined, refused when the result would be too big."""
    if sum(len(p) for p in pieces) > MAX_TEXT:
        raise _too_big("f-string 结果")
    return "".join(pieces)


def safe_range(*args) -> range:
    """range(...) of at most MAX_ITEMS numbers."""
    numbers = range(*args)
    try:
        size = len(numbers)
    except OverflowError:
        size = MAX_ITEMS + 1
    if size > MAX_ITEMS:
        raise SandboxViolation(f"range 最多 {MAX_ITEMS} 个数")
    return numbers


def safe_sum(items, start=0):
    """sum() of numbers only (summing lists or strings could build something huge)."""
    if not isinstance(start, (int, float)):
        raise SandboxViolation("sum 只能对数字求和")
    return sum(items, start)


def _join(text: str):
    def join(items):
        items = list(items)
        if len(text) * len(items) + sum(len(i) for i in items if isinstance(i, str)) > MAX_TEXT:
            raise _too_big("join 结果")
        return text.join(items)
    return join


def _replace(text: str):
    def replace(old, new, count=-1):
        hits = text.count(old) if old else len(text) + 1
        if isinstance(new, str) and len(text) + hits * max(len(new) - len(old), 0) > MAX_TEXT:
            raise _too_big("replace 结果")
        return text.replace(old, new, count)
    return replace


_STR_ATTRS = frozenset({
    "strip", "lstrip", "rstrip", "lower", "upper", "title", "capitalize", "startswith", "endswith", "split",
    "rsplit", "splitlines", "partition", "rpartition", "join", "replace", "find", "rfind", "count", "index",
    "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace"})
_ALLOWED_ATTRS = (
    (str, _STR_ATTRS),
    (dict, frozenset({"get", "keys", "values", "items", "copy", "pop", "setdefault", "update"})),
    (list, frozenset({"append", "insert", "pop", "remove", "index", "count", "copy", "sort", "reverse"})),
    (tuple, frozenset({"index", "count"})),
    ((set, frozenset), frozenset({"add", "discard", "remove", "union", "intersection", "difference",
                                  "issubset", "issuperset", "copy"})),
    (datetime, frozenset({"year", "month", "day", "hour", "minute", "second", "weekday", "isoweekday",
                          "isoformat", "date"})),
    (date, frozenset({"year", "month", "day", "weekday", "isoweekday", "isoformat"})),
    (timedelta, frozenset({"days", "seconds", "total_seconds"})),
)
ALLOWED_ATTRIBUTE_NAMES = frozenset().union(*(names for _, names in _ALLOWED_ATTRS))
_WRAPPED = {"join": _join, "replace": _replace}


def guarded_getattr(obj, name: str):
    """obj.name for the allow-listed methods/fields of data values (never of types, functions, modules)."""
    allowed = next((names for kind, names in _ALLOWED_ATTRS if isinstance(obj, kind)), frozenset())
    if name not in allowed or isinstance(obj, type):
        raise SandboxViolation(f"不允许访问 {type(obj).__name__} 的属性 {name}")
    if isinstance(obj, str) and name in _WRAPPED:
        return _WRAPPED[name](obj)
    return getattr(obj, name)


def guarded_getitem(obj, key):
    """obj[key] on data (never on types)."""
    if isinstance(obj, type):
        raise SandboxViolation(f"不允许对类型 {obj.__name__} 取下标")
    return obj[key]


def guarded_write(obj):
    """The target of `x[k] = v` / `del x[k]`: only dicts and lists may be changed."""
    if isinstance(obj, (dict, list)):
        return obj
    raise SandboxViolation(f"只能修改字典或列表，不能修改 {type(obj).__name__}")


def apply(func, *args, **kwargs):
    """RestrictedPython's _apply_: a call with *args / **kwargs."""
    return func(*args, **kwargs)


SAFE_BUILTINS = {
    "True": True, "False": False, "None": None,
    "abs": abs, "all": all, "any": any, "bool": bool, "dict": dict, "enumerate": enumerate, "float": float,
    "int": int, "len": len, "list": list, "max": max, "min": min, "range": safe_range, "reversed": reversed,
    "round": round, "set": set, "sorted": sorted, "str": safe_str, "sum": safe_sum, "tuple": tuple, "zip": zip,
}
