"""The sandbox is bounded and layered: endless loops and huge allocations are refused at deploy or stopped
at run time with a Chinese reason (never a hung worker), and with the deploy-time policy switched off the
run-time layers (RestrictedPython, explicit builtins, guards) still stop every escape of the corpus."""

import gc
import re
import time

import pytest

from engine.core import sandbox, sandbox_budget
from engine.core.sandbox import SandboxViolation, _Transformer
from engine.core.scripting import HOST_FUNCTIONS, HostContext, HostScriptEngine
from tests.core.sandbox_cases import BOUNDS, ESCAPES
from tests.core.sandbox_sites import SITES, build, run
from tests.core.test_sandbox_sites import snapshot
from tests.support import T0

CJK = re.compile(r"[\u4e00-\u9fff]")
BOUND_SITES = [pytest.param(name, source, site, id=f"{name}@{site}") for name, source, mode, _ in BOUNDS
               for site in ("script", "gateway_condition", "timer_duration", "dmn_output_entry")
               if mode == "eval" or SITES[site].mode == "exec"]


def stopped(source: str, mode: str, data: dict | None = None) -> SandboxViolation:
    """Run a source in the sandbox; returns the violation it was stopped with (fails if it ran)."""
    with pytest.raises(SandboxViolation) as err:
        (sandbox.evaluate if mode == "eval" else sandbox.execute)(source, data or {"x": 1})
    return err.value


@pytest.mark.parametrize("name,source,mode,reason", BOUNDS, ids=[b[0] for b in BOUNDS])
def test_endless_or_huge_work_is_refused_at_deploy_or_stopped_quickly(name, source, mode, reason):
    # "Quickly" in this process's CPU time: the budget's clock is wall time, so on a busy machine it stops
    # the script after less work, never more; wall time here would measure the other processes too. Besides
    # the time limit, the measure holds the release of what the script built (up to MAX_BUILT / ITEM_WEIGHT items) and the
    # garbage collections that releasing triggers over the whole test process's heap: up to 2 s in a full run.
    gc.collect()  # start from a collected heap, so a collection owed by earlier tests is not charged here
    started = time.process_time()
    error = stopped(source, mode)
    assert time.process_time() - started < sandbox_budget.TIME_LIMIT_SECONDS + 2
    assert re.search(reason, error.reason) and CJK.search(str(error))
    refused_at_deploy = {"while_true", "percent_format", "starred_copies", "slice_assignment"}
    assert bool(sandbox.check(source, mode)) == (name in refused_at_deploy)  # the others: at run time


@pytest.mark.parametrize("name,source,site", BOUND_SITES)
def test_a_bound_hit_while_a_process_runs_names_the_element(name, source, site):
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(HOST_FUNCTIONS, "sandbox_echo", lambda ctx, **params: params)
        with pytest.raises(SandboxViolation) as err:
            run(*build(site, source), HostScriptEngine(HostContext(None, None, T0)), {"x": 1})
    assert err.value.element_id == SITES[site].runs_at and err.value.task is not None


def test_the_clock_stops_a_slow_loop(monkeypatch):
    monkeypatch.setattr(sandbox_budget, "TIME_LIMIT_SECONDS", 0.05)
    started = time.process_time()
    error = stopped('s = "a" * 100000\nn = 0\nfor i in range(100000):\n    n += s.count("a")\n', "exec")
    assert error.reason == "运行时间超过 0.05 秒" and time.process_time() - started < 1


def test_the_step_budget_counts_every_iteration(monkeypatch):
    monkeypatch.setattr(sandbox_budget, "MAX_STEPS", 10)
    assert sandbox.evaluate("[i for i in range(10)]", {}) == list(range(10))
    assert stopped("[i for i in range(11)]", "eval").reason == "循环次数超过上限 10"
    assert stopped("for a, b in [(1, 2)] * 11:\n    pass\n", "exec").reason == "循环次数超过上限 10"


@pytest.fixture()
def without_the_policy(monkeypatch):
    """Only the run-time layers: the deploy-time policy walk finds nothing (cache cleared both ways)."""
    monkeypatch.setattr(sandbox, "policy_problems", lambda *args: [])
    sandbox.compiled.cache_clear()
    yield
    sandbox.compiled.cache_clear()


def _harmless_at_run_time(session, escape, site, canary):
    before = snapshot(session)
    bpmn, dmn = build(site, escape.text(canary))
    with pytest.raises(Exception) as err:  # noqa: PT011 - NameError, a guard or RestrictedPython: any refusal
        run(bpmn, dmn, HostScriptEngine(HostContext(session, None, T0)), {"x": 1})
    assert not canary.exists() and snapshot(session) == before, err.value
    session.rollback()


@pytest.mark.parametrize("escape", ESCAPES, ids=lambda e: e.name)
def test_without_the_policy_restricted_python_and_the_guards_still_stop_every_escape(
        session, escape, tmp_path, without_the_policy):
    for site in ("script", "gateway_condition", "dmn_output_entry"):
        if escape.mode == "eval" or SITES[site].mode == "exec":
            _harmless_at_run_time(session, escape, site, tmp_path / "canary")


@pytest.mark.parametrize("escape", ESCAPES, ids=lambda e: e.name)
def test_with_only_restricted_python_defaults_the_explicit_builtins_and_guards_stop_every_escape(
        session, escape, tmp_path, without_the_policy, monkeypatch):
    # def, class, lambda, generators and walrus compile again (RestrictedPython allows them by default)
    monkeypatch.setattr(_Transformer, "not_allowed", lambda self, node: self.node_contents_visit(node))
    for name in ("FunctionDef", "ClassDef", "Lambda", "GeneratorExp", "NamedExpr"):
        monkeypatch.setattr(_Transformer, f"visit_{name}", getattr(_Transformer.__mro__[1], f"visit_{name}"))
    _harmless_at_run_time(session, escape, "script" if escape.mode == "exec" else "gateway_condition",
                          tmp_path / "canary")
