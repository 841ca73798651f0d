"""Values as spreadsheets and other software export them (issue 11): a DATE cell with a time
after the date in every date layout, and codes with nothing to spell."""

from __future__ import annotations

import pytest

from aicall.speech.errors import ReadingError
from aicall.speech.reading import read

FEB_1_2024 = "ngày mồng một tháng hai năm hai nghìn không trăm hai mươi tư"
FEB_17_2022 = "ngày mười bảy tháng hai năm hai nghìn không trăm hai mươi hai"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("17/02/2022 9:50", FEB_17_2022),
        ("17/02/2022 09:50:00", FEB_17_2022),
        ("01/02/2024 00:00:00", FEB_1_2024),
        ("1-2-2024 00:00", FEB_1_2024),
        ("01.02.2024 23:59:59.000", FEB_1_2024),
        ("01/02/2024 9:50 AM", FEB_1_2024),
        ("01/02/2024T09:50", FEB_1_2024),
        ("2024-02-01 00:00:00", FEB_1_2024),
        ("2024/2/1 9:50", FEB_1_2024),
    ],
)
def test_a_date_with_a_time_after_it_is_read_as_the_date_in_every_layout(value: str, expected: str) -> None:
    assert read("DATE", value) == expected


@pytest.mark.parametrize("value", ["01/02/2024 nine", "01/02/2024 9", "01/02/2024 99:99:99:99"])
def test_what_follows_a_date_must_still_be_a_time(value: str) -> None:
    with pytest.raises(ReadingError, match="is not a date"):
        read("DATE", value)


@pytest.mark.parametrize("value", ["....", "-", " / _ ", "\u00a0.\t"])
def test_a_code_of_separators_only_is_refused_not_read_as_silence(value: str) -> None:
    with pytest.raises(ReadingError, match="no letter or digit to spell"):
        read("SEQ2SEQ", value)
