"""Interface language: Vietnamese by default, English on request.

Templates and pages write Vietnamese text and wrap it in `_()`; `locales/en/*.json` hold
`{"Vietnamese text": "English text"}`. One file per page area, merged at start, so people working
on different pages never edit the same catalogue. A text missing from a catalogue shows in
Vietnamese (the test `test_every_interface_text_has_an_english_translation` finds them first).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_COOKIE = "aicall_lang"
_LOCALES = Path(__file__).parent / "locales"


@cache
def catalogue(language: str) -> dict[str, str]:
    """Every translation into `language` (empty for Vietnamese, the source language)."""
    merged: dict[str, str] = {}
    folder = _LOCALES / language
    if language == DEFAULT_LANGUAGE or not folder.is_dir():
        return merged
    for path in sorted(folder.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def pick_language(cookie: str | None) -> str:
    """The language a request asked for by cookie, or Vietnamese."""
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


class Translator:
    """`_("Chiến dịch")` -> "Campaigns" in English; values given as keywords fill `{name}` after."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._strings = catalogue(language)

    def __call__(self, text: str, **values: object) -> str:
        translated = self._strings.get(text, text)
        return translated.format(**values) if values else translated
