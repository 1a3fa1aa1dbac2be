"""Verifiable random draw of experts (Art 13): frozen candidate list, recorded seed, HMAC ranking, redraw rounds.
The record and its canonical hashes live in rules.draw_record (docs/draw-record.md).

Each candidate's score in a round is HMAC-SHA256(seed, f"{round}:{expert_id}"); the lowest scores are drawn,
at most one expert per legal entity. Anyone holding the record (candidates, their sha256, the seed, every
round's wanted count and exclusions) can recompute every round with `verify`. `random.sample` is never used:
its output is not guaranteed stable across Python versions, an HMAC is.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from rules.draw_record import (
    INPUTS_HASHED,
    DrawRecord,
    RoundRecord,
    candidates_sha256,
    ids_of,
    inputs_sha256,
    screened_of,
)

RULES_VERSION = "draw-2"  # 2: each round also records the screening's exclusions and the hash of all its inputs
VERSIONS = ("draw-1", "draw-2")  # records of every version still verify and redraw under their own version
SEED_BYTES = 32
_BLOCK = 64  # SHA-256 block size, for the HMAC pads
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def score(seed: bytes, round_no: int, expert_id: int) -> str:
    """Return HMAC-SHA256(key=seed, msg=f"{round_no}:{expert_id}") as hex."""
    return hmac.digest(seed, f"{round_no}:{expert_id}".encode("ascii"), "sha256").hex()


def _scored(seed: bytes, round_no: int, ids: Iterable[int]) -> list[tuple[bytes, int]]:
    """Return (raw score, id) per id: score() from precomputed HMAC pads (RFC 2104), half its cost per id."""
    key = (seed if len(seed) <= _BLOCK else hashlib.sha256(seed).digest()).ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(key.translate(_IPAD)).copy
    outer = hashlib.sha256(key.translate(_OPAD)).copy
    scored = []
    for expert_id in ids:  # a plain loop of C calls: it runs once per candidate, 10,000 times in a large pool
        h = inner()
        h.update(b"%d:%d" % (round_no, expert_id))
        o = outer()
        o.update(h.digest())
        scored.append((o.digest(), expert_id))  # raw digests order exactly as their hex strings do
    return scored


def rank(seed: bytes, round_no: int, ids: Iterable[int]) -> list[int]:
    """Return the ids by ascending score in this round, ties broken by id."""
    return [expert_id for _, expert_id in sorted(_scored(seed, round_no, ids))]


def _in_rank_order(seed: bytes, round_no: int, ids: Iterable[int]) -> Iterator[int]:
    """Yield the ids in rank() order lazily: a draw reads only the first few, so a heap beats a full sort."""
    heap = _scored(seed, round_no, ids)
    heapq.heapify(heap)
    while heap:
        yield heapq.heappop(heap)[1]


def new_seed(rng: Callable[[int], bytes]) -> bytes:
    """Return 32 fresh bytes from the given source (os.urandom in production, a fixed one in tests)."""
    seed = rng(SEED_BYTES)
    if not isinstance(seed, bytes | bytearray) or len(seed) != SEED_BYTES:
        raise ValueError(f"随机源应返回 {SEED_BYTES} 字节，实际返回：{seed!r}")
    return bytes(seed)


def _check_request(candidates: Sequence[int], seed: bytes, wanted: int) -> None:
    """Raise ValueError with a Chinese message for a bad candidate list, seed or wanted count."""
    if not set(map(type, candidates)) <= {int}:  # exact type: rejects bool and str ids in one C-level pass
        raise ValueError("候选名单只能包含整数专家编号")
    if len(set(candidates)) != len(candidates):
        raise ValueError("候选名单含重复的专家编号")
    if not isinstance(seed, bytes) or len(seed) != SEED_BYTES:
        raise ValueError(f"抽取种子应为 {SEED_BYTES} 字节")
    if isinstance(wanted, bool) or not isinstance(wanted, int) or wanted < 1:
        raise ValueError(f"抽取人数应为正整数，收到：{wanted!r}")


def _entity(entity_of: Mapping[int, str], expert_id: int) -> str:
    """Return the legal-entity key; a missing or empty key makes the expert an entity of its own."""
    return entity_of.get(expert_id) or f"\x00expert:{expert_id}"


def _run_round(record: DrawRecord, seed: bytes, wanted: int, exclude: set[int]) -> RoundRecord:
    """Compute the next round of a record: rank the remaining candidates and take one per free entity."""
    gone = exclude | set(record.excluded())
    drawn = set(record.drawn())
    removed = drawn | gone
    # Candidates are stored sorted, so filtering keeps `available` sorted; round 1 removes nothing.
    available = [i for i in record.candidates if i not in removed] if removed else list(record.candidates)
    # Entities of experts still engaged (drawn before and not excluded) stay taken in this round.
    taken = {_entity(record.entity_of, i) for i in drawn - gone}
    picked: list[int] = []
    skipped: list[int] = []
    for expert_id in _in_rank_order(seed, len(record.rounds) + 1, available):
        if len(picked) == wanted:
            break
        key = _entity(record.entity_of, expert_id)
        if key in taken:
            skipped.append(expert_id)
            continue
        taken.add(key)
        picked.append(expert_id)
    return RoundRecord(len(record.rounds) + 1, tuple(available), wanted, tuple(picked), tuple(skipped),
                       tuple(sorted(exclude)))


def _append(record: DrawRecord, seed: bytes, wanted: int, exclude: set[int],
            screened: tuple[tuple[int, str], ...] = ()) -> DrawRecord:
    """Return a copy of the record with its next round computed and appended ("draw-2": with its inputs hash)."""
    next_round = _run_round(record, seed, wanted, exclude)
    if record.rules_version in INPUTS_HASHED:
        previous = record.rounds[-1].inputs_sha256 if record.rounds else ""
        digest = inputs_sha256(record, next_round.round, wanted, next_round.excluded, screened, previous)
        next_round = replace(next_round, screened=screened, inputs_sha256=digest)
    return DrawRecord(record.candidates, record.candidates_sha256, record.seed_hex, record.rules_version,
                      record.entity_of, (*record.rounds, next_round))


def new_draw(candidates: Sequence[int], seed: bytes, wanted: int, entity_of: Mapping[int, str],
             screened: Iterable[tuple[int, str]] = ()) -> DrawRecord:
    """Draw round 1: the `wanted` lowest-scoring candidates, at most one per legal entity (fewer if exhausted).

    `screened`: (expert id, exclusion code) of everyone the screening left out, recorded and hashed with the round.
    """
    candidates = list(candidates)
    _check_request(candidates, seed, wanted)
    frozen = tuple(sorted(candidates))
    keys = list(map(entity_of.get, frozen))  # C-level lookups: this runs once per candidate
    if not set(map(type, keys)) <= {str, type(None)}:
        keys = [None if key is None else str(key) for key in keys]
    entities = {i: key for i, key in zip(frozen, keys, strict=True) if key is not None}
    empty = DrawRecord(frozen, candidates_sha256(frozen), seed.hex(), RULES_VERSION, entities, ())
    return _append(empty, seed, wanted, set(), screened_of(screened))


def redraw(record: DrawRecord, wanted: int, also_exclude: Iterable[int] = (),
           screened: Iterable[tuple[int, str]] = ()) -> DrawRecord:
    """Draw the next round over candidates not drawn before and not excluded (now or in earlier rounds), under the
    record's own rules version."""
    exclude = set(ids_of(also_exclude))
    seed = _seed_of(record)
    if seed is None:
        raise ValueError(f"抽取记录的种子“{record.seed_hex}”无效，无法继续抽取")
    if record.rules_version not in VERSIONS:
        raise ValueError(f"抽取记录的规则版本“{record.rules_version}”未知，无法继续抽取")
    _check_request(list(record.candidates), seed, wanted)
    return _append(record, seed, wanted, exclude, screened_of(screened))


