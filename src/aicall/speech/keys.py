"""Key form of a personalised field: `Họ tên` -> `ho_ten` (CONTRACT §2)."""

from __future__ import annotations

import functools
import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def key_form(display_name: str) -> str:
    """Strip diacritics, lower-case, join words with `_`.

    Cached for names of up to 128 characters (4,096 of them): the dialer matches every
    contact's value keys to the scenario's fields before each call, and this Unicode
    normalisation was most of that check's time (docs/benchmarks.md, issue 13)."""
    if len(display_name) > _CACHED_UP_TO:
        return _key_form(display_name)
    return _cached_key_form(display_name)


_CACHED_UP_TO = 128


def _key_form(display_name: str) -> str:
    text = display_name.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub("_", text).strip("_")


_cached_key_form = functools.lru_cache(maxsize=4096)(_key_form)
