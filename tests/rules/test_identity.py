"""Tests for rules.identity: GB 11643 ID numbers and the birth date of the 推荐表."""

from datetime import date

import pytest

from rules.identity import check_char, embedded_birth_date, identity_problems, normalize

ON = date(2026, 3, 2)
# Published GB 11643-1999 example: 11010519491231002X (Beijing, born 1949-12-31, check character X).
STANDARD_EXAMPLE = "11010519491231002X"


def number(birth: str, sequence: str = "123", region: str = "350102") -> str:
    body = f"{region}{birth}{sequence}"
    return body + check_char(body)


def test_the_standard_example_is_valid_with_its_birth_date():
    assert check_char(STANDARD_EXAMPLE[:17]) == "X"
    assert embedded_birth_date(STANDARD_EXAMPLE) == date(1949, 12, 31)
    assert identity_problems(STANDARD_EXAMPLE, date(1949, 12, 31), ON) == {}


def test_lower_case_x_is_normalized():
    assert normalize(" 11010519491231002x ") == STANDARD_EXAMPLE
    assert identity_problems("11010519491231002x", date(1949, 12, 31), ON) == {}


@pytest.mark.parametrize("wrong", ["350102197506181234", "350102197506181232", "110105194912310020"])
def test_a_wrong_check_character_is_refused(wrong):
    problems = identity_problems(wrong, date(1975, 6, 18), ON)
    assert "校验码不正确" in problems["id_number"]
    assert "birth_date" not in problems  # a broken number says nothing about the birth date


@pytest.mark.parametrize("shape", ["35010219750618123", "3501021975061812345", "35010219750618123Y", "", None,
                                   "3501021975O6181233"])
def test_the_shape_is_18_characters(shape):
    assert identity_problems(shape, None, ON) == {"id_number": "身份证号应为18位：前17位为数字，末位为数字或X"}


def test_an_impossible_embedded_date_is_refused():
    problems = identity_problems(number("19750231"), None, ON)
    assert "“19750231”不是有效的出生日期" in problems["id_number"]


def test_the_birth_date_must_equal_the_numbers():
    problems = identity_problems(number("19750618"), date(1976, 6, 18), ON)
    assert problems == {"birth_date": "出生日期 1976-06-18 与身份证号中的出生日期 1975-06-18 不一致"}


def test_a_birth_date_in_the_future_is_refused():
    problems = identity_problems(number("20260303"), date(2026, 3, 3), ON)
    assert problems == {"birth_date": "出生日期 2026-03-03 晚于今天（2026-03-02）"}


def test_under_18_on_the_submission_date_is_refused_and_18_is_enough():
    problems = identity_problems(number("20080303"), date(2008, 3, 3), ON)
    assert problems == {"birth_date": "按出生日期 2008-03-03，截至 2026-03-02 未满18周岁，不能申请入库"}
    assert identity_problems(number("20080302"), date(2008, 3, 2), ON) == {}  # 18 today


def test_without_a_birth_date_only_the_number_is_checked():
    assert identity_problems(number("19750618"), None, ON) == {}