@dataclass(frozen=True)
class Verification:
    """Outcome of verify: whether the record recomputes exactly, and what differs (in Chinese)."""

    match: bool
    problems: tuple[str, ...]


def _header_problems(record: DrawRecord) -> list[str]:
    """Return problems with the version, candidate list and its hash."""
    problems = []
    if record.rules_version not in VERSIONS:
        problems.append(f"规则版本“{record.rules_version}”不是本程序能复核的版本（{'、'.join(VERSIONS)}）")
    if list(record.candidates) != sorted(set(record.candidates)):
        problems.append("候选名单未按专家编号升序排列或含重复编号")
    recomputed = candidates_sha256(record.candidates)
    if recomputed != record.candidates_sha256:
        problems.append(f"候选名单的哈希值不符：记录为 {record.candidates_sha256}，按候选名单重算为 {recomputed}")
    if not record.rounds:
        problems.append("记录中没有任何抽取轮次")
    return problems


def _seed_of(record: DrawRecord) -> bytes | None:
    """Return the recorded seed, or None when it is not 32 bytes of hex."""
    try:
        seed = bytes.fromhex(record.seed_hex)
    except ValueError:
        return None
    return seed if len(seed) == SEED_BYTES else None


def _difference(stored: tuple, again: tuple) -> str:
    """Describe how a stored id list differs from its recomputation, briefly even for thousands of ids."""
    if len(stored) <= 20 and len(again) <= 20:
        return f"记录为 {list(stored)}，重算为 {list(again)}"
    extra, missing = sorted(set(stored) - set(again)), sorted(set(again) - set(stored))
    if not extra and not missing:
        return f"共 {len(stored)} 人，人员相同但顺序不同"
    return f"记录 {len(stored)} 人、重算 {len(again)} 人；记录多出 {extra[:10]}，缺少 {missing[:10]}"


