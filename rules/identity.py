"""Resident identity numbers (GB 11643-1999) and the birth date given beside them (推荐表, 附件1).

Pure function of its inputs: the date the check is made on is passed in. Every problem is returned, keyed by
the form field it belongs to, with a specific Chinese message.
"""

from __future__ import annotations

import re
from datetime import date

from rules.eligibility import age_on

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11 (GB 11643-1999, ISO 7064 MOD 11-2)
SHAPE = re.compile(r"\d{17}[\dX]")
MIN_AGE = 18  # an expert is an adult: a person under 18 cannot hold the posts of Art 6(二)


def normalize(number: str | None) -> str:
    """The number as stored: surrounding blanks removed, a lower-case check character x made upper case."""
    return (number or "").strip().upper()


def check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def embedded_birth_date(number: str) -> date | None:
    """The birth date in positions 7–14 (YYYYMMDD) of an 18-character number, None when it is no date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def _number_problems(number: str) -> tuple[list[str], date | None]:
    if not SHAPE.fullmatch(number):
        return ["身份证号应为18位：前17位为数字，末位为数字或X"], None
    problems = []
    born = embedded_birth_date(number)
    if born is None:
        problems.append(f"身份证号第7至14位“{number[6:14]}”不是有效的出生日期")
    if check_char(number[:17]) != number[17]:
        problems.append("身份证号校验码不正确（GB 11643），请核对号码是否输入有误")
    return problems, born


def _birth_problems(birth_date: date, born: date | None, on: date, min_age: int) -> list[str]:
    if born is not None and born != birth_date:
        return [f"出生日期 {birth_date.isoformat()} 与身份证号中的出生日期 {born.isoformat()} 不一致"]
    if birth_date > on:
        return [f"出生日期 {birth_date.isoformat()} 晚于今天（{on.isoformat()}）"]
    if age_on(birth_date, on) < min_age:
        return [f"按出生日期 {birth_date.isoformat()}，截至 {on.isoformat()} 未满{min_age}周岁，不能申请入库"]
    return []


def identity_problems(number: str | None, birth_date: date | None, on: date,
                      min_age: int = MIN_AGE) -> dict[str, str]:
    """{field: message} for the ID number (`id_number`) and the birth date (`birth_date`) checked on `on`:
    shape, embedded birth date and check character of the number; the birth date equal to the number's, not
    after `on` and at least `min_age` years before it. Empty when both are right."""
    found: dict[str, str] = {}
    number_problems, born = _number_problems(normalize(number))
    if number_problems:
        found["id_number"] = "；".join(number_problems)
    if birth_date is not None:
        # a number that failed its own checks says nothing reliable about the birth date
        birth_problems = _birth_problems(birth_date, None if number_problems else born, on, min_age)
        if birth_problems:
            found["birth_date"] = "；".join(birth_problems)
    return found
