"""Password policy (standard library only): long enough, not the username, not a commonly used password."""

from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 200
# Passwords of at least MIN_LENGTH characters that appear in published leak lists (lower-cased).
_COMMON = frozenset(
    line.strip().lower() for line in (Path(__file__).with_name("common_passwords.txt")).read_text("utf-8").splitlines()
    if line.strip() and not line.startswith("#"))


def _is_trivial(password: str) -> bool:
    # One character repeated, or a straight run of digits/letters ("1234567890", "abcdefghij").
    if len(set(password)) <= 2:
        return True
    steps = {ord(b) - ord(a) for a, b in zip(password, password[1:], strict=False)}
    return steps in ({1}, {-1})


def password_problems(password: str, username: str = "") -> list[str]:
    """What is wrong with a new password (Chinese messages); empty when it may be used."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少 {MIN_LENGTH} 位")
    if len(password) > MAX_LENGTH:
        problems.append(f"密码不能超过 {MAX_LENGTH} 位")
    lowered = password.lower()
    if username and username.strip().lower() in lowered:
        problems.append("密码不能包含用户名")
    if lowered in _COMMON or _is_trivial(password):
        problems.append("密码过于常见或简单，请换一个")
    return problems