def _round_problems(n: int, stored: RoundRecord, again: RoundRecord) -> list[str]:
    """Return the differences between a stored round and its recomputation."""
    problems = [f"第 {n} 轮的轮次编号为 {stored.round}，应为 {again.round}"] if stored.round != again.round else []
    labels = (("available", "可抽名单"), ("picked", "抽中名单"), ("skipped_same_entity", "因同一法人单位跳过的名单"))
    problems += [
        f"第 {n} 轮的{label}与按种子重算的结果不符：{_difference(getattr(stored, name), getattr(again, name))}"
        for name, label in labels if getattr(stored, name) != getattr(again, name)]
    if stored.inputs_sha256 != again.inputs_sha256:
        problems.append(f"第 {n} 轮的输入哈希（inputs_sha256）不符：记录为“{stored.inputs_sha256}”，"
                        f"按本轮输入重算为“{again.inputs_sha256}”")
    return problems


def _replay_problems(record: DrawRecord, seed: bytes) -> list[str]:
    """Recompute every round from the seed and return how the stored rounds differ."""
    problems: list[str] = []
    replay = DrawRecord(record.candidates, record.candidates_sha256, record.seed_hex, record.rules_version,
                        record.entity_of, ())
    for n, stored in enumerate(record.rounds, start=1):
        try:
            _check_request(list(record.candidates), seed, stored.wanted)
        except ValueError as exc:
            return [*problems, f"第 {n} 轮无法重算：{exc}"]
        replay = _append(replay, seed, stored.wanted, set(stored.excluded), stored.screened)
        problems.extend(_round_problems(n, stored, replay.rounds[-1]))
    return problems


def verify(record: DrawRecord | dict) -> Verification:
    """Recompute the candidate hash and every round from the seed; report every difference."""
    try:
        if not isinstance(record, DrawRecord):
            record = DrawRecord.from_dict(record)
    except ValueError as exc:
        return Verification(False, (str(exc),))
    problems = _header_problems(record)
    seed = _seed_of(record)
    if seed is None:
        problems.append(f"种子“{record.seed_hex}”不是 {SEED_BYTES} 字节的十六进制串，无法重算")
    elif record.rules_version in VERSIONS:
        problems.extend(_replay_problems(record, seed))
    return Verification(not problems, tuple(problems))
