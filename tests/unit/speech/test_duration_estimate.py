"""The speaking-time estimate the simulator relies on, checked against espeak-ng itself."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aicall.media import Audio
from aicall.speech.timing import estimate_duration
from aicall.speech.tts import EspeakEngine, SilentEngine

PROMPTS = [
    "Xin chào anh Nguyễn Văn An",
    "Quý khách còn nợ một triệu năm trăm nghìn đồng, vui lòng thanh toán trước ngày mười lăm tháng tư.",
    "Bấm phím một để xác nhận. Bấm phím hai để gặp nhân viên. Bấm phím chín để nghe lại.",
    "ba không a, một hai ba, bốn năm",
]


def test_estimate_grows_with_syllables_and_pauses_and_shrinks_with_speed() -> None:
    assert estimate_duration("") == 0.0
    assert estimate_duration(" . , ") == 0.0
    assert estimate_duration("một hai") < estimate_duration("một hai ba")
    assert estimate_duration("một hai ba") < estimate_duration("một, hai, ba.")
    assert estimate_duration("một hai ba", speed=2.0) == pytest.approx(
        estimate_duration("một hai ba") / 2, abs=0.001
    )


async def test_fake_engines_make_audio_as_long_as_the_estimate() -> None:
    pcm = await SilentEngine().synthesize(PROMPTS[1], voice="vi")

    assert Audio.from_pcm(PROMPTS[1], pcm).duration == pytest.approx(estimate_duration(PROMPTS[1]), abs=0.001)


@pytest.mark.parametrize("text", PROMPTS)
async def test_estimate_is_within_fifteen_percent_of_espeak(
    require_tool: Callable[[str], str], text: str
) -> None:
    require_tool("espeak-ng")

    pcm = await EspeakEngine().synthesize(text, voice="vi")

    assert estimate_duration(text) == pytest.approx(Audio.from_pcm(text, pcm).duration, rel=0.15)
