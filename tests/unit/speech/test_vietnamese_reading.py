"""Every reading type, as a table: raw value in, the Vietnamese a caller must hear out.

Expected words were written by hand from the rules in docs/speech.md, not produced by the code.
"""

from __future__ import annotations

import pytest

from aicall.speech.errors import ReadingError, UnknownDialectError, UnknownReadingTypeError
from aicall.speech.numbers import integer_words
from aicall.speech.reading import ReadingType, read

N, S = "north", "south"
Y2024 = "hai nghìn không trăm hai mươi tư"
MILLION_HALF = "một triệu năm trăm nghìn đồng"
NINES_15 = (
    "chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu "
    "chín trăm chín mươi chín nghìn chín trăm chín mươi chín"
)

READINGS = [
    # --- NUMBER: the small numbers where the unit changes its sound
    ("NUMBER", "0", N, "không"),
    ("NUMBER", "1", N, "một"),
    ("NUMBER", "4", N, "bốn"),
    ("NUMBER", "5", N, "năm"),
    ("NUMBER", "10", N, "mười"),
    ("NUMBER", "11", N, "mười một"),
    ("NUMBER", "14", N, "mười bốn"),
    ("NUMBER", "15", N, "mười lăm"),
    ("NUMBER", "19", N, "mười chín"),
    ("NUMBER", "20", N, "hai mươi"),
    ("NUMBER", "21", N, "hai mươi mốt"),
    ("NUMBER", "24", N, "hai mươi tư"),
    ("NUMBER", "25", N, "hai mươi lăm"),
    ("NUMBER", "30", N, "ba mươi"),
    ("NUMBER", "31", N, "ba mươi mốt"),
    ("NUMBER", "44", N, "bốn mươi tư"),
    ("NUMBER", "55", N, "năm mươi lăm"),
    ("NUMBER", "99", N, "chín mươi chín"),
    # --- hundreds: linh before a lone unit, the unit rules inside
    ("NUMBER", "100", N, "một trăm"),
    ("NUMBER", "101", N, "một trăm linh một"),
    ("NUMBER", "104", N, "một trăm linh bốn"),
    ("NUMBER", "105", N, "một trăm linh năm"),
    ("NUMBER", "110", N, "một trăm mười"),
    ("NUMBER", "111", N, "một trăm mười một"),
    ("NUMBER", "115", N, "một trăm mười lăm"),
    ("NUMBER", "121", N, "một trăm hai mươi mốt"),
    ("NUMBER", "124", N, "một trăm hai mươi tư"),
    ("NUMBER", "200", N, "hai trăm"),
    ("NUMBER", "999", N, "chín trăm chín mươi chín"),
    # --- thousands: "không trăm" when a larger group came first
    ("NUMBER", "1000", N, "một nghìn"),
    ("NUMBER", "1001", N, "một nghìn không trăm linh một"),
    ("NUMBER", "1005", N, "một nghìn không trăm linh năm"),
    ("NUMBER", "1010", N, "một nghìn không trăm mười"),
    ("NUMBER", "1015", N, "một nghìn không trăm mười lăm"),
    ("NUMBER", "1050", N, "một nghìn không trăm năm mươi"),
    ("NUMBER", "1100", N, "một nghìn một trăm"),
    ("NUMBER", "1234", N, "một nghìn hai trăm ba mươi tư"),
    ("NUMBER", "2021", N, "hai nghìn không trăm hai mươi mốt"),
    ("NUMBER", "10000", N, "mười nghìn"),
    ("NUMBER", "10500", N, "mười nghìn năm trăm"),
    ("NUMBER", "15000", N, "mười lăm nghìn"),
    ("NUMBER", "21000", N, "hai mươi mốt nghìn"),
    ("NUMBER", "25000", N, "hai mươi lăm nghìn"),
    ("NUMBER", "100000", N, "một trăm nghìn"),
    ("NUMBER", "105000", N, "một trăm linh năm nghìn"),
    # --- millions and above: all-zero groups are skipped
    ("NUMBER", "1000000", N, "một triệu"),
    ("NUMBER", "1000005", N, "một triệu không trăm linh năm"),
    ("NUMBER", "1000050", N, "một triệu không trăm năm mươi"),
    ("NUMBER", "1000500", N, "một triệu năm trăm"),
    ("NUMBER", "1050000", N, "một triệu không trăm năm mươi nghìn"),
    ("NUMBER", "1500000", N, "một triệu năm trăm nghìn"),
    ("NUMBER", "2000000", N, "hai triệu"),
    ("NUMBER", "1000000000", N, "một tỷ"),
    ("NUMBER", "1000000005", N, "một tỷ không trăm linh năm"),
    ("NUMBER", "1005000000", N, "một tỷ không trăm linh năm triệu"),
    ("NUMBER", "2500000000", N, "hai tỷ năm trăm triệu"),
    ("NUMBER", "1000000000000", N, "một nghìn tỷ"),
    ("NUMBER", "1001000000000", N, "một nghìn không trăm linh một tỷ"),
    ("NUMBER", "1000000000000000", N, "một triệu tỷ"),
    ("NUMBER", "999999999999999", N, NINES_15),
    # --- signs, decimals, separators, percent
    ("NUMBER", "-5", N, "âm năm"),
    ("NUMBER", "-21", N, "âm hai mươi mốt"),
    ("NUMBER", "\u221215", N, "âm mười lăm"),
    ("NUMBER", "+15", N, "mười lăm"),
    ("NUMBER", "-0", N, "không"),
    ("NUMBER", "007", N, "bảy"),
    ("NUMBER", "3,5", N, "ba phẩy năm"),
    ("NUMBER", "3.5", N, "ba phẩy năm"),
    ("NUMBER", "2,25", N, "hai phẩy hai mươi lăm"),
    ("NUMBER", "1,05", N, "một phẩy không năm"),
    ("NUMBER", "3.14159", N, "ba phẩy một bốn một năm chín"),
    ("NUMBER", "0.500", N, "không phẩy năm không không"),
    ("NUMBER", "-0,5", N, "âm không phẩy năm"),
    ("NUMBER", "1.500", N, "một nghìn năm trăm"),
    ("NUMBER", "1,234,567", N, "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy"),
    ("NUMBER", "1 234 567", N, "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy"),
    ("NUMBER", "1.234.567,5", N, "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy phẩy năm"),
    ("NUMBER", "5%", N, "năm phần trăm"),
    ("NUMBER", "1,5%", N, "một phẩy năm phần trăm"),
    ("NUMBER", "  42 ", N, "bốn mươi hai"),
    # --- southern words: lẻ and ngàn; mốt, tư, lăm as in the north
    ("NUMBER", "101", S, "một trăm lẻ một"),
    ("NUMBER", "105", S, "một trăm lẻ năm"),
    ("NUMBER", "1000", S, "một ngàn"),
    ("NUMBER", "1005", S, "một ngàn không trăm lẻ năm"),
    ("NUMBER", "2021", S, "hai ngàn không trăm hai mươi mốt"),
    ("NUMBER", "15000", S, "mười lăm ngàn"),
    ("NUMBER", "21", S, "hai mươi mốt"),
    ("NUMBER", "24", S, "hai mươi tư"),
    ("NUMBER", "1000050", S, "một triệu không trăm năm mươi"),
    ("NUMBER", "1000000000000", S, "một ngàn tỷ"),
    ("NUMBER", "-3,5", S, "âm ba phẩy năm"),
    # --- CURRENCY: every way people write 1.5 million đồng
    ("CURRENCY", "1500000", N, MILLION_HALF),
    ("CURRENCY", "1.500.000", N, MILLION_HALF),
    ("CURRENCY", "1,500,000", N, MILLION_HALF),
    ("CURRENCY", "1 500 000", N, MILLION_HALF),
    ("CURRENCY", "1\u00a0500\u00a0000", N, MILLION_HALF),
    ("CURRENCY", "1500000đ", N, MILLION_HALF),
    ("CURRENCY", "1.500.000 đ", N, MILLION_HALF),
    ("CURRENCY", "1.500.000Đ", N, MILLION_HALF),
    ("CURRENCY", "1500000 VND", N, MILLION_HALF),
    ("CURRENCY", "1,500,000 vnd", N, MILLION_HALF),
    ("CURRENCY", "1.500.000 VNĐ", N, MILLION_HALF),
    ("CURRENCY", "1500000 đồng", N, MILLION_HALF),
    ("CURRENCY", "1.500.000 Dong", N, MILLION_HALF),
    ("CURRENCY", "1.500.000₫", N, MILLION_HALF),
    ("CURRENCY", "VND 1,500,000", N, MILLION_HALF),
    ("CURRENCY", "1.500.000,00", N, MILLION_HALF),
    ("CURRENCY", "1500000.00", N, MILLION_HALF),
    ("CURRENCY", "1500000.0", N, MILLION_HALF),
    ("CURRENCY", "0", N, "không đồng"),
    ("CURRENCY", "5000", N, "năm nghìn đồng"),
    ("CURRENCY", "15000", N, "mười lăm nghìn đồng"),
    ("CURRENCY", "21000", N, "hai mươi mốt nghìn đồng"),
    ("CURRENCY", "250000", N, "hai trăm năm mươi nghìn đồng"),
    ("CURRENCY", "1005000", N, "một triệu không trăm linh năm nghìn đồng"),
    ("CURRENCY", "2000000000", N, "hai tỷ đồng"),
    ("CURRENCY", "1500000", S, "một triệu năm trăm ngàn đồng"),
    ("CURRENCY", "105000", S, "một trăm lẻ năm ngàn đồng"),
    ("CURRENCY", "1.005.000 đ", S, "một triệu không trăm lẻ năm ngàn đồng"),
    # --- DATE: mồng/mùng for days 1-10, tháng tư for April
    ("DATE", "15/04/2024", N, f"ngày mười lăm tháng tư năm {Y2024}"),
    ("DATE", "5/4/2024", N, f"ngày mồng năm tháng tư năm {Y2024}"),
    ("DATE", "05/04/2024", N, f"ngày mồng năm tháng tư năm {Y2024}"),
    ("DATE", "15-04-2024", N, f"ngày mười lăm tháng tư năm {Y2024}"),
    ("DATE", "15.04.2024", N, f"ngày mười lăm tháng tư năm {Y2024}"),
    ("DATE", "2024-04-15", N, f"ngày mười lăm tháng tư năm {Y2024}"),
    ("DATE", "2024-04-15 00:00:00", N, f"ngày mười lăm tháng tư năm {Y2024}"),
    ("DATE", "2024-04-15T09:30", N, f"ngày mười lăm tháng tư năm {Y2024}"),
    ("DATE", "01/01/2025", N, "ngày mồng một tháng một năm hai nghìn không trăm hai mươi lăm"),
    ("DATE", "10/10/2020", N, "ngày mồng mười tháng mười năm hai nghìn không trăm hai mươi"),
    ("DATE", "11/11/2011", N, "ngày mười một tháng mười một năm hai nghìn không trăm mười một"),
    ("DATE", "21/12/2021", N, "ngày hai mươi mốt tháng mười hai năm hai nghìn không trăm hai mươi mốt"),
    ("DATE", "24/06/2024", N, f"ngày hai mươi tư tháng sáu năm {Y2024}"),
    ("DATE", "25/05/2025", N, "ngày hai mươi lăm tháng năm năm hai nghìn không trăm hai mươi lăm"),
    ("DATE", "31/03/1999", N, "ngày ba mươi mốt tháng ba năm một nghìn chín trăm chín mươi chín"),
    ("DATE", "29/02/2024", N, f"ngày hai mươi chín tháng hai năm {Y2024}"),
    ("DATE", "2000-01-01", N, "ngày mồng một tháng một năm hai nghìn"),
    ("DATE", "07/07/2010", N, "ngày mồng bảy tháng bảy năm hai nghìn không trăm mười"),
    ("DATE", "15/08/2005", N, "ngày mười lăm tháng tám năm hai nghìn không trăm linh năm"),
    ("DATE", "05/04/2024", S, "ngày mùng năm tháng tư năm hai ngàn không trăm hai mươi tư"),
    ("DATE", "15/08/2005", S, "ngày mười lăm tháng tám năm hai ngàn không trăm lẻ năm"),
    # --- TIME: 24-hour clock, zero minutes left unsaid
    ("TIME", "14:30", N, "mười bốn giờ ba mươi phút"),
    ("TIME", "14h30", N, "mười bốn giờ ba mươi phút"),
    ("TIME", "14H30", N, "mười bốn giờ ba mươi phút"),
    ("TIME", "14h", N, "mười bốn giờ"),
    ("TIME", "14:00", N, "mười bốn giờ"),
    ("TIME", "09:05", N, "chín giờ năm phút"),
    ("TIME", "9:15", N, "chín giờ mười lăm phút"),
    ("TIME", "0:00", N, "không giờ"),
    ("TIME", "00:01", N, "không giờ một phút"),
    ("TIME", "23:59", N, "hai mươi ba giờ năm mươi chín phút"),
    ("TIME", "21:21", N, "hai mươi mốt giờ hai mươi mốt phút"),
    ("TIME", "8:24", N, "tám giờ hai mươi tư phút"),
    ("TIME", "14:30:15", N, "mười bốn giờ ba mươi phút mười lăm giây"),
    ("TIME", "14:00:05", N, "mười bốn giờ không phút năm giây"),
    ("TIME", "7g45", N, "bảy giờ bốn mươi lăm phút"),
    ("TIME", "10h05p", N, "mười giờ năm phút"),
    ("TIME", "8 giờ 15 phút", N, "tám giờ mười lăm phút"),
    ("TIME", "14:30", S, "mười bốn giờ ba mươi phút"),
    # --- SEQ2SEQ: one character at a time, separators as pauses
    ("SEQ2SEQ", "30A-12345", N, "ba không a, một hai ba bốn năm"),
    ("SEQ2SEQ", "51G12345", N, "năm một giê một hai ba bốn năm"),
    ("SEQ2SEQ", "HD2024", N, "hát dê hai không hai bốn"),
    ("SEQ2SEQ", "0915", N, "không chín một năm"),
    ("SEQ2SEQ", "abc", N, "a bê xê"),
    ("SEQ2SEQ", "Đ", N, "đê"),
    ("SEQ2SEQ", "29-LD 123.45", N, "hai chín, e lờ dê, một hai ba, bốn năm"),
    ("SEQ2SEQ", "A--1", N, "a, một"),
    ("SEQ2SEQ", "WXYZ", N, "vê kép ích xì i dài dét"),
    ("SEQ2SEQ", "0915", S, "không chín một năm"),
    # --- TEXT: as written, whitespace tidied
    ("TEXT", "  Nguyễn Văn An  ", N, "Nguyễn Văn An"),
    ("TEXT", "Nguyễn\nVăn\t An", N, "Nguyễn Văn An"),
    ("TEXT", "Chị Hoa", S, "Chị Hoa"),
    ("TEXT", "{{ho_ten}}", N, "{{ho_ten}}"),
    # --- reading types and dialects in any case
    ("currency", "1000", "North", "một nghìn đồng"),
    ("Date", "1/1/2000", "SOUTH", "ngày mùng một tháng một năm hai ngàn"),
]

