"""The prompter: fixed parts synthesised once, personalised parts per call, stitched PCM."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

from aicall.interpreter.script import FieldSpec
from aicall.media import Audio
from aicall.speech.cache import AudioCache
from aicall.speech.errors import ReadingError, TemplateError, TtsError
from aicall.speech.prompter import Prompter
from aicall.speech.timing import estimate_duration
from aicall.speech.tts import EspeakEngine, SilentEngine, ToneEngine

FIELDS = (
    FieldSpec(name="Họ tên", key="ho_ten", reading_type="TEXT"),
    FieldSpec(name="Số tiền", key="so_tien", reading_type="CURRENCY"),
)
TEMPLATE = "Xin chào {{ho_ten}}. Quý khách còn nợ {{ so_tien }}, vui lòng thanh toán."
AN = {"ho_ten": "Anh An", "so_tien": "1500000"}
HOA = {"ho_ten": "Chị Hoa", "so_tien": "250.000đ"}
FIXED = ["Xin chào", ". Quý khách còn nợ", ", vui lòng thanh toán."]


async def test_without_an_engine_the_prompt_is_text_with_an_estimated_duration() -> None:
    prompter = Prompter(FIELDS, dialect="south")

    audio = await prompter.render(TEMPLATE, AN)

    text = "Xin chào Anh An. Quý khách còn nợ một triệu năm trăm ngàn đồng, vui lòng thanh toán."
    assert audio == Audio(text=text, duration=estimate_duration(text))
    assert audio.pcm is None


async def test_fixed_parts_are_synthesised_once_across_calls_with_different_values() -> None:
    engine = SilentEngine()
    prompter = Prompter(FIELDS, engine=engine, voice="vi")

    await prompter.render(TEMPLATE, AN)
    await prompter.render(TEMPLATE, HOA)

    spoken = [text for text, _, _ in engine.calls]
    assert sorted(t for t in spoken if t in FIXED) == sorted(FIXED)  # each fixed part once
    assert [t for t in spoken if t not in FIXED] == [
        "Anh An",
        "một triệu năm trăm nghìn đồng",
        "Chị Hoa",
        "hai trăm năm mươi nghìn đồng",
    ]


async def test_a_shared_disk_cache_spares_a_new_prompter_the_fixed_parts(tmp_path: Path) -> None:
    await Prompter(FIELDS, engine=SilentEngine(), voice="vi", cache=AudioCache(tmp_path)).render(TEMPLATE, AN)
    engine = SilentEngine()

    await Prompter(FIELDS, engine=engine, voice="vi", cache=AudioCache(tmp_path)).render(TEMPLATE, HOA)

    assert [text for text, _, _ in engine.calls] == ["Chị Hoa", "hai trăm năm mươi nghìn đồng"]


async def test_another_voice_or_speed_does_not_reuse_the_fixed_parts(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)
    engine = SilentEngine()
    for voice, speed in (("vi", 1.0), ("vi+f3", 1.0), ("vi", 1.2)):
        await Prompter(FIELDS, engine=engine, voice=voice, speed=speed, cache=cache).render(TEMPLATE, AN)

    assert len(engine.calls) == 3 * 5


async def test_calls_starting_together_share_one_synthesis_of_each_fixed_part() -> None:
    engine = SilentEngine()
    prompter = Prompter(FIELDS, engine=engine, voice="vi")

    await asyncio.gather(
        *(prompter.render(TEMPLATE, {"ho_ten": f"Khách {n}", "so_tien": "1000"}) for n in range(10))
    )

    fixed_calls = [text for text, _, _ in engine.calls if text in FIXED]
    assert sorted(fixed_calls) == sorted(FIXED)


async def test_personalised_parts_never_reach_the_disk(tmp_path: Path) -> None:
    prompter = Prompter(FIELDS, engine=ToneEngine(), voice="vi", cache=AudioCache(tmp_path))

    await prompter.render(TEMPLATE, AN)
    await prompter.render(TEMPLATE, HOA)

    assert len(list(tmp_path.rglob("*.wav"))) == len(FIXED)


async def test_the_audio_is_the_stitched_clips_of_every_part() -> None:
    prompter = Prompter(FIELDS, engine=ToneEngine(), voice="vi")

    audio = await prompter.render(TEMPLATE, AN)

    assert (
        audio.text == "Xin chào Anh An. Quý khách còn nợ một triệu năm trăm nghìn đồng, vui lòng thanh toán."
    )
    assert audio.pcm is not None
    assert audio.duration == len(audio.pcm) / 16000
    # The tone engine leaves no silence to trim: the parts plus four 0.12 s joins.
    parts = [
        "Xin chào",
        "Anh An",
        ". Quý khách còn nợ",
        "một triệu năm trăm nghìn đồng",
        ", vui lòng thanh toán.",
    ]
    expected = sum(estimate_duration(part) for part in parts) + 4 * 0.12
    assert audio.duration == pytest.approx(expected, abs=0.01)


async def test_a_name_said_twice_is_synthesised_once_per_call() -> None:
    engine = SilentEngine()

    await Prompter(FIELDS, engine=engine, voice="vi").render("{{ho_ten}} ơi, {{ho_ten}}!", AN)

    assert [text for text, _, _ in engine.calls].count("Anh An") == 1


async def test_render_file_writes_a_playable_wav_into_the_cache_directory(tmp_path: Path) -> None:
    prompter = Prompter(FIELDS, engine=ToneEngine(), voice="vi", cache=AudioCache(tmp_path))

    audio, path = await prompter.render_file(TEMPLATE, AN)

    assert path.is_relative_to(tmp_path)
    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.readframes(wav.getnframes()) == audio.pcm


async def test_render_file_needs_an_engine_and_a_cache_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="engine"):
        await Prompter(FIELDS, cache=AudioCache(tmp_path)).render_file(TEMPLATE, AN)
    with pytest.raises(ValueError, match="directory"):
        await Prompter(FIELDS, engine=ToneEngine()).render_file(TEMPLATE, AN)


async def test_warm_synthesises_the_fixed_parts_before_the_first_call() -> None:
    engine = SilentEngine()
    prompter = Prompter(FIELDS, engine=engine, voice="vi")

    assert await prompter.warm(TEMPLATE) == 3
    assert await prompter.warm(TEMPLATE) == 0
    await prompter.render(TEMPLATE, AN)

    assert [text for text, _, _ in engine.calls][3:] == ["Anh An", "một triệu năm trăm nghìn đồng"]


async def test_missing_and_unreadable_values_fail_before_any_synthesis() -> None:
    engine = SilentEngine()
    prompter = Prompter(FIELDS, engine=engine, voice="vi")

    with pytest.raises(TemplateError, match="Số tiền"):
        await prompter.render(TEMPLATE, {"ho_ten": "An"})
    with pytest.raises(ReadingError, match="Số tiền"):
        await prompter.render(TEMPLATE, {"ho_ten": "An", "so_tien": "12a000"})

    assert engine.calls == []


async def test_a_full_prompt_through_espeak_has_speech_in_every_part(
    require_tool: Callable[[str], str], tmp_path: Path
) -> None:
    require_tool("espeak-ng")
    prompter = Prompter(FIELDS, engine=EspeakEngine(), voice="vi+f3", cache=AudioCache(tmp_path))

    audio = await prompter.render(TEMPLATE, AN)

    assert audio.pcm is not None
    # Trimmed clips: the stitched prompt is no longer than the estimate says the whole would be.
    assert 0.6 * estimate_duration(audio.text) < audio.duration < 1.2 * estimate_duration(audio.text)


async def test_a_value_shared_by_many_contacts_is_synthesised_once_and_kept_in_memory_only(
    tmp_path: Path,
) -> None:
    fields = (*FIELDS, FieldSpec(name="Hạn", key="han", reading_type="DATE"))
    engine = SilentEngine()
    prompter = Prompter(fields, engine=engine, voice="vi", cache=AudioCache(tmp_path))

    for name in ("An", "Hoa", "Nam"):
        await prompter.render("Chào {{ho_ten}}, hạn {{han}}.", {"ho_ten": name, "han": "15/04/2024"})

    spoken = [text for text, _, _ in engine.calls]
    assert spoken.count("ngày mười lăm tháng tư năm hai nghìn không trăm hai mươi tư") == 1
    assert len(list(tmp_path.rglob("*.wav"))) == 2  # "Chào" and "hạn": the fixed parts only


class FailingEngine:
    """Fails on one text; every other synthesis waits until cancelled."""

    name = "failing"

    def __init__(self) -> None:
        self.cancelled: list[str] = []

    async def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
        if text == "Anh An":
            raise TtsError("engine down")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.append(text)
            raise
        return b""


async def test_one_failing_part_fails_the_prompt_and_stops_the_other_syntheses() -> None:
    engine = FailingEngine()
    prompter = Prompter(FIELDS, engine=engine, voice="vi")

    with pytest.raises(TtsError, match="engine down"):
        await prompter.render("Nợ {{so_tien}}, {{ho_ten}}.", AN)

    assert sorted(engine.cancelled) == ["Nợ", "một triệu năm trăm nghìn đồng"]  # nothing left running


class GatedEngine(SilentEngine):
    """Silence, released only when the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.waiting = 0

    async def synthesize(self, text: str, *, voice: str = "", speed: float = 1.0) -> bytes:
        self.waiting += 1
        await self.gate.wait()
        return await super().synthesize(text, voice=voice, speed=speed)


