"""A corpus of sandbox escapes: each one wrote a file, changed the database or leaked internals when a
BPMN/DMN text ran with Python's full builtins (the test suite proves it on the old engine). CANARY stands
for the path of a file the escape tries to write."""

from dataclasses import dataclass

# The helpers the host gave BPMN scripts before the sandbox (with Python's full builtins behind them).
OLD_HELPERS = {"len": len, "min": min, "max": max, "sorted": sorted, "dict": dict, "list": list}

OPEN = "open('CANARY', 'w').write('x')"
WARNINGS = "[c for c in ().__class__.__mro__[1].__subclasses__() if c.__name__ == 'catch_warnings'][0]()"
FRAMES = ", ".join("g.gi_frame" + ".f_back" * depth for depth in range(1, 12))
# Walks from a running generator's frame up to the engine's frame, then to the host's database session.
FRAME_WALK = (
    "next(g := ([(t.workflow.script_engine.ctx.session.connection().exec_driver_sql("
    "\"UPDATE process_version SET name = 'pwned'\"), f.f_builtins['open']('CANARY', 'w').write('x')) "
    f"for f in [{FRAMES}] for t in [f.f_locals.get('task') or f.f_locals.get('my_task')] "
    "if t is not None and hasattr(t, 'workflow')][:1] for _ in [1]))"
)


@dataclass(frozen=True)
class Escape:
    """One escape: its source (an expression, or a script when mode is 'exec'), what harm it does on the
    old engine ('write' the canary, 'db' + canary, 'leak' internals) and whether the old engine may run it."""

    name: str
    source: str
    mode: str = "eval"
    harm: str = "write"
    runs_on_old_engine: bool = True

    def text(self, canary) -> str:
        """The source with the canary path filled in."""
        return self.source.replace("CANARY", str(canary))


ESCAPES = [
    Escape("dunder_import", "__import__('pathlib').Path('CANARY').write_text('x')"),
    Escape("open", OPEN),
    Escape("exec", f'exec("{OPEN}")'),
    Escape("eval", f'eval("{OPEN}")'),
    Escape("compile", f'exec(compile("{OPEN}", "s", "exec"))'),
    Escape("getattr", "getattr(getattr(len, '__self__'), 'open')('CANARY', 'w').write('x')"),
    Escape("builtin_self", "len.__self__.open('CANARY', 'w').write('x')"),
    Escape("class_mro", f"{WARNINGS}._module.__builtins__['open']('CANARY', 'w').write('x')"),
    Escape("type_subclasses", "[c for c in type.__subclasses__(object) if c.__name__ == 'catch_warnings'][0]()"
                              "._module.__builtins__['open']('CANARY', 'w').write('x')"),
    Escape("str_format", '"{0.__class__.__mro__}".format(x)', harm="leak"),
    Escape("str_format_map", '"{v.__class__.__base__.__subclasses__}".format_map(dict(v=x))', harm="leak"),
    Escape("str_type_format", 'str.format("{0.__class__}", x)', harm="leak"),
    Escape("fstring_attribute", 'f"{().__class__.__base__.__subclasses__()}"', harm="leak"),
    Escape("fstring_write", f'f"{{{WARNINGS}._module.__builtins__[\'open\'](\'CANARY\', \'w\').write(\'x\')}}"'),
    Escape("vars", "vars()['__builtins__']['open']('CANARY', 'w').write('x')"),
    Escape("dir", "[getattr(len.__self__, n) for n in dir(len.__self__) if n == 'open'][0]('CANARY', 'w').write('x')"),
    Escape("locals", "locals()['__builtins__']['open']('CANARY', 'w').write('x')"),
    Escape("globals", "globals()['__builtins__']['open']('CANARY', 'w').write('x')"),
    Escape("builtins_lookup", "__builtins__['open']('CANARY', 'w').write('x')"),
    Escape("breakpoint", "breakpoint()", harm="leak", runs_on_old_engine=False),
    Escape("attrgetter", "__import__('operator').attrgetter('__self__')(len).open('CANARY', 'w').write('x')"),
    Escape("walrus_rebinds_helper", f'[len := exec, len("{OPEN}"), x][2]'),
    Escape("lambda", "(lambda: open('CANARY', 'w').write('x'))()"),
    Escape("generator_builtins", "next(g := (g.gi_frame.f_builtins['open']('CANARY', 'w').write('x') for _ in [1]))"),
    Escape("generator_frame_walk", FRAME_WALK, harm="db"),
    Escape("decorator_class", f'@exec\n@"{OPEN}".format\nclass X:\n    pass\n', mode="exec"),
    Escape("decorator_def", f'@exec\n@"{OPEN}".format\ndef f():\n    pass\n', mode="exec"),
    Escape("rebind_helper", f'len = exec\nlen("{OPEN}")\n', mode="exec"),
    Escape("class_dunder_method", f"class X:\n    def __eq__(self, other):\n        return {OPEN}\n\n\nX() == 1\n",
           mode="exec"),
    Escape("metaclass", f"class X(metaclass=lambda *a: {OPEN}):\n    pass\n", mode="exec"),
    Escape("type_as_value", "t = type\nk = [c for c in t.__subclasses__(object) if c.__name__ == 'catch_warnings'][0]\n"
                            "k()._module.__builtins__['open']('CANARY', 'w').write('x')\n", mode="exec"),
    Escape("globals_as_value", "g = globals\ng()['__builtins__']['open']('CANARY', 'w').write('x')\n", mode="exec"),
    Escape("import_statement", "from pathlib import Path\nPath('CANARY').write_text('x')\n", mode="exec"),
]

