"""Signed checkpoints of the audit chain head, kept outside the database (issue 13, DESIGN §6).

The hash chain alone proves nothing against someone who can rewrite the whole database: they recompute it.
A checkpoint signs the chain head (event id, hash, event count, time) with an Ed25519 key that is NOT in the
database and appends it to a log file outside it; `verify` then proves the database still holds exactly the
signed prefix. The private key file and the log file are configured by path (EXPERTPOOL_AUDIT_KEY_FILE,
EXPERTPOOL_CHECKPOINT_FILE); the public key (`<key>.pub`) is what an auditor needs to verify.
"""

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select

from engine.core import audit
from engine.core.contributions import Contributions
from engine.core.errors import ServiceError
from engine.core.models import AuditEvent

FORMAT = "expertpool-audit-checkpoint"
KEY_ENV = "EXPERTPOOL_AUDIT_KEY_FILE"
LOG_ENV = "EXPERTPOOL_CHECKPOINT_FILE"
SIGNED_FIELDS = ("format", "event_id", "hash", "count", "at")

# Set by the web app from its config (key file path, checkpoint log path); the scheduled job reads them.
SETTINGS: dict[str, str | None] = {"key_file": None, "log_file": None, "retention_days": None}

exports = Contributions()


def configure(key_file: str | None, log_file: str | None, retention_days: str | None = None) -> None:
    """Where the private key and the checkpoint log live (both outside the database); how long events stay."""
    SETTINGS.update(key_file=key_file or None, log_file=log_file or None, retention_days=retention_days or None)


def public_key_path(key_file: str | Path) -> Path:
    """The public key written next to the private key."""
    return Path(str(key_file) + ".pub")


