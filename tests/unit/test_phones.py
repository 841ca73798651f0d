"""Phone numbers pasted from other software (issue 11): compatibility forms and invisible format
characters are not the number; what is still invalid is refused saying why."""

from __future__ import annotations

import re

import pytest

from aicall.phones import PhoneError, normalise


def wide(text: str) -> str:
    """`text` in full-width forms (U+FF01-FF5E), as East Asian input methods type it; spaces kept."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@pytest.mark.parametrize(
    "raw",
    [
        wide("0987654321"),  # full-width digits (East Asian input methods)
        wide("+84 987 654 321"),  # full-width plus and digits
        "\ufeff0987654321",  # the byte-order mark a CSV's first cell keeps
        "\u200e0987654321\u200f",  # left-to-right / right-to-left marks
        "\u202a+84 98 765 4321\u202c",  # bidirectional embedding around a pasted number
        "098\u200b765\u200b4321",  # zero-width spaces inside
        "098\u2060765\u20604321",  # word joiners
        "0987\u00a0654\u00a0321",  # no-break spaces
        "0987\u3000654321",  # an ideographic space
    ],
)
def test_pasted_forms_of_a_number_normalise_like_the_typed_one(raw: str) -> None:
    assert normalise(raw) == "+84987654321"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("\ufeff", "empty"),
        ("\u200b\u200b", "empty"),
        (wide("0987") + "x" + wide("654321"), "not 'x'"),
        ("09+87654321", "'+' only first"),
        (wide("012"), "too short"),
    ],
)
def test_a_number_still_invalid_after_cleaning_is_refused_saying_why(raw: str, reason: str) -> None:
    with pytest.raises(PhoneError, match=re.escape(reason)):
        normalise(raw)


@pytest.mark.parametrize(
    ("raw", "reason"), [(10**15, "too long"), (-987654321, "negative"), (2**70, "too long")]
)
def test_a_number_sent_as_a_json_integer_has_at_most_fifteen_digits(raw: int, reason: str) -> None:
    with pytest.raises(PhoneError, match=reason):
        normalise(raw)


def test_normalising_ever_new_numbers_does_not_grow_memory_without_bound() -> None:
    """An API importing fresh numbers for weeks keeps a bounded cache of them (the soak,
    bench/bench_soak.py): once full, another 20,000 new numbers add next to nothing."""
    import tracemalloc

    from aicall.phones import NORMALISED_CACHE

    def batch(start: int) -> None:
        for n in range(start, start + 20_000):
            assert normalise(f"09{n:08d}") == f"+849{n:08d}"

    # Traced from before the first batch, so the entries it evicts count as freed.
    tracemalloc.start()
    try:
        batch(10_000_000)  # fills the cache (16,384 entries)
        full = tracemalloc.get_traced_memory()[0]
        batch(20_000_000)
        grown = tracemalloc.get_traced_memory()[0] - full
    finally:
        tracemalloc.stop()
    assert NORMALISED_CACHE >= 10_000  # a re-sent import of the largest request still hits
    # 20,000 entries kept would be about 5 MB; the cache's own table may still resize (< 1 MB).
    assert grown < 2 * 2**20, f"{grown:,} bytes more kept after 20,000 more new numbers"