# Scripts/expressions that would run forever or allocate without bound: (name, source, mode, the reason given,
# a regular expression).
BOUNDS = [
    ("while_true", "while True:\n    pass\n", "exec", "while 循环"),
    ("huge_string", '"a" * 10**10', "eval", r"重复（\*）的结果超过"),
    ("huge_list", "[0] * 10**9", "eval", r"重复（\*）的结果超过"),
    ("huge_range", "range(10**12)", "eval", "range 最多"),
    ("huge_range_list", "list(range(10**12))", "eval", "range 最多"),
    ("huge_power", "10 ** 10 ** 10", "eval", "乘方结果超过"),
    ("huge_shift", "1 << 10**10", "eval", "移位结果超过"),
    ("nested_loops", "[i for i in range(100000) for j in range(100000)]", "eval", "循环次数超过上限"),
    ("doubling", 's = "a" * 100000\nfor i in range(40):\n    s = s + s\n', "exec", "拼接结果超过"),
    ("doubling_augmented", 's = "a" * 100000\nfor i in range(40):\n    s += s\n', "exec", "拼接结果超过"),
    ("join_doubling", 's = "a" * 100000\nfor i in range(40):\n    s = "".join([s, s])\n', "exec", "join 结果超过"),
    ("replace_growth", 's = "a" * 100000\nfor i in range(40):\n    s = s.replace("a", "aa")\n', "exec", "replace 结果超过"),
    ("fstring_doubling", 's = "a" * 100000\nfor i in range(40):\n    s = f"{s}{s}"\n', "exec", "f-string 结果超过"),
    ("fstring_width", 'f"{x:>10000000000}"', "eval", "格式宽度或精度"),
    ("str_of_shared_list", 'str([["a" * 1000000] * 100000])', "eval", "转换成的文字超过"),
    ("sum_of_lists", "sum([[1] * 100000] * 100000, [])", "eval", "sum 只能对数字求和"),
    ("copies_in_a_loop", "[list(range(100000)) for i in range(1000)]", "eval", "数据总量超过上限"),
    ("slices_in_a_loop", 's = "a" * 1000000\nt = [s[1:] for i in range(1000)]\n', "exec", "数据总量超过上限"),
    ("method_results_in_a_loop", 's = "a" * 1000000\nt = [s.upper() for i in range(1000)]\n', "exec",
     "数据总量超过上限"),
    ("fstring_pieces", 's = "a" * 999990\nt = [f"{s!r}" for i in range(1000)]\n', "exec", "数据总量超过上限"),
    ("starred_copies", "[[*range(100000)] for i in range(1000)]", "eval", r"用 \* / \*\* 展开"),
    ("slice_assignment", "l = []\nfor i in range(1000):\n    l[0:0] = list(range(100000))\n", "exec", "切片赋值"),
    ("update_growth", "d = dict()\nfor i in range(1000):\n    d.update(zip(range(i * 100000, i * 100000 + 100000), "
                      "range(100000)))\n", "exec", "数据总量超过上限|运行时间超过"),
    ("slow_sort_keys", 's = "a" * 1000000\nt = sorted([str(i) for i in range(100000)], key=s.count)\n', "exec",
     "运行时间超过"),
    ("percent_format", '"%s%s" % (x, x)', "eval", "% 格式化字符串"),
]
