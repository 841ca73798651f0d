"""Spoken answers matched to intents: the table of real utterances, and the rules behind it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from aicall.speech.intents import BUILTIN_INTENTS, IntentMatcher, match_intent, plain_words

TABLE = Path(__file__).parents[2] / "data" / "intent_utterances.tsv"


def utterances() -> list[tuple[str, str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, intent = line.split("\t")
            rows.append((text, intent))
    return rows


def test_the_table_holds_at_least_200_utterances_of_every_builtin_intent() -> None:
    rows = utterances()
    counts = Counter(intent for _text, intent in rows)
    assert len(rows) >= 200
    assert all(counts[name] >= 25 for name in BUILTIN_INTENTS)


def test_each_intent_is_recognised_in_at_least_nine_answers_of_ten() -> None:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for text, expected in utterances():
        found = match_intent(text)
        total[expected] += 1
        right[expected] += (found.intent if found else "none") == expected
    accuracy = {intent: right[intent] / total[intent] for intent in total}
    assert min(accuracy.values()) >= 0.9, accuracy


def test_plain_words_drop_marks_case_punctuation_and_unify_texting_spellings() -> None:
    assert plain_words("Dạ, VÂNG ạ!") == ["da", "vang", "a"]
    assert plain_words("ko dc r") == ["khong", "duoc", "roi"]
    assert plain_words("Hông") == ["khong"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("dạ", "yes"),  # alone, assent
        ("dạ không", "no"),  # beside other words, politeness
        ("không đồng ý", "no"),  # a negated yes
        ("đừng gọi nữa", "stop_calling"),  # not "đúng" (yes): marks decide
        ("dung goi nua", "stop_calling"),  # without marks, the longer phrase decides
        ("dung roi", "yes"),
        ("không phải tôi", "wrong_person"),
        ("tôi bận, gọi lại sau", "call_back_later"),
    ],
)
def test_the_longest_phrase_and_negation_decide(text: str, intent: str) -> None:
    found = match_intent(text)
    assert found is not None and found.intent == intent


def test_words_that_only_look_alike_without_marks_do_not_match() -> None:
    assert match_intent("cái gì cơ") is None  # "cơ" is not "có"
    assert match_intent("ừm") is None  # hesitation, not assent
    assert match_intent("") is None


def test_a_scenario_may_add_phrases_and_intents_of_its_own() -> None:
    matcher = IntentMatcher({"yes": [], "agent": ["gặp nhân viên", "tư vấn viên"]})
    assert matcher.match("cho tôi gặp nhân viên") == matcher.match("cho toi gap nhan vien")
    found = matcher.match("cho tôi gặp nhân viên")
    assert found is not None and found.intent == "agent"
    assert matcher.match("vâng") is not None
    # Only the menu's own intents are offered: "no" is not one of them here.
    assert matcher.match("không") is None


def test_confidence_is_the_share_of_the_answer_the_phrase_explains() -> None:
    short, long = match_intent("đúng rồi"), match_intent("đúng rồi nhưng mà để tôi suy nghĩ thêm")
    assert short is not None and long is not None
    assert short.confidence == 1.0 > long.confidence
