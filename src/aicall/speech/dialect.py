"""Regional word choices: the few words where northern and southern Vietnamese read differently."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aicall.speech.errors import UnknownDialectError

__all__ = ["Dialect", "DialectWords", "parse_dialect", "words_for"]


class Dialect(StrEnum):
    NORTH = "north"
    SOUTH = "south"


@dataclass(frozen=True, slots=True)
class DialectWords:
    thousand: str  # 10^3
    zero_tens: str  # the empty tens place before a unit: 105 -> một trăm linh/lẻ năm
    day_prefix: str  # before days 1-10 of a month: ngày mồng/mùng năm


_WORDS = {
    Dialect.NORTH: DialectWords(thousand="nghìn", zero_tens="linh", day_prefix="mồng"),
    Dialect.SOUTH: DialectWords(thousand="ngàn", zero_tens="lẻ", day_prefix="mùng"),
}


def parse_dialect(dialect: str | Dialect) -> Dialect:
    """`"north"`, `"South"`, `Dialect.NORTH`... -> a `Dialect`; anything else is an error."""
    try:
        return Dialect(str(dialect).strip().lower())
    except ValueError:
        choices = ", ".join(d.value for d in Dialect)
        raise UnknownDialectError(f"unknown dialect {dialect!r}: expected one of {choices}") from None


def words_for(dialect: str | Dialect) -> DialectWords:
    return _WORDS[parse_dialect(dialect)]
