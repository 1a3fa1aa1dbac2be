"""processes/<procedure>/ mirrors engine/<procedure>/: each procedure's BPMN sits in its own folder, every form a
BPMN names is shipped exactly once, and nothing shipped is left unclaimed by engine/bootstrap.py."""

from pathlib import Path

import pytest

from engine import bootstrap
from engine.core.forms import referenced_form_keys, shipped_form_files
from engine.core.spiff import parse_xml
from engine.deploy.versions import dmn_files_for, shipped_bpmn
from engine.platform.settings import processes_dir

SHARED_FORM_FOLDERS = {"experts"}  # self-service forms of the shared roster, started by no BPMN


def test_every_procedure_ships_its_processes_in_its_own_folder():
    root = processes_dir()
    for procedure in bootstrap.PROCEDURES:
        assert (Path(bootstrap.__file__).parent / procedure.name).is_dir(), f"engine/{procedure.name}/ is missing"
        for key in procedure.processes:
            assert (root / procedure.name / f"{key}.bpmn").is_file(), f"processes/{procedure.name}/{key}.bpmn"


def test_no_shipped_bpmn_is_unclaimed_and_folders_are_procedures():
    claimed = {(p.name, key) for p in bootstrap.PROCEDURES for key in p.processes}
    shipped = {(path.parent.name, path.stem) for path in shipped_bpmn()}
    assert shipped == claimed
    folders = {path.name for path in processes_dir().iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert folders == {p.name for p in bootstrap.PROCEDURES} | SHARED_FORM_FOLDERS


def test_every_form_a_bpmn_names_is_shipped_once_and_decisions_are_found():
    forms = shipped_form_files()
    for path in shipped_bpmn():
        xml = path.read_text(encoding="utf-8")
        missing = referenced_form_keys(parse_xml(xml)) - set(forms)
        assert not missing, f"{path.name} names forms nobody ships: {missing}"
        if "calledDecisionId" in xml:
            assert dmn_files_for(xml), f"{path.name} calls a decision no shipped DMN defines"


def test_a_form_shipped_by_two_procedures_is_refused(tmp_path):
    for folder in ("admission", "exit"):
        (tmp_path / folder / "forms").mkdir(parents=True)
        (tmp_path / folder / "forms" / "same.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="shipped twice"):
        shipped_form_files(tmp_path)
