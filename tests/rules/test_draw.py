"""Tests for rules.draw: the verifiable draw of Art 13 (HMAC ranking, one per legal entity, redraw, verify)."""

import ast
import hashlib
import hmac
import json
import math
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rules.draw import (
    RULES_VERSION,
    DrawRecord,
    RoundRecord,
    candidates_sha256,
    new_draw,
    new_seed,
    rank,
    redraw,
    score,
    verify,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = hashlib.sha256(b"fixed test seed").digest()
CJK = re.compile(r"[\u4e00-\u9fff]")


def seed_of(i: int) -> bytes:
    return hashlib.sha256(f"{i}".encode()).digest()


def own_entities(ids) -> dict[int, str]:
    return {i: f"entity-{i}" for i in ids}


# --- primitives ------------------------------------------------------------------------------------------------


def test_candidates_sha256_is_over_the_sorted_comma_joined_ids():
    assert candidates_sha256([3, 1, 2]) == hashlib.sha256(b"1,2,3").hexdigest()
    assert candidates_sha256([10, 9]) == candidates_sha256((9, 10)) == hashlib.sha256(b"9,10").hexdigest()
    assert candidates_sha256([]) == hashlib.sha256(b"").hexdigest()


def test_score_is_hmac_sha256_of_round_and_id():
    assert score(SEED, 2, 417) == hmac.new(SEED, b"2:417", hashlib.sha256).hexdigest()
    assert score(SEED, 1, 417) != score(SEED, 2, 417)


@pytest.mark.parametrize("i", range(20))
def test_rank_orders_by_score_then_id(i):
    ids = random.Random(i).sample(range(1, 5000), 60)
    assert rank(seed_of(i), i % 4 + 1, ids) == sorted(ids, key=lambda e: (score(seed_of(i), i % 4 + 1, e), e))


def test_new_seed_takes_32_bytes_from_the_given_source():
    assert new_seed(lambda n: b"\x07" * n) == b"\x07" * 32
    assert len(new_seed(os.urandom)) == 32
    with pytest.raises(ValueError, match="32 字节"):
        new_seed(lambda n: b"short")


def test_draw_module_never_uses_the_random_module():
    tree = ast.parse((ROOT / "rules" / "draw.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
                for alias in node.names} | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "random" not in imported


# --- round 1 -----------------------------------------------------------------------------------------------


def test_new_draw_takes_the_lowest_scores_and_records_everything():
    ids = list(range(100, 150))
    record = new_draw(list(reversed(ids)), SEED, 7, own_entities(ids))
    first = record.rounds[0]
    assert record.candidates == tuple(ids)
    assert record.candidates_sha256 == candidates_sha256(ids)
    assert record.seed_hex == SEED.hex() and record.rules_version == RULES_VERSION == "draw-2"
    assert (first.round, first.wanted, first.available) == (1, 7, tuple(ids))
    assert first.picked == tuple(rank(SEED, 1, ids)[:7])
    assert first.skipped_same_entity == () and record.drawn() == first.picked


def test_candidate_order_does_not_matter():
    ids = list(range(1, 40))
    shuffled = random.Random(3).sample(ids, len(ids))
    assert new_draw(ids, SEED, 5, own_entities(ids)) == new_draw(shuffled, SEED, 5, own_entities(ids))


def test_fewer_candidates_than_wanted_picks_all_in_rank_order():
    record = new_draw([5, 6, 7], SEED, 7, own_entities([5, 6, 7]))
    assert sorted(record.drawn()) == [5, 6, 7] and record.drawn() == tuple(rank(SEED, 1, [5, 6, 7]))
    assert new_draw([], SEED, 3, {}).drawn() == ()


@pytest.mark.parametrize(("args", "message"), [
    (([1, 1, 2], SEED, 2), "重复"),
    (([1, True], SEED, 1), "整数"),
    ((["1", 2], SEED, 1), "整数"),
    (([1, 2], b"short", 1), "32 字节"),
    (([1, 2], SEED, 0), "正整数"),
])
def test_bad_draw_input_is_refused_in_chinese(args, message):
    with pytest.raises(ValueError, match=message):
        new_draw(*args, entity_of={})


# --- one expert per legal entity ---------------------------------------------------------------------------


def test_lower_ranked_colleague_of_the_same_entity_is_skipped_and_listed():
    ids = list(range(1, 21))
    order = rank(SEED, 1, ids)
    entity_of = own_entities(ids) | {order[1]: "entity-shared", order[0]: "entity-shared"}
    record = new_draw(ids, SEED, 3, entity_of)
    assert record.rounds[0].picked == (order[0], order[2], order[3])
    assert record.rounds[0].skipped_same_entity == (order[1],)


def test_one_entity_yields_one_expert():
    record = new_draw([1, 2, 3, 4], SEED, 3, dict.fromkeys([1, 2, 3, 4], "same"))
    assert len(record.drawn()) == 1
    assert sorted(record.drawn() + record.rounds[0].skipped_same_entity) == [1, 2, 3, 4]


def test_missing_or_empty_entity_keys_are_entities_of_their_own():
    record = new_draw([1, 2, 3, 4], SEED, 4, {1: "", 2: ""})
    assert sorted(record.drawn()) == [1, 2, 3, 4]


@pytest.mark.parametrize("i", range(40))
def test_never_two_picks_from_one_entity(i):
    rng = random.Random(i)
    ids = rng.sample(range(1, 1000), rng.randrange(5, 60))
    entity_of = {e: f"org-{rng.randrange(8)}" for e in ids}
    picked = new_draw(ids, seed_of(i), rng.randrange(1, 10), entity_of).drawn()
    assert len({entity_of[e] for e in picked}) == len(picked)


def test_entity_map_is_a_frozen_copy_of_the_candidates_entries():
    entity_of = {1: "a", 2: "b", 99: "not a candidate"}
    record = new_draw([1, 2], SEED, 2, entity_of)
    entity_of[1] = "changed"
    assert record.entity_of == {1: "a", 2: "b"}


# --- redraw --------------------------------------------------------------------------------------------------


def test_redraw_takes_round_two_over_the_rest():
    ids = list(range(1, 31))
    first = new_draw(ids, SEED, 5, own_entities(ids))
    declined = first.drawn()[0]
    second = redraw(first, 1, also_exclude=[declined])
    r2 = second.rounds[1]
    assert second.rounds[0] == first.rounds[0] and len(first.rounds) == 1  # a new record; the old one untouched
    assert r2.round == 2 and r2.excluded == (declined,)
    assert r2.available == tuple(i for i in ids if i not in first.drawn())
    assert r2.picked == (rank(SEED, 2, r2.available)[0],)
    assert second.drawn() == first.drawn() + r2.picked
    assert second.excluded() == (declined,)
    assert second.engaged() == first.drawn()[1:] + r2.picked


def test_redraw_keeps_engaged_entities_taken_and_frees_excluded_ones():
    ids = list(range(1, 41))
    first = new_draw(ids, SEED, 2, own_entities(ids))
    kept, declined = first.drawn()
    colleagues = [i for i in ids if i not in first.drawn()]
    # Every remaining candidate works either with the still-engaged expert or with the declined one.
    entity_of = {kept: "kept-org", declined: "declined-org"} | {
        c: ("kept-org" if n % 2 else "declined-org") for n, c in enumerate(colleagues)}
    first = new_draw(ids, SEED, 2, entity_of)
    assert first.drawn() == (kept, declined)  # ranking does not depend on the entity map
    second = redraw(first, 3, also_exclude=[declined])
    r2 = second.rounds[1]
    assert len(r2.picked) == 1 and entity_of[r2.picked[0]] == "declined-org"
    order = rank(SEED, 2, r2.available)
    ahead = order[:order.index(r2.picked[0])]
    assert all(entity_of[i] == "kept-org" for i in ahead)  # skipped: their entity is still engaged
    assert r2.skipped_same_entity == tuple(i for i in order if i != r2.picked[0])


def test_exclusions_carry_over_to_later_rounds():
    ids = list(range(1, 11))
    record = new_draw(ids, SEED, 2, own_entities(ids))
    banned = [i for i in ids if i not in record.drawn()][:3]
    record = redraw(record, 1, also_exclude=banned)
    record = redraw(record, 10)  # banned not passed again: still out
    assert not set(banned) & set(record.rounds[2].available)
    assert not set(banned) & set(record.drawn())


def test_redraw_on_an_exhausted_pool_records_an_empty_round():
    record = new_draw([1, 2], SEED, 2, own_entities([1, 2]))
    record = redraw(record, 1, also_exclude=[1])
    assert record.rounds[1].available == () and record.rounds[1].picked == ()
    assert verify(record).match


def test_redraw_rejects_a_bad_wanted_count():
    with pytest.raises(ValueError, match="正整数"):
        redraw(new_draw([1, 2], SEED, 1, {}), 0)


@pytest.mark.parametrize("i", range(150))
def test_redraw_never_returns_an_excluded_or_earlier_drawn_expert(i):
    rng = random.Random(1000 + i)
    ids = rng.sample(range(1, 400), rng.randrange(3, 40))
    entity_of = {e: f"org-{rng.randrange(12)}" for e in ids}
    record = new_draw(ids, seed_of(i), rng.randrange(1, 6), entity_of)
    excluded: set[int] = set()
    for _ in range(rng.randrange(1, 5)):
        before = set(record.drawn())
        exclude = set(rng.sample(sorted(ids), rng.randrange(0, 4)))
        record = redraw(record, rng.randrange(1, 4), exclude)
        excluded |= exclude
        new = record.rounds[-1].picked
        assert not set(new) & before, "an earlier-drawn expert was drawn again"
        assert not set(new) & excluded, "an excluded expert was drawn"
        engaged = [e for e in record.drawn() if e not in excluded]
        assert len({entity_of[e] for e in engaged}) == len(engaged), "two engaged experts share an entity"
    assert verify(record).match


# --- determinism and the JSON round trip -------------------------------------------------------------------


def sample_record() -> DrawRecord:
    ids = list(range(1, 61))
    record = new_draw(ids, SEED, 7, {i: f"org-{i % 45}" for i in ids})
    return redraw(record, 2, also_exclude=[record.drawn()[0], 60])


def test_same_inputs_same_record():
    assert sample_record() == sample_record()
    assert sample_record().to_dict() == sample_record().to_dict()


def test_json_round_trip_restores_int_keys():
    record = sample_record()
    data = json.loads(json.dumps(record.to_dict()))
    assert all(isinstance(k, str) for k in data["entity_of"])
    again = DrawRecord.from_dict(data)
    assert again == record and all(isinstance(k, int) for k in again.entity_of)
    assert isinstance(again.rounds[0], RoundRecord) and hash(again) == hash(record)


SUBPROCESS = """
import hashlib, json
from rules.draw import new_draw, redraw
ids = list(range(1, 61))
record = new_draw(ids, hashlib.sha256(b"fixed test seed").digest(), 7, {i: f"org-{i % 45}" for i in ids})
record = redraw(record, 2, also_exclude=[record.drawn()[0], 60])
print(json.dumps(record.to_dict(), sort_keys=True))
"""


@pytest.mark.parametrize("hash_seed", ["0", "12345"])
def test_same_record_in_another_process(hash_seed):
    env = os.environ | {"PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SUBPROCESS], capture_output=True, text=True, env=env, cwd=ROOT,
                         check=True, timeout=60).stdout
    assert json.loads(out) == json.loads(json.dumps(sample_record().to_dict(), sort_keys=True))


# --- uniformity (chi-square, own implementation) ----------------------------------------------------------


def regularized_gamma_p(a: float, x: float) -> float:
    """P(a, x), the regularized lower incomplete gamma function (series / continued fraction)."""
    if x <= 0:
        return 0.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:  # series
        term = total = 1.0 / a
        n = a
        while abs(term) > abs(total) * 1e-15:
            n += 1
            term *= x / n
            total += term
        return total * math.exp(log_prefix)
    b, c, d = x + 1 - a, 1e300, 1 / (x + 1 - a)  # Lentz's continued fraction for Q(a, x)
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = 1 / (an * d + b if abs(an * d + b) > 1e-300 else 1e-300)
        c = an / c + b if abs(an / c + b) > 1e-300 else 1e-300
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return 1 - math.exp(log_prefix) * h


def chi2_cdf(x: float, dof: int) -> float:
    return regularized_gamma_p(dof / 2, x / 2)


def chi2_critical(p: float, dof: int) -> float:
    """The x with chi2_cdf(x, dof) = p, by bisection."""
    lo, hi = 0.0, 10.0 * dof + 100
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if chi2_cdf(mid, dof) < p else (lo, mid)
    return (lo + hi) / 2


def chi_square(counts: list[int], expected: float) -> float:
    return sum((c - expected) ** 2 / expected for c in counts)


def test_own_chi_square_distribution_matches_tables():
    assert chi2_critical(0.95, 1) == pytest.approx(3.841, abs=1e-3)
    assert chi2_critical(0.99, 10) == pytest.approx(23.209, abs=1e-3)
    assert chi2_critical(0.999, 49) == pytest.approx(85.351, abs=1e-2)
    for x in (0.5, 3.0, 10.0, 40.0):  # closed forms for 2 and 4 degrees of freedom; both branches of P(a, x)
        assert chi2_cdf(x, 2) == pytest.approx(1 - math.exp(-x / 2), abs=1e-12)
        assert chi2_cdf(x, 4) == pytest.approx(1 - math.exp(-x / 2) * (1 + x / 2), abs=1e-12)


def test_chi_square_catches_a_biased_draw():
    """The uniformity check below can fail: a draw that favours low ids by 10% is flagged."""
    counts = [1100 if i < 25 else 900 for i in range(50)]
    assert chi_square(counts, 1000) > chi2_critical(0.999, 49)


def test_draw_is_uniform_over_candidates():
    candidates, picks, draws = list(range(1, 51)), 5, 10_000
    entities = own_entities(candidates)
    counts = dict.fromkeys(candidates, 0)
    for i in range(draws):
        for expert_id in new_draw(candidates, seed_of(i), picks, entities).drawn():
            counts[expert_id] += 1
    expected = draws * picks / len(candidates)
    statistic = chi_square(list(counts.values()), expected)
    assert sum(counts.values()) == draws * picks
    assert statistic < chi2_critical(0.999, len(candidates) - 1), (statistic, counts)
    assert max(counts.values()) <= 1.25 * expected and min(counts.values()) >= 0.75 * expected


def test_first_place_is_uniform_too():
    """Primaries are taken first from the ranking, so rank 1 alone must be uniform as well."""
    candidates, draws = list(range(1, 51)), 10_000
    counts = dict.fromkeys(candidates, 0)
    for i in range(draws):
        counts[rank(seed_of(i), 1, candidates)[0]] += 1
    assert chi_square(list(counts.values()), draws / 50) < chi2_critical(0.999, 49)


# --- verify --------------------------------------------------------------------------------------------------


def test_untouched_record_verifies_as_object_and_as_json():
    record = sample_record()
    assert verify(record) == verify(json.loads(json.dumps(record.to_dict())))
    assert verify(record).match and verify(record).problems == ()


def tampered(change) -> tuple:
    data = json.loads(json.dumps(sample_record().to_dict()))
    change(data)
    result = verify(data)
    assert not result.match and result.problems
    assert all(CJK.search(p) for p in result.problems)
    return result.problems


def test_tampered_seed_is_a_mismatch():
    problems = tampered(lambda d: d.update(seed_hex=hashlib.sha256(b"another seed").hexdigest()))
    assert any("第 1 轮" in p and "抽中名单" in p for p in problems)


def test_tampered_candidate_is_a_mismatch():
    def swap(d):
        d["candidates"][10] = 999
    assert any("哈希值不符" in p for p in tampered(swap))


def test_tampered_hash_is_a_mismatch():
    assert any("哈希值不符" in p for p in tampered(lambda d: d.update(candidates_sha256="0" * 64)))


def test_tampered_pick_is_a_mismatch():
    def pick_other(d):
        first = d["rounds"][0]
        first["picked"][0] = next(i for i in d["candidates"] if i not in first["picked"])
    assert any("第 1 轮" in p and "抽中名单" in p for p in tampered(pick_other))


def test_tampered_redraw_round_is_a_mismatch():
    def drop_exclusion(d):
        d["rounds"][1]["excluded"] = []
    assert any("第 2 轮" in p for p in tampered(drop_exclusion))


def test_tampered_version_entity_map_and_garbage_are_mismatches():
    assert any("规则版本" in p for p in tampered(lambda d: d.update(rules_version="draw-0")))
    assert any("种子" in p for p in tampered(lambda d: d.update(seed_hex="not hex")))
    assert tampered(lambda d: d.pop("rounds"))
    assert tampered(lambda d: d.update(rounds=[]))
    assert tampered(lambda d: d["rounds"][0].update(wanted=0))
    assert not verify({"candidates": "1,2"}).match
    assert not verify(None).match


def test_problems_stay_short_for_a_large_pool():
    ids = list(range(1, 3001))
    data = new_draw(ids, SEED, 7, own_entities(ids)).to_dict()
    data["rounds"][0]["available"].remove(1500)
    data["rounds"][0]["round"] = 5
    problems = verify(data).problems
    assert any("轮次编号为 5，应为 1" in p for p in problems)
    available = next(p for p in problems if "可抽名单" in p)
    assert "缺少 [1500]" in available and len(available) < 200


def test_redraw_refuses_a_record_with_a_broken_seed():
    record = new_draw([1, 2, 3], SEED, 1, {})
    broken = DrawRecord.from_dict(record.to_dict() | {"seed_hex": "zz"})
    with pytest.raises(ValueError, match="种子"):
        redraw(broken, 1)
