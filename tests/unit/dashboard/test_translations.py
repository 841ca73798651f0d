"""Every text of the interface has an English translation (Vietnamese is the source)."""

import json
import re
from pathlib import Path

import aicall.dashboard
from aicall.dashboard import reasons
from aicall.dashboard.i18n import Translator, catalogue

ROOT = Path(aicall.dashboard.__file__).parent
# _("...") in templates and page modules; the text is a literal (no variables inside).
CALL = re.compile(r"""\b_\(\s*(["'])((?:(?!\1).)+)\1""")


def interface_texts() -> set[str]:
    texts: set[str] = set()
    for path in [*ROOT.rglob("*.html"), *ROOT.rglob("*.py")]:
        texts.update(match.group(2) for match in CALL.finditer(path.read_text(encoding="utf-8")))
    return texts


def test_every_interface_text_has_an_english_translation() -> None:
    english = catalogue("en")
    missing = sorted(text for text in interface_texts() if text not in english)
    assert missing == [], f"add these to dashboard/locales/en/*.json: {missing}"


def test_a_text_in_two_locale_files_is_translated_the_same_in_both() -> None:
    """The files merge into one catalogue (i18n.catalogue): a text translated two ways would take
    whichever file loads last, on every page. Texts that mean two things need two Vietnamese texts."""
    seen: dict[str, dict[str, str]] = {}
    for path in sorted((ROOT / "locales" / "en").glob("*.json")):
        for text, english in json.loads(path.read_text(encoding="utf-8")).items():
            seen.setdefault(text, {})[path.name] = english
    conflicting = {text: files for text, files in seen.items() if len(set(files.values())) > 1}
    assert conflicting == {}


def test_every_text_a_service_reason_is_said_with_has_an_english_translation() -> None:
    english = catalogue("en")
    missing = sorted(text for text in reasons.TEXTS if text not in english)
    assert missing == [], f"add these to dashboard/locales/en/reasons.json: {missing}"


def test_english_reasons_keep_the_values_their_vietnamese_fills_in() -> None:
    english = catalogue("en")
    names = re.compile(r"(?<!\{)\{(\w+)\}")
    for text in reasons.TEXTS:
        assert set(names.findall(english[text])) == set(names.findall(text)), text


def test_vietnamese_is_shown_as_written_and_english_is_formatted() -> None:
    assert Translator("vi")("Chiến dịch") == "Chiến dịch"
    assert Translator("en")("Quá nhiều lần đăng nhập sai. Thử lại sau {minutes} phút.", minutes=3) == (
        "Too many failed logins. Try again in 3 min."
    )
