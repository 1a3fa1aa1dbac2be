"""Per-evaluation budget of the script sandbox: loop iterations, wall-clock time and the total size of what
a script builds. One Budget per evaluation supplies the globals RestrictedPython's transformed code calls;
each guard checks one operation (engine/sandbox_guards.py), the budget adds up what they all built, so
neither a long loop nor many copies (`[list(big) for i in range(n)]`) can exhaust the worker.
"""

from time import monotonic

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from engine.core import sandbox_guards as guards
from engine.core.sandbox_guards import SandboxViolation

MAX_STEPS = 1_000_000  # loop iterations per evaluation
TIME_LIMIT_SECONDS = 2.0  # wall-clock time per evaluation (checked while looping)
MAX_BUILT = 20_000_000  # characters + weighted items of every string/collection one evaluation builds, in total
# An item of a collection is a Python object (≈ 50–100 bytes with its entry), a character is one byte: items
# weigh more, so a script holds at most 2 million of them (20 million would take over a gigabyte, and freeing
# them alone takes seconds).
ITEM_WEIGHT = 10
_TEXT = (str, bytes)
_SIZED = (str, bytes, list, tuple, dict, set, frozenset)
_BUILDERS = frozenset({"list", "tuple", "set", "dict", "sorted", "str"})  # builtins that copy their input


def _weight(value) -> int:
    """What a value counts toward MAX_BUILT: its characters, or its items times ITEM_WEIGHT."""
    if isinstance(value, _TEXT):
        return len(value)
    return len(value) * ITEM_WEIGHT if isinstance(value, _SIZED) else 0


class Budget:
    """Per evaluation: iterations counted and the clock checked as a script loops; sizes added up."""

    __slots__ = ("steps", "deadline", "built")

    def __init__(self):
        self.steps = 0
        self.built = 0
        self.deadline = monotonic() + TIME_LIMIT_SECONDS

    def account(self, value, size: int | None = None):
        """Add what an operation built (its length, or `size`) to the total; refuse once the total is over
        MAX_BUILT or the time is up (this also bounds loops that run inside builtins, e.g. sort keys)."""
        if size is None:
            size = _weight(value)
        self.built += size
        if self.built > MAX_BUILT:
            raise SandboxViolation(f"脚本创建的数据总量超过上限 {MAX_BUILT}")
        if monotonic() > self.deadline:
            raise SandboxViolation(f"运行时间超过 {TIME_LIMIT_SECONDS:g} 秒")
        return value

    def _accounted(self, func, target=None):
        """func, with its result (and, for a method of a list/dict/set, how much it grew) counted."""
        def call(*args, **kwargs):
            before = len(target) if target is not None else 0
            result = func(*args, **kwargs)
            grown = len(target) - before if target is not None else 0
            return self.account(result, _weight(result) + max(grown, 0) * ITEM_WEIGHT)
        return call

    def getiter(self, obj):
        """RestrictedPython's _getiter_: every `for` and comprehension iterates through the counter."""
        if isinstance(obj, range):
            guards.safe_range(obj.start, obj.stop, obj.step)
        return self._count(iter(obj))

    def _count(self, iterator):
        for item in iterator:
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise SandboxViolation(f"循环次数超过上限 {MAX_STEPS}")
            if not self.steps & 0x3FF and monotonic() > self.deadline:
                raise SandboxViolation(f"运行时间超过 {TIME_LIMIT_SECONDS:g} 秒")
            yield item

    def getattr(self, obj, name: str):
        """_getattr_: an allow-listed attribute; a method's results count toward the budget."""
        value = guards.guarded_getattr(obj, name)
        if not callable(value):
            return value
        return self._accounted(value, obj if isinstance(obj, (list, dict, set)) else None)

    def getitem(self, obj, key):
        """_getitem_: obj[key]; a slice is a copy and counts toward the budget."""
        value = guards.guarded_getitem(obj, key)
        return self.account(value) if isinstance(key, slice) else value

    def binop(self, op: str, a, b):
        """_binop_: a size-checked `a op b`, counted."""
        return self.account(guards.binop(op, a, b))

    def inplacevar(self, op: str, a, b):
        """_inplacevar_: a size-checked `a op= b`, counted."""
        return self.account(guards.inplacevar(op, a, b))

    def format_value(self, value, conversion: int, spec):
        """_fmt_: one formatted piece of an f-string, counted as soon as it exists."""
        return self.account(guards.format_value(value, conversion, spec))

    def fstring(self, pieces: tuple) -> str:
        """_fstr_: the f-string's pieces joined (size checked), counted."""
        return self.account(guards.join_fstring(pieces))

    def guards(self) -> dict:
        """The globals RestrictedPython's transformed code (and the sandbox's own transforms) call, with an
        explicit `__builtins__` of safe functions (the copying ones counted)."""
        builtins = dict(guards.SAFE_BUILTINS)
        for name in _BUILDERS:
            builtins[name] = self._accounted(builtins[name])
        return {
            "__builtins__": builtins, "_getattr_": self.getattr, "_getitem_": self.getitem,
            "_getiter_": self.getiter, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence, "_write_": guards.guarded_write, "_apply_": guards.apply,
            "_inplacevar_": self.inplacevar, "_binop_": self.binop, "_fmt_": self.format_value,
            "_fstr_": self.fstring,
        }
