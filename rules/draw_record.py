"""The record of an Art 13 draw and its canonical serialisation — what is stored, exported, hashed and anchored
in the audit chain. docs/draw-record.md specifies every byte of it for an outsider; tools/verify_draw.py checks
it with the standard library alone.

- Canonical JSON: UTF-8, object keys sorted, no whitespace, non-ASCII written as is (for these documents, whose
  keys are ASCII and numbers integers, this is RFC 8785): json.dumps(v, sort_keys=True, ensure_ascii=False,
  separators=(",", ":")).
- candidates_sha256: sha256 of the candidate ids, ascending, in decimal ASCII joined by "," (no spaces).
- entity_of_sha256: sha256 of the canonical JSON of the entity map {"<id>": "<legal entity key>"}.
- inputs_sha256 of round n (rules "draw-2"): sha256 of the canonical JSON of `round_inputs`, which names every
  input of the round and the previous round's inputs_sha256, so the last round's hash covers the whole draw.
- record_sha256: sha256 of the canonical JSON of the whole record (to_dict()).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

INPUTS_HASHED = frozenset({"draw-2"})  # rules versions whose rounds carry `screened` and `inputs_sha256`


def canonical_json(value: object) -> bytes:
    """Return the canonical JSON bytes of a JSON-safe value (sorted keys, no whitespace, UTF-8)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Return the sha256 of the bytes as 64 lower-case hex digits."""
    return hashlib.sha256(data).hexdigest()


def candidates_sha256(ids: Sequence[int]) -> str:
    """Return the sha256 hex of the sorted ids joined by commas."""
    return hashlib.sha256(",".join(map(str, sorted(ids))).encode("ascii")).hexdigest()


def record_sha256(record: Mapping) -> str:
    """Return the sha256 of a record's canonical JSON (the audit chain anchors it after every round)."""
    return sha256_hex(canonical_json(record))