INVALID = [
    ("CURRENCY", "12a000", "'12a000' is not an amount of money"),
    ("CURRENCY", "", "empty"),
    ("CURRENCY", "   ", "empty"),
    ("CURRENCY", "-1500000", "negative"),
    ("CURRENCY", "\u22121500000", "negative"),
    ("CURRENCY", "1.500,5", "fraction of a đồng"),
    ("CURRENCY", "1.5", "fraction of a đồng"),
    ("CURRENCY", "1.50.000", "misplaced thousands separators"),
    ("CURRENCY", "15,00,000", "misplaced thousands separators"),
    ("CURRENCY", "đ", "no amount"),
    ("CURRENCY", "1500000 USD", "'U'"),
    ("CURRENCY", "1,5 triệu", "is not an amount of money"),
    ("CURRENCY", "1" * 19, "too large"),
    ("NUMBER", "", "empty"),
    ("NUMBER", "12a", "'a'"),
    ("NUMBER", "-", "no digits"),
    ("NUMBER", "1.", "ends with a separator"),
    ("NUMBER", ".5", "start and end with a digit"),
    ("NUMBER", "1.2.3,4,5", "more than one decimal separator"),
    ("NUMBER", "9" * 19, "too large"),
    ("DATE", "31/02/2024", "February 2024 has 29 days"),
    ("DATE", "29/02/2023", "February 2023 has 28 days"),
    ("DATE", "31/04/2024", "April 2024 has 30 days"),
    ("DATE", "32/01/2024", "January 2024 has 31 days"),
    ("DATE", "00/01/2024", "January 2024 has 31 days"),
    ("DATE", "15/13/2024", "no month 13"),
    ("DATE", "2024-02-30", "February 2024 has 29 days"),
    ("DATE", "04/15/2024", "no month 15"),
    ("DATE", "15/04/24", "is not a date"),
    ("DATE", "15/04-2024", "is not a date"),
    ("DATE", "tomorrow", "is not a date"),
    ("DATE", "", "empty"),
    ("TIME", "24:61", "the hour must be 0-23"),
    ("TIME", "25:00", "the hour must be 0-23, not 25"),
    ("TIME", "24:00", "the hour must be 0-23"),
    ("TIME", "12:60", "the minute must be 0-59"),
    ("TIME", "12:30:60", "the second must be 0-59"),
    ("TIME", "12:5", "is not a time"),
    ("TIME", "1230", "is not a time"),
    ("TIME", "noon", "is not a time"),
    ("TIME", "", "empty"),
    ("SEQ2SEQ", "", "empty"),
    ("SEQ2SEQ", "AB#1", "'#'"),
    ("SEQ2SEQ", "số 5", "'ố'"),
    ("TEXT", "", "empty"),
    ("TEXT", " \n\t ", "empty"),
]