def generate_key(key_file: str | Path) -> str:
    """Write a new Ed25519 private key (mode 0600) and its public key; return the public key's hex."""
    key_file = Path(key_file)
    if key_file.exists():
        raise ServiceError(f"密钥文件已存在：{key_file}（不会覆盖）")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public = key.public_key()
    public_key_path(key_file).write_bytes(public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return raw_hex(public)


def raw_hex(public: Ed25519PublicKey) -> str:
    """A public key as 64 hex digits (shown to auditors, written into checkpoints)."""
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def load_private(key_file: str | Path) -> Ed25519PrivateKey:
    """The Ed25519 private key of a PEM file (ServiceError when unreadable or of another kind)."""
    try:
        key = serialization.load_pem_private_key(Path(key_file).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ServiceError(f"无法读取签名私钥 {key_file}：{exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ServiceError(f"签名私钥 {key_file} 不是 Ed25519 密钥")
    return key


def load_public(key_file: str | Path) -> Ed25519PublicKey:
    """A public key from a PEM public key file, or derived from a PEM private key file."""
    data = Path(key_file).read_bytes()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        return load_private(key_file).public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise ServiceError(f"公钥 {key_file} 不是 Ed25519 密钥")
    return key


def _payload(entry: dict) -> bytes:
    signed = {name: entry.get(name) for name in SIGNED_FIELDS}
    return json.dumps(signed, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def head(session) -> tuple[int, str, int] | None:
    """The chain head: (last event id, its hash, number of events), or None while the chain is empty."""
    last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    if last is None:
        return None
    return last.id, last.hash, session.scalar(select(func.count(AuditEvent.id)))


def checkpoint(session, now: datetime, key_file: str | Path, log_file: str | Path) -> dict:
    """Sign the chain head and append it to the checkpoint log; return the entry written."""
    current = head(session)
    if current is None:
        raise ServiceError("审计日志为空，无需签署检查点")
    key = load_private(key_file)
    entry = {"format": FORMAT, "event_id": current[0], "hash": current[1], "count": current[2],
             "at": now.astimezone(UTC).isoformat()}
    entry["signature"] = base64.b64encode(key.sign(_payload(entry))).decode("ascii")
    entry["public_key"] = raw_hex(key.public_key())
    log_file = Path(log_file)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a", encoding="utf-8") as out:  # appended, never rewritten: earlier lines stay as signed
        out.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
    return entry


def read_log(log_file: str | Path) -> list[dict]:
    """The checkpoints of a log file, oldest first (a line that is not a checkpoint is an error)."""
    entries = []
    for number, line in enumerate(Path(log_file).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as exc:
            raise ServiceError(f"检查点文件第 {number} 行不是有效的 JSON") from exc
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            raise ServiceError(f"检查点文件第 {number} 行不是审计检查点")
        entries.append(entry)
    return entries


def _signature_ok(entry: dict, public: Ed25519PublicKey) -> bool:
    try:
        public.verify(base64.b64decode(entry.get("signature") or ""), _payload(entry))
    except (InvalidSignature, ValueError):
        return False
    return True


def entry_problems(session, entry: dict, public: Ed25519PublicKey, archived: dict | None = None) -> list[str]:
    """Why one checkpoint does not hold against the database (and the archives' events `archived`, id → (hash,
    position)): bad signature, event gone, hash or count differ."""
    label = f"检查点（第 {entry.get('event_id')} 号事件，{entry.get('at')}）"
    if not _signature_ok(entry, public):
        return [f"{label}：签名无效（检查点被伪造或修改，或公钥不符）"]
    if entry["event_id"] <= audit.archived_through(session):
        return _archived_problems(label, entry, archived)
    stored = session.get(AuditEvent, entry["event_id"])
    if stored is None:
        return [f"{label}：数据库中已没有该事件（事件被删除）"]
    problems = []
    if stored.hash != entry["hash"]:
        problems.append(f"{label}：数据库中该事件的哈希值与签名时不同（审计日志被改写）")
    count = audit.archived_before(session, entry["event_id"]) + session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.id <= entry["event_id"]))
    if count != entry["count"]:
        problems.append(f"{label}：数据库中至该事件为止有 {count} 个事件，签名时为 {entry['count']} 个（事件被增删）")
    return problems


def _archived_problems(label: str, entry: dict, archived: dict | None) -> list[str]:
    if archived is None:
        return [f"{label}：该事件已归档，请同时提供归档文件（--archive）"]
    if entry["event_id"] not in archived:
        return [f"{label}：归档文件中没有该事件"]
    hash_, position = archived[entry["event_id"]]
    if hash_ != entry["hash"] or position != entry["count"]:
        return [f"{label}：归档文件中该事件的哈希值或序号与签名时不同（归档被改写）"]
    return []


def verify(session, entries: list[dict], public: Ed25519PublicKey, archived: dict | None = None) -> list[str]:
    """Problems showing the database (with the archives' events `archived`) no longer holds exactly the signed
    prefix (empty when it does)."""
    problems = [p for entry in entries for p in entry_problems(session, entry, public, archived)]
    if entries and not problems:  # the signed heads match: the chain up to them must also recompute
        broken = audit.chain_break(session, 0, max(e["event_id"] for e in entries))
        if broken is not None:
            problems.append(f"审计日志在第 {broken} 号事件处与哈希链不符")
    return problems


def covering(entries: list[dict], event_id: int) -> dict | None:
    """The earliest checkpoint whose signed prefix contains event `event_id`, or None."""
    later = [e for e in entries if e.get("event_id", 0) >= event_id]
    return min(later, key=lambda e: e["event_id"]) if later else None


def configured_entries() -> list[dict] | None:
    """The configured checkpoint log's entries, or None when there is none yet."""
    log_file = SETTINGS["log_file"]
    if not log_file or not Path(log_file).exists():
        return None
    return read_log(log_file)


def configured_public_key() -> Ed25519PublicKey | None:
    """The public key of the configured signing key, or None when no key is configured."""
    key_file = SETTINGS["key_file"]
    if not key_file:
        return None
    pub = public_key_path(key_file)
    return load_public(pub if pub.exists() else key_file)


@exports.scheduled("audit_checkpoint", "interval", hours=1)
def scheduled_checkpoint(session, now: datetime) -> dict | None:
    """Hourly: sign the chain head when a key is configured and the head moved since the last checkpoint."""
    key_file, log_file = SETTINGS["key_file"], SETTINGS["log_file"]
    if not key_file or not log_file:
        return None
    current, entries = head(session), configured_entries() or []
    if current is None or (entries and entries[-1].get("event_id") == current[0]):
        return None
    return checkpoint(session, now, key_file, log_file)


def sign_now(session, now: datetime) -> dict:
    """On demand (auditor's button): sign the chain head with the configured key into the configured log."""
    if not SETTINGS["key_file"] or not SETTINGS["log_file"]:
        raise ServiceError("未配置签名私钥：请由运维人员运行 expertpool audit-keygen 并设置 EXPERTPOOL_AUDIT_KEY_FILE")
    return checkpoint(session, now, SETTINGS["key_file"], SETTINGS["log_file"])


def overview(session) -> dict:
    """The auditor's page: the configured key, the chain head, the checkpoints (newest first) and what verify says."""
    try:
        public, entries = configured_public_key(), configured_entries() or []
    except (OSError, ServiceError) as exc:
        return {"error": getattr(exc, "message", str(exc)), "entries": [], "head": head(session), "public_key": None}
    problems = verify(session, entries, public) if public is not None and entries else []
    return {"error": None, "entries": entries[::-1], "head": head(session), "problems": problems,
            "public_key": raw_hex(public) if public is not None else None}
