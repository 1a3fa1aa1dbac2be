"""Tests for the draw record's canonical form (rules.draw_record, docs/draw-record.md): the hash of each round's
inputs, the record hash, old "draw-1" records, and the standalone verifier agreeing with rules.draw."""

import ast
import hashlib
import importlib.util
import json
import re
from pathlib import Path

import pytest

from rules.draw import DrawRecord, new_draw, redraw, verify
from rules.draw_record import canonical_json, record_sha256

ROOT = Path(__file__).resolve().parents[2]
DRAW1 = Path(__file__).resolve().parent / "data" / "draw1_export.json"  # written by the code before draw-2
SEED = hashlib.sha256(b"fixed test seed").digest()
IDS = list(range(1, 41))
ENTITIES = {i: f"org-{i % 30}" for i in IDS}
SCREENED = [(99, "unit_is_party"), (41, "busy"), (41, "not_active")]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def spec_json(value) -> bytes:
    """Canonical JSON as docs/draw-record.md words it, written here independently."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sample():
    record = new_draw(IDS, SEED, 5, ENTITIES, SCREENED)
    return redraw(record, 2, also_exclude=[record.drawn()[0]], screened=[(7, "same_entity")])


def tool():
    spec = importlib.util.spec_from_file_location("verify_draw_tool", ROOT / "tools" / "verify_draw.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_rounds_inputs_hash_is_the_documented_document_chained():
    record = sample()
    entity_sha = sha(spec_json({str(i): ENTITIES[i] for i in sorted(ENTITIES)}))
    candidates = sha(",".join(map(str, IDS)).encode("ascii"))
    first = {"candidates_sha256": candidates, "entity_of_sha256": entity_sha, "excluded": [],
             "previous_inputs_sha256": "", "round": 1, "rules_version": "draw-2",
             "screened": [[41, "busy"], [41, "not_active"], [99, "unit_is_party"]], "seed_hex": SEED.hex(),
             "wanted": 5}
    assert record.rounds[0].inputs_sha256 == sha(spec_json(first))
    second = first | {"excluded": [record.rounds[0].picked[0]], "previous_inputs_sha256": sha(spec_json(first)),
                      "round": 2, "screened": [[7, "same_entity"]], "wanted": 2}
    assert record.rounds[1].inputs_sha256 == sha(spec_json(second))
    assert record.to_dict()["rounds"][0]["screened"] == first["screened"]


@pytest.mark.parametrize("change", [
    lambda d: d["rounds"][0].update(screened=[[41, "busy"]]),  # an exclusion dropped from the record
    lambda d: d["rounds"][0].update(wanted=4),
    lambda d: d["rounds"][1].update(excluded=[]),
    lambda d: d["entity_of"].update({"1": "another"}),
    lambda d: d.update(candidates=d["candidates"][1:], candidates_sha256=hashlib.sha256(
        ",".join(map(str, d["candidates"][1:])).encode()).hexdigest()),
    lambda d: d["rounds"][1].update(inputs_sha256="0" * 64),
], ids=["screened", "wanted", "excluded", "entity", "candidates", "hash"])
def test_every_input_of_a_round_is_covered(change):
    data = json.loads(json.dumps(sample().to_dict()))
    change(data)
    result = verify(data)
    assert not result.match
    assert tool().check(data)[1], "the standalone verifier must disagree too"


def test_record_sha256_is_sha256_of_the_canonical_json():
    data = sample().to_dict()
    assert record_sha256(data) == sha(spec_json(data)) == sha(canonical_json(data))


def test_draw1_records_written_before_still_verify_and_redraw_under_draw1():
    export = json.loads(DRAW1.read_text(encoding="utf-8"))
    stored = export["record"]
    assert stored["rules_version"] == "draw-1" and "inputs_sha256" not in stored["rounds"][0]
    assert verify(stored).match
    record = DrawRecord.from_dict(stored)
    assert record.to_dict() == stored  # read and written back unchanged: earlier anchors still hash it
    again = redraw(record, 1, also_exclude=[record.drawn()[1]])
    assert again.rules_version == "draw-1" and set(again.to_dict()["rounds"][-1]) == set(stored["rounds"][0])
    assert verify(again).match
    assert tool().check(export)[1] == []  # with its anchor events, made by the earlier code


def test_the_standalone_verifier_agrees_with_the_rules():
    verifier = tool()
    for i in range(12):
        seed = hashlib.sha256(f"{i}".encode()).digest()
        record = new_draw(IDS, seed, 1 + i % 6, {k: f"o{k % (5 + i)}" for k in IDS}, SCREENED[: i % 4])
        for round_no in range(i % 3):
            record = redraw(record, 1 + round_no, also_exclude=record.drawn()[:1], screened=[(i, "busy")])
        data = json.loads(json.dumps(record.to_dict()))
        assert verify(data).match and verifier.check(data)[1] == []
        data["rounds"][-1]["picked"] = list(reversed(data["rounds"][-1]["picked"])) + [0]
        assert not verify(data).match and verifier.check(data)[1]


def test_the_standalone_verifier_uses_the_standard_library_only():
    tree = ast.parse((ROOT / "tools" / "verify_draw.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"hashlib", "hmac", "json", "sys"}


def test_the_worked_example_of_the_documentation_is_right():
    text = (ROOT / "docs" / "draw-record.md").read_text(encoding="utf-8").split("## Worked example", 1)[1]
    example = json.loads(text.split("```json", 1)[1].split("```", 1)[0])
    record = new_draw([13, 3, 8, 5], bytes(range(32)), 2, {int(k): v for k, v in example["entity_of"].items()},
                      [(21, "unit_is_party")])
    record = redraw(record, 1, also_exclude=[13])
    assert record.to_dict() == example and verify(example).match and tool().check(example)[1] == []
    prefix = dict(example, rounds=example["rounds"][:1])
    for value in (record.entity_of_sha256, record_sha256(example), record_sha256(prefix)):
        assert value in text
    inputs = re.search(r"```\n(\{\"candidates_sha256\".*?)\n```", text).group(1)  # round 1's inputs document
    assert sha(inputs.encode("utf-8")) == example["rounds"][0]["inputs_sha256"]
