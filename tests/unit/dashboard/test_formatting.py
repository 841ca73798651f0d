"""Money, numbers and times read the Vietnamese way on the dashboard."""

from datetime import UTC, datetime

from aicall.dashboard import formatting


def test_money_groups_thousands_with_dots_and_ends_in_dong() -> None:
    assert formatting.money(1_500_000) == "1.500.000 đ"
    assert formatting.money(0) == "0 đ"
    assert formatting.money(-25_000) == "-25.000 đ"


def test_english_groups_thousands_with_commas() -> None:
    assert formatting.money(1_500_000, "en") == "1,500,000 đ"


def test_percent_uses_a_decimal_comma_in_vietnamese() -> None:
    assert formatting.percent(0.453) == "45,3 %"
    assert formatting.percent(0.453, "en") == "45.3 %"
    assert formatting.percent(None) == "\u2013"


def test_times_are_day_first_in_vietnam_time() -> None:
    moment = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)  # 14:05 in Hà Nội (UTC+7)
    assert formatting.when(moment) == "30/11/2026 14:05"


def test_durations_read_as_minutes_and_seconds() -> None:
    assert formatting.duration(83.4) == "1:23"
    assert formatting.duration(3723) == "1:02:03"
