"""Every escape of the corpus at every site SpiffWorkflow evaluates: refused at deploy with the element id
and a Chinese reason, and — deploy check bypassed — harmless at run time (no file written, database
unchanged), while the same document on the old engine (Python's full builtins) does the harm."""

import re

import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from sqlalchemy import func, select

from engine.core import sandbox
from engine.core.db import Base
from engine.core.errors import ValidationFailed
from engine.core.models import ProcessVersion
from engine.core.sandbox import SandboxViolation
from engine.core.scripting import HOST_FUNCTIONS, HostContext, HostScriptEngine
from engine.deploy import versions as registry
from tests.core.sandbox_cases import ESCAPES, OLD_HELPERS
from tests.core.sandbox_sites import KEY, SITES, build, run
from tests.support import T0
from webui.extensions import db

CJK = re.compile(r"[\u4e00-\u9fff]")
MATRIX = [pytest.param(escape, site, id=f"{escape.name}@{site}") for escape in ESCAPES for site, kind in SITES.items()
          if escape.mode == "eval" or kind.mode == "exec"]


class OldEngine(PythonScriptEngine):
    """The host engine as it was before the sandbox: SpiffWorkflow's eval/exec with full builtins."""

    def __init__(self, ctx):
        super().__init__(environment=TaskDataEnvironment(dict(OLD_HELPERS)))
        self.ctx = ctx

    call_service = HostScriptEngine.call_service


@pytest.fixture(scope="module")
def dbs(app):
    """The app's session, shared by the module (these tests write nothing unless an escape works)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(HOST_FUNCTIONS, "sandbox_echo", lambda ctx, **params: params)
        yield db.session
    db.session.rollback()


def snapshot(session) -> tuple:
    """Row counts of every table and the deployed versions' names: what an escape would change."""
    counts = session.execute(select(*[select(func.count()).select_from(t).scalar_subquery()
                                      for t in Base.metadata.sorted_tables])).one()
    return tuple(counts), tuple(session.execute(select(ProcessVersion.id, ProcessVersion.name).order_by(ProcessVersion.id)))


def deploy_reasons(session, bpmn: str, dmn: dict) -> list[str]:
    """The reasons deploy gives for a bundle (empty when it deploys)."""
    try:
        registry.check_bundle(session, KEY, bpmn, dmn)
    except ValidationFailed as err:
        return list(err.errors.values())
    return []


def run_safely(bpmn, dmn, engine):
    """Run a bundle; returns the exception it stopped with (None when it ran without one)."""
    try:
        run(bpmn, dmn, engine, {"x": 1})
    except Exception as exc:  # the old engine fails in many ways after the harm is done
        return exc
    return None


@pytest.mark.parametrize("site", SITES)
def test_each_site_with_a_harmless_source_deploys_and_runs_through_the_sandbox(dbs, site, monkeypatch):
    kind = SITES[site]
    bpmn, dmn = build(site, kind.benign)
    assert deploy_reasons(dbs, bpmn, dmn) == []
    seen = []
    for name in ("evaluate", "execute"):
        real = getattr(sandbox, name)
        monkeypatch.setattr(sandbox, name, lambda src, *a, _real=real, **k: seen.append(src) or _real(src, *a, **k))
    assert run_safely(bpmn, dmn, HostScriptEngine(HostContext(dbs, None, T0))) is None
    assert any(kind.benign in source for source in seen), seen


@pytest.mark.parametrize("escape,site", MATRIX)
def test_escape_is_refused_at_deploy_with_the_element_and_a_chinese_reason(dbs, escape, site, tmp_path):
    kind = SITES[site]
    reasons = deploy_reasons(dbs, *build(site, escape.text(tmp_path / "canary")))
    mine = [r for r in reasons if r.startswith(f"[{kind.element}] ")]
    assert mine and all(CJK.search(r) for r in mine), reasons
    assert not (tmp_path / "canary").exists()


@pytest.mark.parametrize("escape,site", MATRIX)
def test_escape_does_harm_on_the_old_engine_and_none_in_the_sandbox(dbs, escape, site, tmp_path):
    canary, kind = tmp_path / "canary", SITES[site]
    bpmn, dmn = build(site, escape.text(canary))
    before = snapshot(dbs)
    if escape.harm != "leak":  # the corpus is real: on the old engine this escape does its harm
        run_safely(bpmn, dmn, OldEngine(HostContext(dbs, None, T0)))
        assert canary.exists()
        assert (snapshot(dbs) != before) == (escape.harm == "db")
        canary.unlink()
        dbs.rollback()
    error = run_safely(bpmn, dmn, HostScriptEngine(HostContext(dbs, None, T0)))
    assert isinstance(error, SandboxViolation), error
    assert error.element_id == kind.runs_at and CJK.search(str(error)), str(error)
    assert f"元素 {kind.runs_at} " in str(error)
    assert not canary.exists() and snapshot(dbs) == before