def _int(value: object) -> int:
    """Return value as an int id, accepting integral strings (JSON object keys)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"编号应为整数：{value!r}")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"编号应为整数：{value!r}") from None


def ids_of(values: Iterable[object]) -> tuple[int, ...]:
    """Return a tuple of int ids."""
    if isinstance(values, str | bytes | Mapping):
        raise ValueError(f"应为编号列表：{values!r}")
    return tuple(_int(v) for v in values)


def screened_of(values: Iterable[object]) -> tuple[tuple[int, str], ...]:
    """Return (expert id, exclusion code) pairs, sorted and without repeats."""
    if isinstance(values, str | bytes | Mapping):
        raise ValueError(f"应为排除记录列表：{values!r}")
    pairs = set()
    for pair in values:
        if isinstance(pair, str | bytes | Mapping) or len(pair) != 2 or not isinstance(pair[1], str):
            raise ValueError(f"排除记录应为 [专家编号, 排除代码]：{pair!r}")
        pairs.add((_int(pair[0]), pair[1]))
    return tuple(sorted(pairs))


@dataclass(frozen=True)
class RoundRecord:
    """One round: who could be drawn, how many were wanted, who was drawn (rank order) and who was skipped;
    from "draw-2" on also who was screened out before it and the hash of all its inputs."""

    round: int
    available: tuple[int, ...]  # sorted ids eligible in this round
    wanted: int
    picked: tuple[int, ...]  # in rank order
    skipped_same_entity: tuple[int, ...]
    excluded: tuple[int, ...] = ()  # ids the caller excluded when asking for this round (redraw also_exclude)
    screened: tuple[tuple[int, str], ...] = ()  # (expert id, exclusion code) the screening recorded for the round
    inputs_sha256: str = ""  # "" for a "draw-1" round

    def to_dict(self) -> dict:
        """Return the round as JSON-safe lists ("draw-1" rounds exactly as that version wrote them)."""
        data = {"round": self.round, "available": list(self.available), "wanted": self.wanted,
                "picked": list(self.picked), "skipped_same_entity": list(self.skipped_same_entity),
                "excluded": list(self.excluded)}
        if self.inputs_sha256:
            data |= {"screened": [list(p) for p in self.screened], "inputs_sha256": self.inputs_sha256}
        return data

    @classmethod
    def from_dict(cls, d: Mapping) -> RoundRecord:
        """Rebuild a round from to_dict output."""
        return cls(round=_int(d["round"]), available=ids_of(d["available"]), wanted=_int(d["wanted"]),
                   picked=ids_of(d["picked"]), skipped_same_entity=ids_of(d["skipped_same_entity"]),
                   excluded=ids_of(d.get("excluded", ())), screened=screened_of(d.get("screened", ())),
                   inputs_sha256=str(d.get("inputs_sha256", "")))


@dataclass(frozen=True)
class DrawRecord:
    """Everything needed to recompute a draw: candidates and their hash, seed, entity map and every round."""

    candidates: tuple[int, ...]
    candidates_sha256: str
    seed_hex: str
    rules_version: str
    entity_of: dict[int, str] = field(hash=False)  # copied at construction: later changes by the caller stay out
    rounds: tuple[RoundRecord, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "candidates", tuple(self.candidates))
        object.__setattr__(self, "entity_of", dict(self.entity_of))
        object.__setattr__(self, "rounds", tuple(self.rounds))

    def entity_map(self) -> dict[str, str]:
        """Return the entity map as stored: string ids in ascending numeric order."""
        return {str(i): self.entity_of[i] for i in sorted(self.entity_of)}

    @cached_property
    def entity_of_sha256(self) -> str:
        """Return the sha256 of the entity map's canonical JSON (computed once per record)."""
        return sha256_hex(canonical_json(self.entity_map()))

    def to_dict(self) -> dict:
        """Return the record as JSON-safe data (entity_of keys become strings)."""
        return {"candidates": list(self.candidates), "candidates_sha256": self.candidates_sha256,
                "seed_hex": self.seed_hex, "rules_version": self.rules_version, "entity_of": self.entity_map(),
                "rounds": [r.to_dict() for r in self.rounds]}

    @classmethod
    def from_dict(cls, d: Mapping) -> DrawRecord:
        """Rebuild a record from to_dict output (or its JSON), restoring integer ids."""
        try:
            return cls(candidates=ids_of(d["candidates"]), candidates_sha256=str(d["candidates_sha256"]),
                       seed_hex=str(d["seed_hex"]), rules_version=str(d["rules_version"]),
                       entity_of={_int(k): str(v) for k, v in dict(d["entity_of"]).items()},
                       rounds=tuple(RoundRecord.from_dict(r) for r in d["rounds"]))
        except KeyError as exc:
            raise ValueError(f"抽取记录缺少字段 {exc}") from exc
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"抽取记录格式无效：{exc}") from exc

    def drawn(self) -> tuple[int, ...]:
        """Return every id picked in any round, round by round in rank order."""
        return tuple(i for r in self.rounds for i in r.picked)

    def excluded(self) -> tuple[int, ...]:
        """Return every id excluded by a redraw so far, ascending."""
        return tuple(sorted({i for r in self.rounds for i in r.excluded}))

    def engaged(self) -> tuple[int, ...]:
        """Return the drawn ids not excluded since (still holding the engagement), in draw order."""
        gone = set(self.excluded())
        return tuple(i for i in self.drawn() if i not in gone)


def round_inputs(record: DrawRecord, round_no: int, wanted: int, excluded: Sequence[int],
                 screened: Sequence[tuple[int, str]], previous: str) -> dict:
    """Return the document whose canonical JSON's sha256 is round `round_no`'s inputs_sha256."""
    return {"candidates_sha256": record.candidates_sha256, "entity_of_sha256": record.entity_of_sha256,
            "excluded": sorted(excluded), "previous_inputs_sha256": previous, "round": round_no,
            "rules_version": record.rules_version, "screened": [[i, code] for i, code in screened],
            "seed_hex": record.seed_hex, "wanted": wanted}


def inputs_sha256(record: DrawRecord, round_no: int, wanted: int, excluded: Sequence[int],
                  screened: Sequence[tuple[int, str]], previous: str) -> str:
    """Return the sha256 of round_inputs(...)'s canonical JSON."""
    return sha256_hex(canonical_json(round_inputs(record, round_no, wanted, excluded, screened, previous)))