async def test_a_caller_hanging_up_does_not_cancel_the_fixed_part_another_call_waits_for() -> None:
    engine = GatedEngine()
    prompter = Prompter(FIELDS, engine=engine, voice="vi")
    hung_up = asyncio.create_task(prompter.render("Xin chào {{ho_ten}}.", AN))
    waiting = asyncio.create_task(prompter.render("Xin chào {{ho_ten}}.", HOA))
    while engine.waiting < 3:  # "Xin chào" once (shared), then each name
        await asyncio.sleep(0)

    hung_up.cancel()
    engine.gate.set()
    audio = await waiting

    assert hung_up.cancelled()
    assert audio.text == "Xin chào Chị Hoa."
    assert [text for text, _, _ in engine.calls].count("Xin chào") == 1


async def test_a_full_stop_between_placeholders_is_a_pause_but_not_at_the_end() -> None:
    prompter = Prompter(FIELDS, engine=ToneEngine(), voice="vi")
    name = estimate_duration("Anh An")
    amount = estimate_duration("một triệu năm trăm nghìn đồng")

    between = await prompter.render("{{ho_ten}}. {{so_tien}}.", AN)
    alone = await prompter.render("{{ho_ten}}.", AN)

    assert between.duration == pytest.approx(name + 0.12 + 0.35 + 0.12 + amount, abs=0.01)
    assert alone.duration == pytest.approx(name, abs=0.01)


async def test_the_silent_engine_s_prompts_last_as_long_as_the_words_would() -> None:
    """`AICALL_TTS_ENGINE=none`: silence, but of the prompt's length, so calls keep their timing."""
    audio = await Prompter(FIELDS, engine=SilentEngine(), voice="vi").render(TEMPLATE, AN)

    assert audio.pcm is not None and not any(audio.pcm)
    assert audio.duration > 0.8 * estimate_duration(audio.text)
