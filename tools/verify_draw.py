#!/usr/bin/env python3
"""Check an exported expert draw (专家随机抽取记录) without the expert pool's code: Python 3.10+ standard library only.

    python3 verify_draw.py draw-12.json        (or - for standard input)

The file is what `expertpool export-draw`, GET /api/v1/draws/<id>/export or the request page's download gives
(a bare record is accepted too). Every rule applied here is written out in docs/draw-record.md: the candidate
hash, the HMAC-SHA256 ranking of each round with one expert per legal entity, the hash of each round's inputs,
the hash of the record after each round as anchored in the audit log, and each anchor event's own hash.
Prints every difference found, then "match" (exit 0) or "mismatch" (exit 1); exit 2 when the file cannot be read.
"""

import hashlib
import hmac
import json
import sys

VERSIONS = ("draw-1", "draw-2")  # draw-2 rounds also carry `screened` and `inputs_sha256`
AUDIT_FIELDS = ("at", "actor_id", "actor_name", "action", "instance_id", "version_id", "task_guid", "bpmn_id",
                "task_name", "data_before", "data_after")


def canonical(value) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8, non-ASCII as is (RFC 8785 for these documents)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def ids(value, what: str, problems: list) -> list:
    if not isinstance(value, list) or not all(is_id(v) for v in value):
        problems.append(f"{what}应为整数编号列表")
        return []
    return value


def screened(value, n: int, problems: list) -> list:
    """The round's [expert id, exclusion code] pairs, ascending, each once (as they are hashed)."""
    if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and is_id(p[0]) and isinstance(p[1], str) for p in value):
        problems.append(f"第 {n} 轮的 screened 应为 [专家编号, 排除代码] 列表")
        return []
    return [list(p) for p in sorted({tuple(p) for p in value})]


class Replay:
    """Recompute the rounds of a record from its seed, candidates and entity map."""

    def __init__(self, record: dict, seed: bytes, problems: list):
        self.record, self.seed, self.problems = record, seed, problems
        self.candidates = record["candidates"]
        self.entity_of = record["entity_of"]
        self.entity_sha = sha256(canonical(self.entity_of))
        self.drawn: list = []  # every id picked so far, round by round (recomputed)
        self.excluded: set = set()  # every id excluded by a redraw so far
        self.previous = ""  # the previous round's recomputed inputs_sha256

    def entity(self, expert_id: int):
        key = self.entity_of.get(str(expert_id))
        return key if key else ("own entity", expert_id)  # no key: an entity of its own

    def score(self, round_no: int, expert_id: int) -> bytes:
        return hmac.new(self.seed, f"{round_no}:{expert_id}".encode("ascii"), hashlib.sha256).digest()

    def round(self, n: int, stored: dict) -> dict:
        """Return the recomputed round n (available, picked, skipped_same_entity, inputs_sha256)."""
        excluded = ids(stored.get("excluded", []), f"第 {n} 轮的 excluded ", self.problems)
        wanted = stored.get("wanted")
        if not is_id(wanted) or wanted < 1:
            self.problems.append(f"第 {n} 轮的 wanted 应为正整数")
            wanted = 0
        gone = self.excluded | set(excluded)
        removed = set(self.drawn) | gone
        available = [i for i in self.candidates if i not in removed]
        taken = {self.entity(i) for i in self.drawn if i not in gone}
        picked, skipped = [], []
        for _, expert_id in sorted((self.score(n, i), i) for i in available):
            if len(picked) == wanted:
                break
            key = self.entity(expert_id)
            if key in taken:
                skipped.append(expert_id)
                continue
            taken.add(key)
            picked.append(expert_id)
        again = {"available": available, "picked": picked, "skipped_same_entity": skipped, "inputs_sha256": ""}
        if self.record["rules_version"] == "draw-2":
            again["inputs_sha256"] = self.previous = sha256(canonical({
                "candidates_sha256": self.record["candidates_sha256"], "entity_of_sha256": self.entity_sha,
                "excluded": sorted(excluded), "previous_inputs_sha256": self.previous, "round": n,
                "rules_version": "draw-2", "screened": screened(stored.get("screened", []), n, self.problems),
                "seed_hex": self.record["seed_hex"], "wanted": wanted}))
        self.drawn += picked
        self.excluded |= set(excluded)
        return again


