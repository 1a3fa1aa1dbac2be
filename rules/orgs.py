"""Comparison keys for organisation names, credit codes and free text (recusal matches parties by them)."""

import re
import unicodedata
from functools import lru_cache

# Separators, brackets and punctuation that vary between spellings of one organisation name (after NFKC,
# which already maps full-width （），： and spaces to their ASCII forms).
_ORG_DROP = re.compile(r"[\s\u200b\ufeff()\[\]{}<>【】〔〕〈〉《》「」『』〖〗·•・.,;:'\"“”‘’`\-—–_/\\|!?&、。]+")
# Legal-form suffixes written two ways (公司法 allows 有限公司 for 有限责任公司, 股份公司 for 股份有限公司).
_ORG_SUFFIXES = {"有限责任公司": "有限公司", "股份有限公司": "股份公司", "company": "co", "corporation": "corp",
                 "limited": "ltd", "incorporated": "inc"}
_ORG_SUFFIX = re.compile("|".join(_ORG_SUFFIXES))


@lru_cache(maxsize=65536)
def normalize_org(name: str) -> str:
    """Return the comparison key of an organisation name: no spaces/brackets/punctuation, one suffix form."""
    key = _ORG_DROP.sub("", unicodedata.normalize("NFKC", name or "").lower())
    return _ORG_SUFFIX.sub(_short_suffix, key)


def _short_suffix(match: re.Match) -> str:
    """Return the short form of a legal-form suffix."""
    return _ORG_SUFFIXES[match.group()]


@lru_cache(maxsize=65536)
def normalize_credit_code(code: str) -> str:
    """Return a 统一社会信用代码 in canonical form: half-width, upper case, no spaces or dashes."""
    return _ORG_DROP.sub("", unicodedata.normalize("NFKC", code or "").upper())


@lru_cache(maxsize=65536)
def text_key(text: str) -> str:
    """Return free text (specialties, region) half-width, lower case, without whitespace."""
    return "".join(unicodedata.normalize("NFKC", text or "").lower().split())
