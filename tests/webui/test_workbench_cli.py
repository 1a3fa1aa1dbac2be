"""Workbench CLI: validate files, deploy as a process owner, dry-run/migrate instances, export a version."""

from sqlalchemy import func, select

from engine.core.models import ProcessInstance, ProcessVersion
from engine.deploy.versions import shipped_file
from tests.deploy.deploy_support import PUBLIC_BPMN
from tests.deploy.test_lint import CORPUS
from tests.support import make_call
from tests.webui.test_ui_support import submit
from webui.workbench.cli import deploy_command, export_command, migrate_command, validate_command

DMN = str(shipped_file("eligibility_thresholds.dmn"))


def test_validate_lists_every_reason(app, session):
    runner = app.test_cli_runner()
    good = runner.invoke(validate_command, [str(CORPUS / "ok_base.bpmn")])
    assert good.exit_code == 0 and "lint_case: 校验通过" in good.output
    bad = runner.invoke(validate_command, [str(CORPUS / "broken_gateway_without_default.bpmn")])
    assert bad.exit_code == 1 and "[gw] 排他网关“结论”有多个出口，必须指定默认流" in bad.output
    attack = runner.invoke(validate_command, [str(CORPUS / "billion_laughs.bpmn")])
    assert attack.exit_code == 1 and "DOCTYPE" in attack.output


def test_deploy_migrate_and_export(app, session, users, tmp_path):
    running = submit(session, users["applicant"], make_call(session))
    changed = tmp_path / "admission_public.bpmn"
    changed.write_text(PUBLIC_BPMN.replace('name="人才开发中心初审"', 'name="资格初审"'), encoding="utf-8")
    runner = app.test_cli_runner()
    refused = runner.invoke(deploy_command, [str(changed), DMN, "--user", "qd_staff"])
    assert refused.exit_code == 2 and "不是流程管理员" in refused.output
    deployed = runner.invoke(deploy_command, [str(changed), DMN, "--user", "owner"])
    assert deployed.exit_code == 0 and "admission_public 第 2 版已部署" in deployed.output
    dry = runner.invoke(migrate_command, ["admission_public", "--to", "2", "--user", "owner"])
    assert dry.exit_code == 0 and f"#{running.instance_id} v1: 可以迁移" in dry.output
    session.expire_all()
    assert session.get(ProcessInstance, running.instance_id).version.version == 1
    done = runner.invoke(migrate_command, ["admission_public", "--to", "2", "--user", "owner", "--execute"])
    assert done.exit_code == 0 and "已迁移" in done.output
    session.expire_all()
    assert session.get(ProcessInstance, running.instance_id).version.version == 2
    out = runner.invoke(export_command, ["admission_public", "--version", "2", "--out", str(tmp_path / "out")])
    assert out.exit_code == 0
    assert (tmp_path / "out" / "admission_public.bpmn").read_text(encoding="utf-8") == changed.read_text(encoding="utf-8")
    assert (tmp_path / "out" / "eligibility_thresholds.dmn").is_file()
    assert session.scalar(select(func.count()).select_from(ProcessVersion).where(
        ProcessVersion.process_key == "admission_public")) == 2