@pytest.mark.parametrize(("reading_type", "value", "dialect", "expected"), READINGS)
def test_value_is_read_as_vietnamese_words(
    reading_type: str, value: str, dialect: str, expected: str
) -> None:
    assert read(reading_type, value, dialect=dialect) == expected


@pytest.mark.parametrize(("reading_type", "value", "reason"), INVALID)
def test_unreadable_value_is_refused_with_a_reason(reading_type: str, value: str, reason: str) -> None:
    with pytest.raises(ReadingError) as caught:
        read(reading_type, value)

    assert reason in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_the_table_covers_every_reading_type_and_both_dialects() -> None:
    assert len(READINGS) + len(INVALID) >= 150
    assert {row[0].upper() for row in READINGS} == {t.value for t in ReadingType}
    assert {row[2].lower() for row in READINGS} == {"north", "south"}
    assert {row[0] for row in INVALID} == {t.value for t in ReadingType}


def test_decomposed_unicode_from_macos_is_read_like_composed() -> None:
    decomposed = "1.500.000 \u0111o\u0302\u0300ng"  # "đồng" with its marks as separate code points

    assert read("CURRENCY", decomposed) == MILLION_HALF


def test_unknown_reading_type_is_its_own_error() -> None:
    with pytest.raises(UnknownReadingTypeError, match="MONEY"):
        read("MONEY", "5")


def test_unknown_dialect_is_its_own_error() -> None:
    with pytest.raises(UnknownDialectError, match="central"):
        read("NUMBER", "5", dialect="central")


def test_every_thousand_multiple_is_the_number_then_nghin() -> None:
    for n in range(1, 1000):
        assert integer_words(n * 1000) == integer_words(n) + " nghìn"
        assert integer_words(n * 10**9, "south") == integer_words(n, "south") + " tỷ"


def test_units_after_a_tens_word_never_sound_as_mot_bon_nam() -> None:
    for n in range(20, 100_000, 7):
        words = integer_words(n)
        assert "mươi một" not in words and "mươi bốn" not in words and "mươi năm" not in words, n
        assert "mười năm" not in words and "linh lăm" not in words, n
        assert "mười mốt" not in words and "mười tư" not in words, n