def header_problems(record: dict) -> list:
    problems = []
    candidates = ids(record.get("candidates"), "candidates ", problems)
    if candidates != sorted(set(candidates)):
        problems.append("候选名单未按专家编号升序排列或含重复编号")
    recomputed = sha256(",".join(str(i) for i in candidates).encode("ascii"))
    if record.get("candidates_sha256") != recomputed:
        problems.append(f"候选名单哈希不符：记录为 {record.get('candidates_sha256')}，重算为 {recomputed}")
    if record.get("rules_version") not in VERSIONS:
        problems.append(f"规则版本“{record.get('rules_version')}”不是本工具能复核的版本（{'、'.join(VERSIONS)}）")
    if not isinstance(record.get("entity_of"), dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in record["entity_of"].items()):
        problems.append("entity_of 应为 {\"专家编号\": \"法人单位键\"} 对象")
    if not isinstance(record.get("rounds"), list) or not record["rounds"]:
        problems.append("记录中没有任何抽取轮次")
    return problems


def seed_of(record: dict):
    try:
        seed = bytes.fromhex(record.get("seed_hex", ""))
    except (TypeError, ValueError):
        return None
    return seed if len(seed) == 32 else None


def round_problems(record: dict, seed: bytes) -> list:
    problems: list = []
    replay = Replay(record, seed, problems)
    for n, stored in enumerate(record["rounds"], start=1):
        if not isinstance(stored, dict) or stored.get("round") != n:
            problems.append(f"第 {n} 轮的轮次编号应为 {n}")
            if not isinstance(stored, dict):
                return problems
        again = replay.round(n, stored)
        for name, value in again.items():
            if stored.get(name, "") != value:
                problems.append(f"第 {n} 轮的 {name} 与重算结果不符：记录为 {stored.get(name)}，重算为 {value}")
    return problems


def anchor_problems(record: dict, anchors: list) -> list:
    """Each anchor event hashes correctly and holds the record as it stood after its round."""
    problems, anchored = [], set()
    for a in anchors:
        fields = {k: a.get(k) for k in AUDIT_FIELDS}
        if sha256((str(a.get("prev_hash")) + canonical(fields).decode("utf-8")).encode("utf-8")) != a.get("hash"):
            problems.append(f"第 {a.get('id')} 号存证事件的哈希值与其内容不符")
        data = a.get("data_after") or {}
        n = data.get("round")
        if not is_id(n) or not 1 <= n <= len(record["rounds"]):
            problems.append(f"第 {a.get('id')} 号存证事件的轮次 {n} 不在记录中")
            continue
        anchored.add(n)
        stored = record["rounds"][n - 1]
        if data.get("record_sha256") != sha256(canonical(dict(record, rounds=record["rounds"][:n]))):
            problems.append(f"第 {n} 轮：记录与存证事件中的 record_sha256 不符（记录在存证后被修改）")
        for key, value in (("picked", stored.get("picked")), ("seed_hex", record.get("seed_hex")),
                           ("candidates_sha256", record.get("candidates_sha256"))):
            if data.get(key) != value:
                problems.append(f"第 {n} 轮：存证事件中的 {key} 与记录不符")
        if data.get("inputs_sha256") and data["inputs_sha256"] != stored.get("inputs_sha256"):
            problems.append(f"第 {n} 轮：存证事件中的 inputs_sha256 与记录不符")
    if anchors:
        problems += [f"第 {n} 轮没有存证事件" for n in range(1, len(record["rounds"]) + 1) if n not in anchored]
    return problems


def check(document: dict) -> tuple[dict, list]:
    """Return (the record, every problem found) for an export or a bare record."""
    record = document.get("record", document)
    problems = header_problems(record)
    seed = seed_of(record)
    if seed is None:
        problems.append("seed_hex 不是 32 字节的十六进制串，无法重算")
    elif not problems:
        problems += round_problems(record, seed)
    if "record" in document:
        if document.get("record_sha256") != sha256(canonical(record)):
            problems.append("导出文件中的 record_sha256 与记录不符")
        if isinstance(record.get("rounds"), list):
            problems += anchor_problems(record, document.get("anchors") or [])
    return record, problems


def main(argv: list) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        with (sys.stdin if argv[1] == "-" else open(argv[1], encoding="utf-8")) as f:
            document = json.load(f)
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        print(f"无法读取抽取记录：{exc}", file=sys.stderr)
        return 2
    record, problems = check(document)
    rounds = record.get("rounds") if isinstance(record.get("rounds"), list) else []
    print(f"draw {document.get('draw_id', '-')} (request {document.get('request_id', '-')}): "
          f"{len(record.get('candidates') or [])} candidates, {len(rounds)} round(s), rules {record.get('rules_version')}")
    for n, stored in enumerate(rounds, start=1):
        if isinstance(stored, dict):
            print(f"  round {n}: picked {stored.get('picked')}")
    for problem in problems:
        print(f"  - {problem}")
    print("mismatch" if problems else "match")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
