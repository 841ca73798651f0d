"""The dashboard says every waiting reason in words, in Vietnamese and English, never the raw
reason name (campaigns.waiting -> templates/campaigns/_labels.html)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aicall.campaigns.waiting import Waiting, WaitingReason
from aicall.dashboard import formatting
from aicall.dashboard.i18n import Translator
from aicall.dashboard.templating import environment

UNTIL = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
DETAIL = {
    WaitingReason.CONCURRENCY_FULL: "3 of 3",
    WaitingReason.HOLIDAY: "Tết Nguyên Đán",
    WaitingReason.PAUSED: "manual",
}


def label(reason: WaitingReason, language: str) -> str:
    template = environment.from_string(
        '{% import "campaigns/_labels.html" as labels with context %}{{ labels.waiting(w) }}'
    )
    held = Waiting(reason, until=UNTIL, detail=DETAIL.get(reason))
    return template.render(w=held, _=Translator(language), when=formatting.when).strip()


@pytest.mark.parametrize("reason", list(WaitingReason))
@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_waiting_reason_has_words(reason, language):
    text = label(reason, language)
    assert text and text != reason.value


def test_no_dialer_tells_the_operator_what_to_start():
    assert label(WaitingReason.NO_DIALER, "en") == (
        "No dialer process is running: start aicall worker or aicall serve."
    )
    assert "aicall worker" in label(WaitingReason.NO_DIALER, "vi")
